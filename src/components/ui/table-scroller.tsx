"use client";

import { useEffect, useRef, useState, type ReactNode } from "react";
import { cn } from "./cn";

/**
 * The frame of every wide table: scrolls sideways inside a card (bleeding to the card's edges),
 * never the page. On phones the row's name column sticks to the left and the cost column to the
 * right, so both stay visible while the middle scrolls: by default (`sticky="ends"`) the first and
 * the last column; `sticky="first"` only the first; `sticky="marked"` the cells marked
 * data-sticky="start" / "end" (when the cost is not the last column). While it overflows it is a labelled, focusable region, so keyboard users can scroll it
 * (arrow keys) and screen readers name it.
 */
export function TableScroller({
  label,
  children,
  sticky = "ends",
  className,
}: {
  /** Names the region (usually the card's title). */
  label: string;
  children: ReactNode;
  sticky?: "ends" | "first" | "marked";
  className?: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const [overflows, setOverflows] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => setOverflows(el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    const table = el.firstElementChild;
    if (table) observer.observe(table);
    return () => observer.disconnect();
  }, []);
  return (
    <div
      ref={ref}
      role={overflows ? "region" : undefined}
      aria-label={overflows ? label : undefined}
      tabIndex={overflows ? 0 : undefined}
      data-sticky-ends={sticky === "ends" ? "both" : sticky}
      className={cn(
        "table-scroller relative -mx-5 overflow-x-auto focus-visible:outline-2 focus-visible:-outline-offset-2 focus-visible:outline-indigo-600",
        className,
      )}
    >
      {children}
    </div>
  );
}
