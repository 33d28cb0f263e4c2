"use client";

/** Sortable table columns: a header button per column, aria-sort on the header, a stable sort (the URL codec: sortCodec in ./url-params). */
import { useState, type ReactNode } from "react";
import type { SortState } from "./url-params";
import { cn } from "./ui/cn";

/** Rows sorted by the column's value (numbers or strings, code-point order); ties keep their order. */
export function sortRows<T, K extends string>(rows: readonly T[], sort: SortState<K>, value: (row: T, key: K) => number | string): T[] {
  const sign = sort.dir === "asc" ? 1 : -1;
  return rows
    .map((row, i) => ({ row, i, v: value(row, sort.key) }))
    .sort((a, b) => (a.v < b.v ? -sign : a.v > b.v ? sign : a.i - b.i))
    .map((x) => x.row);
}

/** Local sort state, for tables whose order need not survive a reload. */
export function useSort<K extends string>(initial: SortState<K>): [SortState<K>, (key: K) => void] {
  const [sort, setSort] = useState(initial);
  return [sort, (key) => setSort(nextSort(sort, key))];
}

/** Clicking the sorted column flips it; another column starts descending (biggest first), names ascending. */
export function nextSort<K extends string>(sort: SortState<K>, key: K, firstDir: "asc" | "desc" = "desc"): SortState<K> {
  return sort.key === key ? { key, dir: sort.dir === "asc" ? "desc" : "asc" } : { key, dir: firstDir };
}

export function SortHeader<K extends string>({
  column,
  sort,
  onSort,
  children,
  className,
  align = "right",
  sticky,
  title,
}: {
  column: K;
  sort: SortState<K>;
  onSort: (key: K) => void;
  children: ReactNode;
  className?: string;
  align?: "left" | "right";
  /** Kept in view while a TableScroller (sticky="marked") scrolls sideways. */
  sticky?: "start" | "end";
  /** What the column holds, when its short label needs it (a tooltip on the header). */
  title?: string;
}) {
  const active = sort.key === column;
  return (
    <th scope="col" className={className} title={title} data-sticky={sticky} aria-sort={active ? (sort.dir === "asc" ? "ascending" : "descending") : undefined}>
      <button
        type="button"
        onClick={() => onSort(column)}
        className={cn(
          "inline-flex items-center gap-1 rounded uppercase tracking-wide hover:text-zinc-900 focus-visible:outline-2 focus-visible:outline-indigo-600 dark:hover:text-zinc-100",
          align === "right" && "flex-row-reverse",
          active && "text-zinc-900 dark:text-zinc-100",
        )}
        data-testid={`sort-${column}`}
      >
        {children}
        <span aria-hidden className={cn("text-[10px]", !active && "opacity-30")}>
          {active && sort.dir === "asc" ? "▲" : "▼"}
        </span>
      </button>
    </th>
  );
}
