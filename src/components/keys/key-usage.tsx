"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "~/trpc/react";
import { ModelCostTable } from "../dashboard/model-cost-table";
import { StatCard } from "../dashboard/stat-card";
import { formatCost, formatCount } from "../format";
import { buttonClass } from "../ui/button";
import { Card, CardHeader } from "../ui/card";
import { cn } from "../ui/cn";

export const KEY_PERIODS = [
  { days: 1, label: "Today" },
  { days: 7, label: "7 days" },
  { days: 30, label: "30 days" },
  { days: 90, label: "90 days" },
] as const;
export type KeyPeriodDays = (typeof KEY_PERIODS)[number]["days"];
export const KEY_DEFAULT_DAYS: KeyPeriodDays = 30;

export function KeyUsage({ tenantId, keyId }: { tenantId: string; keyId: string }) {
  const trpc = useTRPC();
  const [days, setDays] = useState<KeyPeriodDays>(KEY_DEFAULT_DAYS);
  const usage = useQuery({
    ...trpc.apiKey.usage.queryOptions({ tenantId, keyId, days }),
    refetchInterval: 15_000,
    placeholderData: (previous) => previous,
  });
  const t = usage.data?.totals;
  const avgLatency = t && t.requests > 0 ? Math.round(t.latencyMsSum / t.requests) : null;
  return (
    <section className="space-y-4" aria-labelledby="key-usage-title">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h2 id="key-usage-title" className="text-lg font-semibold">
          Usage
        </h2>
        <div className="flex flex-wrap items-center gap-2">
          <div role="radiogroup" aria-label="Period" className="inline-flex rounded-lg bg-zinc-100 p-1 dark:bg-zinc-800">
            {KEY_PERIODS.map((p) => (
              <button
                key={p.days}
                type="button"
                role="radio"
                aria-checked={days === p.days}
                onClick={() => setDays(p.days)}
                className={cn(
                  "rounded-md px-3 py-1 text-sm font-medium transition",
                  days === p.days
                    ? "bg-white text-zinc-900 shadow-sm dark:bg-zinc-950 dark:text-zinc-50"
                    : "text-zinc-600 hover:text-zinc-900 dark:text-zinc-400 dark:hover:text-zinc-100",
                )}
              >
                {p.label}
              </button>
            ))}
          </div>
          <a
            className={buttonClass("secondary")}
            href={`/api/export/${tenantId}/usage?keyId=${keyId}&days=${days}`}
            download
          >
            Export CSV
          </a>
        </div>
      </div>
      {usage.error ? (
        <p role="alert" className="text-sm text-red-600">
          Could not load usage: {usage.error.message}
        </p>
      ) : null}
      <div className={cn("grid grid-cols-2 gap-3 md:grid-cols-4", !t && "animate-pulse")}>
        <StatCard
          testId="key-stat-requests"
          label="Requests"
          value={t ? formatCount(t.requests) : "—"}
          hint={t ? `${formatCount(t.errorCount)} errors${t.requests ? ` (${((t.errorCount / t.requests) * 100).toFixed(1)}%)` : ""}` : undefined}
        />
        <StatCard
          testId="key-stat-tokens"
          label="Input / output tokens"
          value={t ? `${formatCount(t.inputTokens)} / ${formatCount(t.outputTokens)}` : "—"}
          hint={
            t
              ? `cache write ${formatCount(t.cacheWrite5mTokens + t.cacheWrite1hTokens)} · read ${formatCount(t.cacheReadTokens)}`
              : undefined
          }
        />
        <StatCard
          testId="key-stat-cost"
          label="Cost"
          value={t ? formatCost(t.costMicros) : "—"}
          hint={t && t.estimatedCount > 0 ? `${formatCount(t.estimatedCount)} estimated requests` : undefined}
        />
        <StatCard testId="key-stat-latency" label="Avg latency" value={avgLatency === null ? "—" : `${formatCount(avgLatency)} ms`} />
      </div>
      <Card>
        <CardHeader title="Cost by model" description={usage.data ? `Over the period, days in ${usage.data.timeZone}.` : undefined} />
        <ModelCostTable rows={usage.data?.byModel ?? []} emptyText="No requests in this period yet." />
      </Card>
    </section>
  );
}
