"use client";

import { useRouter } from "next/navigation";
import { useTransition } from "react";
import { cn } from "~/components/ui/cn";
import { LOCALE_COOKIE, LOCALE_NAMES, LOCALES, isLocale } from "~/i18n/config";
import { useLocale, useT } from "~/i18n/client";

/** Sets the `mg-locale` cookie (one year) and re-renders the server components in the new language. */
export function LanguageSwitcher({ className }: { className?: string }) {
  const locale = useLocale();
  const t = useT();
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  return (
    <>
      <label htmlFor="language-switcher" className="sr-only">
        {t("nav.language")}
      </label>
      <select
        id="language-switcher"
        data-testid="language-switcher"
        value={locale}
        // Not disabled while the page re-renders: a disabled control would drop the focus to <body>.
        aria-busy={pending}
        onChange={(e) => {
          const next = e.target.value;
          if (!isLocale(next)) return;
          document.cookie = `${LOCALE_COOKIE}=${encodeURIComponent(next)}; path=/; max-age=31536000; samesite=lax`;
          document.documentElement.lang = next;
          startTransition(() => router.refresh());
        }}
        className={cn(
          "rounded-lg border-0 bg-transparent py-1.5 pl-2 pr-7 text-sm text-zinc-700 ring-1 ring-inset ring-zinc-300 focus:ring-2 focus:ring-indigo-600 dark:text-zinc-300 dark:ring-zinc-700 dark:[color-scheme:dark]",
          className,
        )}
      >
        {LOCALES.map((l) => (
          <option key={l} value={l}>
            {LOCALE_NAMES[l]}
          </option>
        ))}
      </select>
    </>
  );
}
