"use client";

import { Bar, BarChart, CartesianGrid, Cell, Legend, Pie, PieChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { useFormat, useT } from "~/i18n/client";
import { columnCostDecimals } from "~/lib/money";
import type { RouterOutputs } from "~/trpc/types";
import { ChartDataTable, legendText } from "../ui/chart-data-table";
import { AXIS_TICK, bucketLabel, colorAt, costTick } from "./chart-utils";

/** The server's name for "all other models" (see OTHER_MODELS in the overview). */
const OTHER_MODELS = "__other";

type ModelSeriesPoint = RouterOutputs["usage"]["overview"]["series"][number];

/** Cost per bucket as bars stacked by model (the top models, then "other"). */
export function ModelCostChart({
  models,
  points,
  multiDay,
}: {
  models: readonly string[];
  points: readonly ModelSeriesPoint[];
  multiDay: boolean;
}) {
  const t = useT();
  const f = useFormat();
  const names = models.map((m) => (m === OTHER_MODELS ? t("usage.share.other") : m));
  const columnDigitsOf = models.map((_, i) => columnCostDecimals(points.map((p) => p.modelCost[i] ?? 0)));
  const data = points.map((p) => {
    const row: Record<string, string | number> = { label: bucketLabel(p.bucket, multiDay) };
    models.forEach((_, i) => (row[`m${i}`] = p.modelCost[i] ?? 0));
    return row;
  });
  const label = data.length > 0 ? t("usage.chart.span", { chart: t("usage.modelTrend.aria"), from: String(data[0]!.label), to: String(data[data.length - 1]!.label) }) : t("usage.modelTrend.aria");
  return (
    <>
    <div className="relative h-72 w-full" role="img" aria-label={label} data-testid="model-cost-chart">
      {models.length === 0 ? (
        <p className="absolute inset-0 z-10 grid place-items-center pb-10 text-sm text-zinc-500 dark:text-zinc-400">{t("usage.empty")}</p>
      ) : null}
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ top: 8, right: 4, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="currentColor" strokeOpacity={0.12} vertical={false} />
          <XAxis dataKey="label" tick={AXIS_TICK} tickLine={false} axisLine={false} minTickGap={16} />
          <YAxis
            domain={[0, (dataMax: number) => Math.max(dataMax, 10_000)]}
            tickFormatter={(v: number) => costTick(v, f)}
            tick={AXIS_TICK}
            tickLine={false}
            axisLine={false}
            width={56}
          />
          <Tooltip
            formatter={(value) => f.cost(Number(value))}
            cursor={{ fill: "currentColor", fillOpacity: 0.06 }}
            contentStyle={{ borderRadius: 12, fontSize: 12, color: "#18181b" }}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} formatter={legendText} />
          {models.map((m, i) => (
            <Bar
              key={m}
              dataKey={`m${i}`}
              name={names[i]}
              stackId="cost"
              fill={colorAt(i, m === OTHER_MODELS)}
              maxBarSize={28}
              isAnimationActive={false}
            />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </div>
    {models.length > 0 ? (
      <ChartDataTable
        caption={t("usage.chart.tableCaption", { chart: label })}
        columns={[t("usage.chart.time"), ...names]}
        // One money format per column, as in every table (columnCostDecimals).
        rows={points.map((p) => [bucketLabel(p.bucket, multiDay), ...models.map((_, i) => f.cost(p.modelCost[i] ?? 0, columnDigitsOf[i]))])}
        testId="model-cost-chart-table"
      />
    ) : null}
    </>
  );
}

type ModelShare = RouterOutputs["usage"]["overview"]["byModel"][number];

/** Share of the period's cost by model: a donut, with the top models and "other". */
export function ModelShareChart({ rows, limit = 6 }: { rows: readonly ModelShare[]; limit?: number }) {
  const t = useT();
  const f = useFormat();
  // Biggest first, ties by name in code-point order: the same order in every language and refresh.
  const priced = rows
    .filter((r) => r.costMicros > 0)
    .sort((x, y) => y.costMicros - x.costMicros || (x.model < y.model ? -1 : x.model > y.model ? 1 : 0));
  const total = priced.reduce((s, r) => s + r.costMicros, 0);
  const head = priced.length > limit ? priced.slice(0, limit - 1) : priced;
  const rest = priced.slice(head.length).reduce((s, r) => s + r.costMicros, 0);
  const slices = [
    ...head.map((r, i) => ({ name: r.model, value: r.costMicros, color: colorAt(i, false) })),
    ...(rest > 0 ? [{ name: t("usage.share.other"), value: rest, color: colorAt(0, true) }] : []),
  ];
  if (total === 0) {
    return <p className="grid h-72 place-items-center text-sm text-zinc-500 dark:text-zinc-400">{t("usage.empty")}</p>;
  }
  return (
    <div className="flex h-72 flex-col gap-3 sm:flex-row sm:items-center" data-testid="model-share-chart">
      {/* A narrower donut leaves the legend room for a dated model name (26 monospace characters) on one line. */}
      <div className="h-44 w-full shrink-0 sm:h-full sm:w-[28%]" role="img" aria-label={t("usage.share.aria")}>
        <ResponsiveContainer width="100%" height="100%">
          <PieChart>
            <Pie data={slices} dataKey="value" nameKey="name" innerRadius="58%" outerRadius="92%" paddingAngle={1} isAnimationActive={false}>
              {slices.map((s) => (
                <Cell key={s.name} fill={s.color} stroke="none" />
              ))}
            </Pie>
            <Tooltip formatter={(value) => f.cost(Number(value))} contentStyle={{ borderRadius: 12, fontSize: 12, color: "#18181b" }} />
          </PieChart>
        </ResponsiveContainer>
      </div>
      <ul className="min-w-0 flex-1 space-y-1.5 overflow-y-auto text-sm">
        {slices.map((s) => (
          <li key={s.name} className="flex items-center gap-2">
            <span aria-hidden className="size-2.5 shrink-0 rounded-full" style={{ backgroundColor: s.color }} />
            <span className="min-w-0 flex-1 font-mono text-xs [overflow-wrap:anywhere]" title={s.name}>
              {s.name}
            </span>
            <span className="tabular-nums text-zinc-500 dark:text-zinc-400">{f.percent(s.value / total)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
