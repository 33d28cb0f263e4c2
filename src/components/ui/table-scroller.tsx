"use client";

import { useEffect, useRef, useState, type ReactNode } from "react";
import { cn } from "./cn";

/**
 * The frame of every wide table: scrolls sideways inside a card (bleeding to the card's edges),
 * never the page. On phones its first column (the row's name) sticks to the left and, with
 * `stickyLast`, the last column (the cost) to the right, so both stay visible while the middle
 * scrolls. While it overflows it is a labelled, focusable region, so keyboard users can scroll it
 * (arrow keys) and screen readers name it.
 */
export function TableScroller({
  label,
  children,
  stickyLast = true,
  className,
}: {
  /** Names the region (usually the card's title). */
  label: string;
  children: ReactNode;
  stickyLast?: boolean;
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
      data-sticky-ends={stickyLast ? "both" : "first"}
      className={cn(
        "table-scroller relative -mx-5 overflow-x-auto focus-visible:outline-2 focus-visible:-outline-offset-2 focus-visible:outline-indigo-600",
        className,
      )}
    >
      {children}
    </div>
  );
}
