"use client";

import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { useFormat, useT } from "~/i18n/client";
import { ChartDataTable, legendText } from "../ui/chart-data-table";
import { AXIS_TICK, bucketLabel, costTick } from "./chart-utils";

export interface TrendPoint {
  bucket: string;
  requests: number;
  costMicros: number;
}

/** Requests per bucket (bars, left axis) and cost per bucket (line, right axis). */
export function TrendChart({ points, multiDay }: { points: readonly TrendPoint[]; multiDay: boolean }) {
  const t = useT();
  const f = useFormat();
  const requestsName = t("usage.stat.requests");
  const costName = t("usage.stat.cost");
  const data = points.map((p) => ({ label: bucketLabel(p.bucket, multiDay), requests: p.requests, cost: p.costMicros }));
  const empty = points.every((p) => p.requests === 0 && p.costMicros === 0);
  const label = data.length > 0 ? t("usage.chart.span", { chart: t("usage.trend.aria"), from: data[0]!.label, to: data[data.length - 1]!.label }) : t("usage.trend.aria");
  return (
    <>
    <div className="relative h-72 w-full" role="img" aria-label={label} data-testid="trend-chart">
      {empty ? (
        <p className="absolute inset-0 z-10 grid place-items-center pb-10 text-sm text-zinc-500 dark:text-zinc-400">{t("usage.empty")}</p>
      ) : null}
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={data} margin={{ top: 8, right: 4, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="currentColor" strokeOpacity={0.12} vertical={false} />
          <XAxis dataKey="label" tick={AXIS_TICK} tickLine={false} axisLine={false} minTickGap={16} />
          <YAxis
            yAxisId="requests"
            domain={[0, (dataMax: number) => Math.max(dataMax, 10)]}
            allowDecimals={false}
            tickFormatter={(v: number) => f.compact(v)}
            tick={AXIS_TICK}
            tickLine={false}
            axisLine={false}
            width={44}
          />
          <YAxis
            yAxisId="cost"
            orientation="right"
            domain={[0, (dataMax: number) => Math.max(dataMax, 10_000)]}
            tickFormatter={(v: number) => costTick(v, f)}
            tick={AXIS_TICK}
            tickLine={false}
            axisLine={false}
            width={56}
          />
          <Tooltip
            formatter={(value, name) => (name === costName ? f.cost(Number(value)) : f.count(Number(value)))}
            contentStyle={{ borderRadius: 12, fontSize: 12, color: "#18181b" }}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} formatter={legendText} />
          <Bar yAxisId="requests" dataKey="requests" name={requestsName} fill="#6366f1" maxBarSize={28} isAnimationActive={false} />
          <Line
            yAxisId="cost"
            dataKey="cost"
            name={costName}
            type="linear"
            stroke="#e11d48"
            strokeWidth={2}
            dot={data.length <= 31 ? { r: 2.5, fill: "#e11d48", strokeWidth: 0 } : false}
            isAnimationActive={false}
          />
        </ComposedChart>
      </ResponsiveContainer>
    </div>
    <ChartDataTable
      caption={t("usage.chart.tableCaption", { chart: label })}
      columns={[t("usage.chart.time"), requestsName, costName]}
      rows={data.map((d) => [d.label, f.count(d.requests), f.cost(d.cost)])}
      testId="trend-chart-table"
    />
    </>
  );
}
