"use client";

import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatCost, formatCount } from "../format";

export interface DailyPoint {
  day: string;
  inputTokens: number;
  outputTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  cacheReadTokens: number;
  costMicros: number;
}

const SERIES = [
  { key: "input", name: "Input", color: "#6366f1" },
  { key: "output", name: "Output", color: "#10b981" },
  { key: "cacheWrite", name: "Cache write", color: "#f59e0b" },
  { key: "cacheRead", name: "Cache read", color: "#38bdf8" },
] as const;

function compact(n: number): string {
  return new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 }).format(n);
}

/** Axis labels for micro-dollars: "$0", "$0.0012", "$1.5", "$2.3K". */
function costTick(micros: number): string {
  const dollars = micros / 1_000_000;
  if (dollars === 0) return "$0";
  if (Math.abs(dollars) >= 1) return `$${compact(dollars)}`;
  return `$${dollars.toPrecision(2).replace(/0+$/, "")}`;
}

/** Tokens per day by kind (stacked bars, left axis) and cost per day (line, right axis). */
export function DailyUsageChart({ points }: { points: readonly DailyPoint[] }) {
  const data = points.map((p) => ({
    day: p.day.slice(5),
    input: p.inputTokens,
    output: p.outputTokens,
    cacheWrite: p.cacheWrite5mTokens + p.cacheWrite1hTokens,
    cacheRead: p.cacheReadTokens,
    cost: p.costMicros,
  }));
  const empty = points.every(
    (p) =>
      p.costMicros === 0 &&
      p.inputTokens + p.outputTokens + p.cacheWrite5mTokens + p.cacheWrite1hTokens + p.cacheReadTokens === 0,
  );
  return (
    <div className="relative h-72 w-full" role="img" aria-label="Daily tokens by kind and daily cost">
      {empty ? (
        <p className="absolute inset-0 z-10 grid place-items-center pb-10 text-sm text-zinc-500 dark:text-zinc-400">
          No usage in this period yet.
        </p>
      ) : null}
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="currentColor" strokeOpacity={0.12} vertical={false} />
          <XAxis dataKey="day" tick={{ fontSize: 12, fill: "#71717a" }} tickLine={false} axisLine={false} minTickGap={12} />
          <YAxis
            yAxisId="tokens"
            domain={[0, (dataMax: number) => Math.max(dataMax, 1_000)]}
            tickFormatter={compact}
            tick={{ fontSize: 12, fill: "#71717a" }}
            tickLine={false}
            axisLine={false}
            width={48}
          />
          <YAxis
            yAxisId="cost"
            domain={[0, (dataMax: number) => Math.max(dataMax, 10_000)]}
            orientation="right"
            tickFormatter={costTick}
            tick={{ fontSize: 12, fill: "#71717a" }}
            tickLine={false}
            axisLine={false}
            width={56}
          />
          <Tooltip
            formatter={(value, name) =>
              name === "Cost" ? formatCost(Number(value)) : formatCount(Number(value))
            }
            contentStyle={{ borderRadius: 12, fontSize: 12 }}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {SERIES.map((s) => (
            <Bar key={s.key} yAxisId="tokens" dataKey={s.key} name={s.name} stackId="tokens" fill={s.color} maxBarSize={36} isAnimationActive={false} />
          ))}
          <Line yAxisId="cost" dataKey="cost" name="Cost" type="monotone" stroke="#e11d48" strokeWidth={2} dot={false} isAnimationActive={false} />
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}
