"use client";

import { useQuery } from "@tanstack/react-query";
import { useFormat, useT } from "~/i18n/client";
import { useTRPC } from "~/trpc/react";
import { KEY_DEFAULT_DAYS, KEY_PERIODS, keyDaysCodec, type KeyPeriodDays } from "./key-periods";
import { CacheEconomics } from "../dashboard/cache-economics";
import { ModelCostTable } from "../dashboard/model-cost-table";
import { StatCard } from "../dashboard/stat-card";
import { buttonClass } from "../ui/button";
import { Card, CardHeader } from "../ui/card";
import { cn } from "../ui/cn";
import { LIVE_REFRESH_MS } from "../live";
import { useUrlParam } from "../url-state";
import { SegmentedRadioGroup } from "../ui/segmented";


/** An error share with exactly one decimal ("2.5%", "0.0%"), per locale. */
function percentOneDecimal(locale: string, fraction: number): string {
  return new Intl.NumberFormat(locale, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(fraction);
}

export function KeyUsage({ tenantId, keyId }: { tenantId: string; keyId: string }) {
  const tr = useT();
  const f = useFormat();
  const trpc = useTRPC();
  const [days, setDays] = useUrlParam<KeyPeriodDays>("days", keyDaysCodec, KEY_DEFAULT_DAYS);
  const usage = useQuery({
    ...trpc.apiKey.usage.queryOptions({ tenantId, keyId, days }),
    // Includes the ledger's unflushed deltas: current at every refetch.
    refetchInterval: LIVE_REFRESH_MS,
    placeholderData: (previous) => previous,
  });
  const stale = usage.isPlaceholderData;
  const t = usage.data?.totals;
  const avgLatency = t && t.requests > 0 ? Math.round(t.latencyMsSum / t.requests) : null;
  const dash = tr("common.none");
  return (
    <section className="space-y-4" aria-labelledby="key-usage-title" aria-busy={stale || undefined}>
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div>
          <h2 id="key-usage-title" className="text-lg font-semibold">
            {tr("usage.title")}
          </h2>
          <p className="mt-0.5 text-xs text-zinc-500 dark:text-zinc-400" data-testid="key-usage-live">
            {tr("live.every", { seconds: LIVE_REFRESH_MS / 1000 })}
            <span aria-live="polite" className="font-medium text-indigo-700 dark:text-indigo-300">
              {stale ? ` · ${tr("live.updating")}` : null}
            </span>
          </p>
        </div>
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
      <div className={cn("grid grid-cols-2 gap-3 md:grid-cols-4 transition-opacity", (!t || stale) && "animate-pulse opacity-60")}>
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
