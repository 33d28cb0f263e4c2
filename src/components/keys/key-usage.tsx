"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { MessageKey } from "~/i18n";
import { useFormat, useT } from "~/i18n/client";
import { useTRPC } from "~/trpc/react";
import { CacheEconomics } from "../dashboard/cache-economics";
import { ModelCostTable } from "../dashboard/model-cost-table";
import { StatCard } from "../dashboard/stat-card";
import { buttonClass } from "../ui/button";
import { Card, CardHeader } from "../ui/card";
import { cn } from "../ui/cn";
import { SegmentedRadioGroup } from "../ui/segmented";

export const KEY_PERIODS = [
  { days: 1, label: "usage.range.today" },
  { days: 7, label: "usage.range.7d" },
  { days: 30, label: "usage.range.30d" },
  { days: 90, label: "usage.range.90d" },
] as const satisfies readonly { days: number; label: MessageKey }[];
export type KeyPeriodDays = (typeof KEY_PERIODS)[number]["days"];
export const KEY_DEFAULT_DAYS: KeyPeriodDays = 30;

/** An error share with exactly one decimal ("2.5%", "0.0%"), per locale. */
function percentOneDecimal(locale: string, fraction: number): string {
  return new Intl.NumberFormat(locale, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(fraction);
}

export function KeyUsage({ tenantId, keyId }: { tenantId: string; keyId: string }) {
  const tr = useT();
  const f = useFormat();
  const trpc = useTRPC();
  const [days, setDays] = useState<KeyPeriodDays>(KEY_DEFAULT_DAYS);
  const usage = useQuery({
    ...trpc.apiKey.usage.queryOptions({ tenantId, keyId, days }),
    refetchInterval: 15_000,
    placeholderData: (previous) => previous,
  });
  const t = usage.data?.totals;
  const avgLatency = t && t.requests > 0 ? Math.round(t.latencyMsSum / t.requests) : null;
  const dash = tr("common.none");
  return (
    <section className="space-y-4" aria-labelledby="key-usage-title">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h2 id="key-usage-title" className="text-lg font-semibold">
          {tr("usage.title")}
        </h2>
        <div className="flex flex-wrap items-center gap-2">
          <SegmentedRadioGroup
            label={tr("usage.period")}
            value={days}
            options={KEY_PERIODS.map((p) => ({ value: p.days, label: tr(p.label) }))}
            onChange={setDays}
          />
          <a
            className={buttonClass("secondary")}
            href={`/api/export/${tenantId}/usage?keyId=${keyId}&days=${days}`}
            download
          >
            {tr("common.exportCsv")}
          </a>
        </div>
      </div>
      {usage.error ? (
        <p role="alert" className="text-sm text-red-600">
          {tr("usage.loadError", { message: usage.error.message })}
        </p>
      ) : null}
      <div className={cn("grid grid-cols-2 gap-3 md:grid-cols-4", !t && "animate-pulse")}>
        <StatCard
          testId="key-stat-requests"
          label={tr("usage.stat.requests")}
          value={t ? f.count(t.requests) : dash}
          hint={
            t
              ? `${tr("usage.stat.errors", { count: t.errorCount })}${t.requests ? ` (${percentOneDecimal(f.locale, t.errorCount / t.requests)})` : ""}`
              : undefined
          }
        />
        <StatCard
          testId="key-stat-tokens"
          label={tr("keys.usage.tokens")}
          value={t ? `${f.count(t.inputTokens)} / ${f.count(t.outputTokens)}` : dash}
          hint={
            t
              ? tr("keys.usage.cacheHint", { write: t.cacheWrite5mTokens + t.cacheWrite1hTokens, read: t.cacheReadTokens })
              : undefined
          }
        />
        <StatCard
          testId="key-stat-cost"
          label={tr("usage.stat.cost")}
          value={t ? f.cost(t.costMicros) : dash}
          hint={t && t.estimatedCount > 0 ? tr("usage.stat.estimated", { count: t.estimatedCount }) : undefined}
        />
        <StatCard testId="key-stat-latency" label={tr("usage.stat.latency")} value={avgLatency === null ? dash : f.ms(avgLatency)} />
      </div>
      <Card>
        <CardHeader
          title={tr("usage.models.title")}
          description={usage.data ? tr("keys.usage.modelsDescription", { timeZone: usage.data.timeZone }) : undefined}
        />
        <ModelCostTable rows={usage.data?.byModel ?? []} emptyText={tr("usage.emptyModels")} />
      </Card>
      <CacheEconomics rows={usage.data?.cache ?? []} totals={usage.data?.cacheTotals} timeZone={usage.data?.timeZone} />
    </section>
  );
}
