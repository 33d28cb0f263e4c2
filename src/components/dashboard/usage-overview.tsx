"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "~/trpc/react";
import { formatCost, formatCount } from "../format";
import { Card, CardHeader } from "../ui/card";
import { cn } from "../ui/cn";
import { DailyUsageChart } from "./daily-usage-chart";
import { ModelCostTable } from "./model-cost-table";
import { StatCard } from "./stat-card";

export const PERIODS = [
  { days: 1, label: "Today" },
  { days: 7, label: "7 days" },
  { days: 30, label: "30 days" },
  { days: 90, label: "90 days" },
] as const;
export type PeriodDays = (typeof PERIODS)[number]["days"];
export const DEFAULT_PERIOD_DAYS: PeriodDays = 30;

/** Live refresh: the ledger includes unflushed usage, so numbers move within seconds. */
const REFRESH_MS = 15_000;

function PeriodPicker({ value, onChange }: { value: PeriodDays; onChange: (days: PeriodDays) => void }) {
  return (
    <div role="radiogroup" aria-label="Period" className="inline-flex rounded-lg bg-zinc-100 p-1 dark:bg-zinc-800">
      {PERIODS.map((p) => (
        <button
          key={p.days}
          type="button"
          role="radio"
          aria-checked={value === p.days}
          onClick={() => onChange(p.days)}
          className={cn(
            "rounded-md px-3 py-1 text-sm font-medium transition",
            value === p.days
              ? "bg-white text-zinc-900 shadow-sm dark:bg-zinc-950 dark:text-zinc-50"
              : "text-zinc-600 hover:text-zinc-900 dark:text-zinc-400 dark:hover:text-zinc-100",
          )}
        >
          {p.label}
        </button>
      ))}
    </div>
  );
}

export function UsageOverview({ tenantId }: { tenantId: string }) {
  const trpc = useTRPC();
  const [days, setDays] = useState<PeriodDays>(DEFAULT_PERIOD_DAYS);
  const summary = useQuery({
    ...trpc.usage.summary.queryOptions({ tenantId, days }),
    refetchInterval: REFRESH_MS,
    placeholderData: (previous) => previous,
  });
  const report = summary.data;
  const t = report?.totals;

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h2 className="text-lg font-semibold">Usage</h2>
        <PeriodPicker value={days} onChange={setDays} />
      </div>
      {summary.error ? (
        <p role="alert" className="text-sm text-red-600">
          Could not load usage: {summary.error.message}
        </p>
      ) : null}
      <div className={cn("grid grid-cols-2 gap-3 md:grid-cols-3 xl:grid-cols-6", !t && "animate-pulse")}>
        <StatCard
          testId="stat-requests"
          label="Requests"
          value={t ? formatCount(t.requests) : "—"}
          hint={t ? `${formatCount(t.errorCount)} errors` : undefined}
        />
        <StatCard testId="stat-input" label="Input tokens" value={t ? formatCount(t.inputTokens) : "—"} />
        <StatCard testId="stat-output" label="Output tokens" value={t ? formatCount(t.outputTokens) : "—"} />
        <StatCard
          testId="stat-cache-write"
          label="Cache write"
          value={t ? formatCount(t.cacheWrite5mTokens + t.cacheWrite1hTokens) : "—"}
          hint={t ? `5m ${formatCount(t.cacheWrite5mTokens)} · 1h ${formatCount(t.cacheWrite1hTokens)}` : undefined}
        />
        <StatCard testId="stat-cache-read" label="Cache read" value={t ? formatCount(t.cacheReadTokens) : "—"} />
        <StatCard
          testId="stat-cost"
          label="Cost"
          value={t ? formatCost(t.costMicros) : "—"}
          hint={t && t.estimatedCount > 0 ? `${formatCount(t.estimatedCount)} estimated requests` : undefined}
        />
      </div>
      <Card>
        <CardHeader
          title="Daily usage"
          description={report ? `Tokens by kind and cost per day (${report.timeZone}).` : undefined}
        />
        <DailyUsageChart points={report?.daily ?? []} />
      </Card>
      <Card>
        <CardHeader title="Cost by model" description="Per-model tokens and cost over the period." />
        <ModelCostTable rows={report?.byModel ?? []} emptyText="No requests in this period yet." />
      </Card>
    </div>
  );
}
