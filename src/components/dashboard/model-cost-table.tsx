"use client";

import { useFormat, useT } from "~/i18n/client";
import { TableScroller } from "~/components/ui/table-scroller";

export interface ModelCostRow {
  model: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  cacheReadTokens: number;
  costMicros: number;
  errorCount: number;
}

const th = "px-3 py-2 text-right font-medium first:text-left";
const td = "px-3 py-2.5 text-right tabular-nums first:text-left";

/** Per-model usage and cost; the cost column is the ledger's sum, not recomputed. */
export function ModelCostTable({ rows, emptyText, label }: { rows: readonly ModelCostRow[]; emptyText: string; label?: string }) {
  const t = useT();
  const f = useFormat();
  const formatCount = f.count;
  const formatCost = f.cost;
  if (rows.length === 0) {
    return <p className="py-6 text-center text-sm text-zinc-500 dark:text-zinc-400">{emptyText}</p>;
  }
  return (
    <TableScroller label={label ?? t("usage.models.title")}>
      <table className="w-full min-w-[640px] text-sm" data-testid="model-cost-table">
        <thead className="border-y border-zinc-200 bg-zinc-50 text-xs uppercase tracking-wide text-zinc-500 dark:border-zinc-800 dark:bg-zinc-950/40 dark:text-zinc-400">
          <tr>
            <th scope="col" className={th + " pl-5"}>{t("usage.col.model")}</th>
            <th scope="col" className={th}>{t("usage.col.requests")}</th>
            <th scope="col" className={th}>{t("usage.col.input")}</th>
            <th scope="col" className={th}>{t("usage.col.output")}</th>
            <th scope="col" className={th}>{t("usage.col.cacheWrite")}</th>
            <th scope="col" className={th}>{t("usage.col.cacheRead")}</th>
            <th scope="col" className={th + " pr-5"}>{t("usage.col.cost")}</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
          {rows.map((r) => (
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
              <td className={td + " pr-5 font-semibold"} data-testid="model-cost">{formatCost(r.costMicros)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroller>
  );
}
