"use client";

import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { useFormat, useT } from "~/i18n/client";
import type { RouterOutputs } from "~/trpc/types";
import { ChartDataTable, legendText } from "../ui/chart-data-table";
import { columnCostDecimals } from "~/lib/money";
import { AXIS_TICK, bucketLabel, costTick, zeroBasedTicks } from "./chart-utils";

type TrendPoint = RouterOutputs["usage"]["overview"]["series"][number];

/**
 * Requests and cost per bucket as two small multiples on the same time axis, each from zero with
 * its own labelled axis. One chart with two independently scaled axes made the two series always
 * peak together whatever the numbers; bars (not a line) also keep a first day of use from looking
 * like a ramp up from $0 the day before.
 */
export function TrendChart({ points, multiDay }: { points: readonly TrendPoint[]; multiDay: boolean }) {
  const t = useT();
  const f = useFormat();
  const data = points.map((p) => ({ label: bucketLabel(p.bucket, multiDay), requests: p.requests, cost: p.costMicros }));
  const empty = points.every((p) => p.requests === 0 && p.costMicros === 0);
  // The data table's cost column: one money format per column, as in every table.
  const costDigits = columnCostDecimals(data.map((d) => d.cost));
  const label = data.length > 0 ? t("usage.chart.span", { chart: t("usage.trend.aria"), from: data[0]!.label, to: data[data.length - 1]!.label }) : t("usage.trend.aria");
  return (
    <>
    <div className="relative w-full" role="img" aria-label={label} data-testid="trend-chart">
      {empty ? (
        <p className="absolute inset-0 z-10 grid place-items-center text-sm text-zinc-500 dark:text-zinc-400">{t("usage.empty")}</p>
      ) : null}
      <SmallMultiple
        title={t("usage.stat.requests")}
        data={data}
        dataKey="requests"
        color="#6366f1"
        minMax={10}
        tick={(v) => f.compact(v)}
        tooltip={(v) => f.count(v)}
        showXAxis={false}
      />
      <SmallMultiple
        title={t("usage.stat.cost")}
        data={data}
        dataKey="cost"
        color="#e11d48"
        minMax={10_000}
        tick={(v) => costTick(v, f)}
        tooltip={(v) => f.cost(v)}
        showXAxis
      />
    </div>
    <ChartDataTable
      caption={t("usage.chart.tableCaption", { chart: label })}
      columns={[t("usage.chart.time"), t("usage.stat.requests"), t("usage.stat.cost")]}
      rows={data.map((d) => [d.label, f.count(d.requests), f.cost(d.cost, costDigits)])}
      testId="trend-chart-table"
    />
    </>
  );
}

function SmallMultiple({
  title,
  data,
  dataKey,
  color,
  minMax,
  tick,
  tooltip,
  showXAxis,
}: {
  title: string;
  data: readonly { label: string; requests: number; cost: number }[];
  dataKey: "requests" | "cost";
  color: string;
  /** The axis reaches at least this, so a few small values are not drawn as full-height bars. */
  minMax: number;
  tick: (v: number) => string;
  tooltip: (v: number) => string;
  showXAxis: boolean;
}) {
  const ticks = zeroBasedTicks(Math.max(minMax, ...data.map((d) => d[dataKey])), { integer: dataKey === "requests" });
  return (
    <figure className="w-full" data-testid={`trend-${dataKey}`}>
      <figcaption className="text-xs font-medium text-zinc-600 dark:text-zinc-300">{title}</figcaption>
      <div className={showXAxis ? "h-40" : "h-36"}>
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={data as { label: string; requests: number; cost: number }[]} margin={{ top: 6, right: 4, bottom: 0, left: 0 }} syncId="trend">
            <CartesianGrid strokeDasharray="3 3" stroke="currentColor" strokeOpacity={0.12} vertical={false} />
            <XAxis dataKey="label" hide={!showXAxis} tick={AXIS_TICK} tickLine={false} axisLine={false} minTickGap={16} />
            <YAxis
              // Both small multiples start from zero, visibly, with evenly spaced round ticks.
              domain={[0, ticks[ticks.length - 1]!]}
              ticks={ticks}
              interval={0}
              tickFormatter={tick}
              tick={AXIS_TICK}
              tickLine={false}
              axisLine={false}
              width={56}
            />
            <Tooltip
              formatter={(value) => [tooltip(Number(value)), title]}
              cursor={{ fill: "currentColor", fillOpacity: 0.06 }}
              contentStyle={{ borderRadius: 12, fontSize: 12, color: "#18181b" }}
            />
            <Bar dataKey={dataKey} name={title} fill={color} maxBarSize={28} isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
}
