"use client";

import { useRef, type KeyboardEvent } from "react";
import { cn } from "./cn";

export interface SegmentOption<V extends string | number> {
  value: V;
  label: string;
  disabled?: boolean;
}

/**
 * A segmented control as a real radio group: one tab stop (the checked option), arrow keys and
 * Home/End move and select, disabled options are skipped.
 */
export function SegmentedRadioGroup<V extends string | number>({
  label,
  options,
  value,
  onChange,
  className,
}: {
  label: string;
  options: readonly SegmentOption<V>[];
  value: V;
  onChange: (value: V) => void;
  className?: string;
}) {
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  const enabled = options.map((o, i) => (o.disabled ? -1 : i)).filter((i) => i >= 0);
  const checkedIndex = options.findIndex((o) => o.value === value);
  // The tab stop: the checked option, or the first enabled one when none is checked.
  const tabStop = checkedIndex >= 0 && !options[checkedIndex]?.disabled ? checkedIndex : (enabled[0] ?? -1);

  function onKeyDown(event: KeyboardEvent<HTMLButtonElement>, index: number) {
    const at = enabled.indexOf(index);
    let next: number | undefined;
    if (event.key === "ArrowRight" || event.key === "ArrowDown") next = enabled[(at + 1) % enabled.length];
    else if (event.key === "ArrowLeft" || event.key === "ArrowUp") next = enabled[(at - 1 + enabled.length) % enabled.length];
    else if (event.key === "Home") next = enabled[0];
    else if (event.key === "End") next = enabled[enabled.length - 1];
    if (next === undefined) return;
    event.preventDefault();
    refs.current[next]?.focus();
    const option = options[next];
    if (option) onChange(option.value);
  }

  return (
    <div role="radiogroup" aria-label={label} className={cn("inline-flex flex-wrap rounded-lg bg-zinc-100 p-1 dark:bg-zinc-800", className)}>
      {options.map((o, i) => {
        const checked = o.value === value;
        return (
          <button
            key={o.value}
            ref={(el) => {
              refs.current[i] = el;
            }}
            type="button"
            role="radio"
            aria-checked={checked}
            disabled={o.disabled}
            tabIndex={i === tabStop ? 0 : -1}
            onClick={() => onChange(o.value)}
            onKeyDown={(e) => onKeyDown(e, i)}
            className={cn(
              "rounded-md px-3 py-1 text-sm font-medium whitespace-nowrap transition focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-indigo-600 disabled:opacity-40",
              checked
                ? "bg-white text-zinc-900 shadow-sm dark:bg-zinc-950 dark:text-zinc-50"
                : "text-zinc-600 hover:text-zinc-900 dark:text-zinc-300 dark:hover:text-zinc-100",
            )}
          >
            {o.label}
          </button>
        );
      })}
    </div>
  );
}
