"use client";

import { useFormat, useT } from "~/i18n/client";
import type { RouterOutputs } from "~/trpc/types";
import { columnDigits, Money } from "../money";
import { SortHeader, sortRows, useSort } from "../sortable";
import { TableScroller } from "~/components/ui/table-scroller";

type ModelSortKey = "model" | "requests" | "input" | "output" | "cacheWrite" | "cacheRead" | "cost";

function modelSortValue(r: ModelCostRow, key: ModelSortKey): number | string {
  switch (key) {
    case "model":
      return r.model;
    case "requests":
      return r.requests;
    case "input":
      return r.inputTokens;
    case "output":
      return r.outputTokens;
    case "cacheWrite":
      return r.cacheWrite5mTokens + r.cacheWrite1hTokens;
    case "cacheRead":
      return r.cacheReadTokens;
    case "cost":
      return r.costMicros;
  }
}

/** One model's row, as every usage procedure returns it (overview, key usage, lookup). */
type ModelCostRow = RouterOutputs["usage"]["overview"]["byModel"][number];

const th = "px-3 py-2 text-right font-medium first:text-left";
const td = "px-3 py-2.5 text-right tabular-nums first:text-left";

/** Per-model usage and cost; the cost column is the ledger's sum, not recomputed. */
export function ModelCostTable({ rows, emptyText, label }: { rows: readonly ModelCostRow[]; emptyText: string; label?: string }) {
  const t = useT();
  const f = useFormat();
  const formatCount = f.count;
  const [sort, onSort] = useSort<ModelSortKey>({ key: "cost", dir: "desc" });
  if (rows.length === 0) {
    return <p className="py-6 text-center text-sm text-zinc-500 dark:text-zinc-400">{emptyText}</p>;
  }
  const costDigits = columnDigits(rows.map((r) => r.costMicros));
  return (
    <TableScroller label={label ?? t("usage.models.title")}>
      <table className="w-full min-w-[640px] text-sm" data-testid="model-cost-table">
        <thead className="border-y border-zinc-200 bg-zinc-50 text-xs uppercase tracking-wide text-zinc-500 dark:border-zinc-800 dark:bg-zinc-950/40 dark:text-zinc-400">
          <tr>
            <SortHeader column="model" sort={sort} onSort={onSort} className={th + " pl-5"} align="left">
              {t("usage.col.model")}
            </SortHeader>
            <SortHeader column="requests" sort={sort} onSort={onSort} className={th}>
              {t("usage.col.requests")}
            </SortHeader>
            <SortHeader column="input" sort={sort} onSort={onSort} className={th}>
              {t("usage.col.input")}
            </SortHeader>
            <SortHeader column="output" sort={sort} onSort={onSort} className={th}>
              {t("usage.col.output")}
            </SortHeader>
            <SortHeader column="cacheWrite" sort={sort} onSort={onSort} className={th}>
              {t("usage.col.cacheWrite")}
            </SortHeader>
            <SortHeader column="cacheRead" sort={sort} onSort={onSort} className={th}>
              {t("usage.col.cacheRead")}
            </SortHeader>
            <SortHeader column="cost" sort={sort} onSort={onSort} className={th + " pr-5"}>
              {t("usage.col.cost")}
            </SortHeader>
          </tr>
        </thead>
        <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
          {sortRows(rows, sort, modelSortValue).map((r) => (
            <tr key={r.model} data-model={r.model}>
              <th scope="row" className={td + " pl-5 font-mono text-xs font-medium"}>{r.model}</th>
              <td className={td}>
                {formatCount(r.requests)}
                {r.errorCount > 0 ? (
                  <span className="ml-1 text-xs text-red-600 dark:text-red-400">{t("usage.col.errorsShort", { count: r.errorCount })}</span>
                ) : null}
              </td>
              <td className={td}>{formatCount(r.inputTokens)}</td>
              <td className={td}>{formatCount(r.outputTokens)}</td>
              <td className={td} title={`5m: ${formatCount(r.cacheWrite5mTokens)} · 1h: ${formatCount(r.cacheWrite1hTokens)}`}>
                {formatCount(r.cacheWrite5mTokens + r.cacheWrite1hTokens)}
              </td>
              <td className={td}>{formatCount(r.cacheReadTokens)}</td>
              <td className={td + " pr-5 font-semibold"} data-testid="model-cost">
                <Money micros={r.costMicros} digits={costDigits} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroller>
  );
}
