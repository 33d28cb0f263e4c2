import type { InputHTMLAttributes } from "react";
import { cn } from "./cn";
import { LiveMessage } from "./live-message";

/** Input look without a width: callers choose one (w-full, flex-1, w-32...). */
export const inputClass =
  "block rounded-lg border-0 bg-white px-3 py-2 text-sm text-zinc-900 shadow-sm ring-1 ring-inset ring-zinc-300 placeholder:text-zinc-400 focus:ring-2 focus:ring-inset focus:ring-indigo-600 dark:bg-zinc-950 dark:text-zinc-100 dark:ring-zinc-700 dark:focus:ring-indigo-500";

/** A labelled input with an optional error message (a live region: announced when it appears). */
export function Field({
  label,
  error,
  id,
  className,
  ...input
}: InputHTMLAttributes<HTMLInputElement> & { label: string; id: string; error?: string }) {
  return (
    <div className={className}>
      <label htmlFor={id} className="block text-sm font-medium text-zinc-700 dark:text-zinc-300">
        {label}
      </label>
      <input
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        className={cn(inputClass, "mt-1.5 w-full", error && "ring-red-400 dark:ring-red-700")}
        {...input}
      />
      <LiveMessage urgent id={`${id}-error`} message={error} className="mt-1.5 text-sm text-red-600 dark:text-red-400" />
    </div>
  );
}

export function FormError({ message }: { message?: string | null }) {
  if (!message) return null;
  return (
    <p role="alert" className="rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700 dark:bg-red-950/60 dark:text-red-300">
      {message}
    </p>
  );
}
