import { cn } from "./cn";

/**
 * What a streamed section shows until its server-rendered content arrives: its title's words and a
 * block about its height (so the page does not jump), announced as busy.
 */
export function SectionLoading({ label, loadingText, className }: { label: string; loadingText: string; className?: string }) {
  return (
    <section aria-busy="true" aria-label={label} className={cn("space-y-3", className)}>
      <p className="text-sm text-zinc-500 dark:text-zinc-400">{loadingText}</p>
      <div aria-hidden className="h-[calc(100%-2rem)] w-full animate-pulse rounded-2xl bg-zinc-100 dark:bg-zinc-900" />
    </section>
  );
}
