"use client";

import { useQuery } from "@tanstack/react-query";
import dynamic from "next/dynamic";
import Link from "next/link";
import { useRef, useState, type FormEvent } from "react";
import { useFormat, useT } from "~/i18n/client";
import type { MessageKey } from "~/i18n";
import type { RouterOutputs } from "~/trpc/types";
import { useTRPC } from "~/trpc/react";
import { Card, CardHeader } from "../ui/card";
import { cn } from "../ui/cn";
import { inputClass } from "../ui/field";
import { buttonClass } from "../ui/button";
import { LiveMessage } from "../ui/live-message";
import { SegmentedRadioGroup } from "../ui/segmented";
import { TableScroller } from "~/components/ui/table-scroller";
import { CacheEconomics, UnpricedBanner } from "./cache-economics";
import { ModelCostTable } from "./model-cost-table";
import { StatCard } from "./stat-card";
import { LIVE_REFRESH_MS } from "../live";
import { useNearViewport } from "../hydration";
import { bucketCodec, overviewInput, rangeCodec } from "../url-params";
import { useUrlParam } from "../url-state";
import { DEFAULT_RANGE } from "~/lib/range";
import { columnDigits, Money } from "../money";
import { SortHeader, sortRows, useSort } from "../sortable";

/**
 * The charts (recharts, the page's largest script) load after the numbers: the stat cards and
 * tables are server-rendered and interactive without waiting for them. Each placeholder has the
 * chart's height, so nothing moves when it arrives.
 */
const chartPlaceholder = (height: string) =>
  function ChartPlaceholder() {
    return <div className={cn(height, "w-full animate-pulse rounded-lg bg-zinc-50 dark:bg-zinc-950/40")} aria-hidden />;
  };
const TrendChart = dynamic(() => import("./trend-chart").then((m) => m.TrendChart), { ssr: false, loading: chartPlaceholder("h-80") });
const ModelCostChart = dynamic(() => import("./model-charts").then((m) => m.ModelCostChart), { ssr: false, loading: chartPlaceholder("h-72") });
const ModelShareChart = dynamic(() => import("./model-charts").then((m) => m.ModelShareChart), { ssr: false, loading: chartPlaceholder("h-72") });

export type RangeChoice = { kind: "today" | "7d" | "30d" | "month" } | { kind: "custom"; from: string; to: string };
export type BucketChoice = "hour" | "day";


const PRESETS: { kind: "today" | "7d" | "30d" | "month"; label: MessageKey }[] = [
  { kind: "today", label: "usage.range.today" },
  { kind: "7d", label: "usage.range.7d" },
  { kind: "30d", label: "usage.range.30d" },
  { kind: "month", label: "usage.range.month" },
];


function todayKey(): string {
  return new Date().toISOString().slice(0, 10);
}

export function RangePicker({ value, onChange }: { value: RangeChoice; onChange: (r: RangeChoice) => void }) {
  const t = useT();
  const [customOpen, setCustomOpen] = useState(value.kind === "custom");
  const [error, setError] = useState(false);
  function onApply(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const from = String(form.get("from") ?? "");
    const to = String(form.get("to") ?? "");
    const days = (Date.parse(to) - Date.parse(from)) / 86_400_000;
    if (!from || !to || !(days >= 0 && days < 366)) return setError(true);
    setError(false);
    onChange({ kind: "custom", from, to });
  }
  return (
    <div className="flex flex-col items-stretch gap-2 sm:items-end">
      <SegmentedRadioGroup
        label={t("usage.period")}
        value={customOpen ? "custom" : value.kind}
        options={[...PRESETS.map((p) => ({ value: p.kind, label: t(p.label) })), { value: "custom" as const, label: t("usage.range.custom") }]}
        onChange={(kind) => {
          if (kind === "custom") return setCustomOpen(true);
          setCustomOpen(false);
          onChange({ kind });
        }}
      />
      {customOpen ? (
        <form onSubmit={onApply} className="flex flex-wrap items-end gap-2" data-testid="custom-range">
          <label className="text-xs font-medium text-zinc-600 dark:text-zinc-300">
            {t("usage.range.from")}
            <input
              type="date"
              name="from"
              required
              max={todayKey()}
              defaultValue={value.kind === "custom" ? value.from : undefined}
              className={cn(inputClass, "mt-1 w-40 dark:[color-scheme:dark]")}
            />
          </label>
          <label className="text-xs font-medium text-zinc-600 dark:text-zinc-300">
            {t("usage.range.to")}
            <input
              type="date"
              name="to"
              required
              defaultValue={value.kind === "custom" ? value.to : todayKey()}
              className={cn(inputClass, "mt-1 w-40 dark:[color-scheme:dark]")}
            />
          </label>
          <button type="submit" className={buttonClass("secondary")}>
            {t("usage.range.apply")}
          </button>
          <LiveMessage urgent message={error ? t("usage.range.invalid") : null} className="w-full text-xs text-red-600 dark:text-red-400" />
        </form>
      ) : null}
    </div>
  );
}

export function BucketToggle({ value, onChange, allowHour }: { value: BucketChoice; onChange: (b: BucketChoice) => void; allowHour: boolean }) {
  const t = useT();
  return (
    <SegmentedRadioGroup
      label={t("usage.bucket")}
      value={value}
      options={[
        { value: "hour" as const, label: t("usage.bucket.hour"), disabled: !allowHour },
        { value: "day" as const, label: t("usage.bucket.day") },
      ]}
      onChange={onChange}
    />
  );
}

/** The requests/cost trend, cost by model over time and share of cost: the tenant dashboard's and the admin tenant page's. */
export function OverviewCharts({ overview, onBucket }: { overview: Overview | undefined; onBucket: (b: BucketChoice) => void }) {
  const t = useT();
  const multiDay = (overview?.series.length ?? 0) > 24 || (overview ? new Set(overview.series.map((p) => p.bucket.slice(0, 10))).size > 1 : false);
  const spanDays = overview ? (overview.to.getTime() - overview.from.getTime()) / 86_400_000 : 1;
  return (
    <>
      <Card>
        <CardHeader
          title={t("usage.trend.title")}
          description={overview ? t(overview.bucket === "hour" ? "usage.trend.hourly" : "usage.trend.daily", { timeZone: overview.timeZone }) : undefined}
          action={<BucketToggle value={overview?.bucket ?? "day"} onChange={onBucket} allowHour={spanDays <= 31.5} />}
        />
        <TrendChart points={overview?.series ?? []} multiDay={multiDay} />
      </Card>
      <div className="grid grid-cols-1 gap-6 lg:grid-cols-5">
        <Card className="lg:col-span-3">
          <CardHeader title={t("usage.modelTrend.title")} />
          <ModelCostChart models={overview?.models ?? []} points={overview?.series ?? []} multiDay={multiDay} />
        </Card>
        <Card className="lg:col-span-2">
          <CardHeader title={t("usage.share.title")} />
          <ModelShareChart rows={overview?.byModel ?? []} />
        </Card>
      </div>
    </>
  );
}

/**
 * Days the usage CSV covers for a range: the export takes the last N days (today included), so a
 * month or custom range exports from its first day up to today.
 */
function exportDays(range: RangeChoice): number {
  const today = new Date();
  const sinceDay = (day: string) => Math.floor((Date.parse(today.toISOString().slice(0, 10)) - Date.parse(day)) / 86_400_000) + 1;
  switch (range.kind) {
    case "today":
      return 1;
    case "7d":
      return 7;
    case "30d":
      return 30;
    case "month":
      return today.getUTCDate();
    case "custom":
      return Math.min(366, Math.max(1, sinceDay(range.from)));
  }
}

export function UsageOverview({ tenantId, canSeeKeys = true }: { tenantId: string; canSeeKeys?: boolean }) {
  const trpc = useTRPC();
  const t = useT();
  const f = useFormat();
  const [range, setRange] = useUrlParam<RangeChoice>("range", rangeCodec, DEFAULT_RANGE);
  const [bucket, setBucket] = useUrlParam<BucketChoice | undefined>("bucket", bucketCodec, undefined);
  const overview = useQuery({
    ...trpc.usage.overview.queryOptions(overviewInput(tenantId, range, bucket)),
    // Reads the ledger's unflushed deltas too: every refetch is current.
    refetchInterval: LIVE_REFRESH_MS,
    placeholderData: (previous) => previous,
  });
  // A new range or bucket: the numbers on screen are the old ones until the answer comes.
  const stale = overview.isPlaceholderData;
  const data = overview.data;
  const totals = data?.totals;
  const dash = t("common.none");
  const tokens = totals ? totals.inputTokens + totals.outputTokens + totals.cacheWrite5mTokens + totals.cacheWrite1hTokens + totals.cacheReadTokens : 0;

  return (
    <section className="space-y-6" aria-labelledby="usage-title" aria-busy={stale || undefined}>
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div>
          <h2 id="usage-title" className="text-lg font-semibold">
            {t("usage.title")}
          </h2>
          <p className="mt-0.5 flex items-center gap-1.5 text-xs text-zinc-500 dark:text-zinc-400">
            <span aria-hidden className="size-1.5 rounded-full bg-emerald-500" />
            {t("live.every", { seconds: LIVE_REFRESH_MS / 1000 })}
            <span aria-live="polite" className="font-medium text-indigo-700 dark:text-indigo-300" data-testid="usage-updating">
              {stale ? `· ${t("live.updating")}` : null}
            </span>
            {data ? <span className="font-mono">· {data.timeZone}</span> : null}
          </p>
        </div>
        <div className="flex flex-wrap items-start gap-2">
          <a
            className={buttonClass("secondary")}
            href={`/api/export/${tenantId}/usage?days=${exportDays(range)}`}
            download
            data-testid="tenant-export"
            title={t("usage.exportTitle", { days: exportDays(range) })}
          >
            {t("common.exportCsv")}
          </a>
          <RangePicker
            value={range}
            onChange={(r) => {
              setRange(r);
              setBucket(undefined);
            }}
          />
        </div>
      </div>
      {overview.error ? (
        <p role="alert" className="text-sm text-red-600 dark:text-red-400">
          {t("usage.loadError", { message: overview.error.message })}
        </p>
      ) : null}
      {data && "unpricedModels" in data ? <UnpricedBanner models={data.unpricedModels} /> : null}
      <div className={cn("grid grid-cols-2 gap-3 md:grid-cols-4 transition-opacity", (!totals || stale) && "animate-pulse opacity-60")}>
        <StatCard
          testId="stat-requests"
          label={t("usage.stat.requests")}
          value={totals ? f.count(totals.requests) : dash}
          hint={totals ? t("usage.stat.errors", { count: totals.errorCount }) : undefined}
        />
        <StatCard
          testId="stat-cost"
          label={t("usage.stat.cost")}
          value={totals ? f.cost(totals.costMicros) : dash}
          hint={totals && totals.estimatedCount > 0 ? t("usage.stat.estimated", { count: totals.estimatedCount }) : undefined}
        />
        <StatCard
          testId="stat-error-rate"
          label={t("usage.stat.errorRate")}
          value={totals ? (totals.requests > 0 ? f.percent(totals.errorCount / totals.requests) : dash) : dash}
        />
        <StatCard
          testId="stat-latency"
          label={t("usage.stat.latency")}
          value={totals ? (totals.requests > 0 ? f.ms(totals.latencyMsSum / totals.requests) : dash) : dash}
        />
        <StatCard testId="stat-input" label={t("usage.stat.input")} value={totals ? f.count(totals.inputTokens) : dash} />
        <StatCard testId="stat-output" label={t("usage.stat.output")} value={totals ? f.count(totals.outputTokens) : dash} />
        <StatCard
          testId="stat-cache-write"
          label={t("usage.stat.cacheWrite")}
          value={totals ? f.count(totals.cacheWrite5mTokens + totals.cacheWrite1hTokens) : dash}
          hint={totals ? `5m ${f.count(totals.cacheWrite5mTokens)} · 1h ${f.count(totals.cacheWrite1hTokens)}` : undefined}
        />
        <StatCard
          testId="stat-cache-read"
          label={t("usage.stat.cacheRead")}
          value={totals ? f.count(totals.cacheReadTokens) : dash}
          hint={totals ? `${t("usage.stat.tokens")}: ${f.count(tokens)}` : undefined}
        />
      </div>
      <OverviewCharts overview={data} onBucket={setBucket} />
      <Card>
        <CardHeader title={t("usage.models.title")} description={t("usage.models.description")} />
        <ModelCostTable rows={data?.byModel ?? []} emptyText={t("usage.emptyModels")} />
      </Card>
      <Card>
        <CardHeader title={t("usage.topKeys.title")} description={t("usage.topKeys.description")} />
        <TopKeys tenantId={tenantId} rows={data?.topKeys ?? []} linkKeys={canSeeKeys} totalCost={totals?.costMicros ?? 0} />
      </Card>
      <TenantCacheEconomics tenantId={tenantId} range={range} />
    </section>
  );
}

/**
 * Cache economics per key, model and day: its own query (up to keys × models × days rows), asked
 * by the browser when the table comes near the screen and refreshed while it is there, so it never
 * holds up the numbers above (nor costs the server anything for visits that do not scroll to it).
 */
function TenantCacheEconomics({ tenantId, range }: { tenantId: string; range: RangeChoice }) {
  const trpc = useTRPC();
  const ref = useRef<HTMLDivElement>(null);
  const near = useNearViewport(ref);
  const cache = useQuery({
    ...trpc.usage.cacheEconomics.queryOptions({ tenantId, range }),
    enabled: near,
    refetchInterval: LIVE_REFRESH_MS,
    placeholderData: (previous) => previous,
  });
  // Names for the key column: the key list's cache entry (the keys section streams it in).
  const keyList = useQuery({ ...trpc.apiKey.list.queryOptions({ tenantId }), enabled: false });
  const keyNames = new Map((keyList.data ?? []).map((k) => [k.id, k.name]));
  return (
    <div ref={ref}>
      <CacheEconomics
        rows={cache.data?.rows ?? []}
        totals={cache.data?.totals}
        timeZone={cache.data?.timeZone}
        loading={!cache.data}
        keyName={(id) => keyNames.get(id) ?? id.slice(0, 8)}
      />
    </div>
  );
}

type Overview = RouterOutputs["usage"]["overview"];
type TopKeyRow = Overview["topKeys"][number];

function TopKeys({ tenantId, rows, linkKeys, totalCost }: { tenantId: string; rows: readonly TopKeyRow[]; linkKeys: boolean; totalCost: number }) {
  const t = useT();
  const f = useFormat();
  const [sort, onSort] = useSort<"name" | "requests" | "cost">({ key: "cost", dir: "desc" });
  if (rows.length === 0) return <p className="py-6 text-center text-sm text-zinc-500 dark:text-zinc-400">{t("usage.emptyModels")}</p>;
  const th = "px-3 py-2 text-right font-medium first:text-left";
  const td = "px-3 py-2.5 text-right tabular-nums first:text-left";
  const costDigits = columnDigits(rows.map((k) => k.costMicros));
  return (
    <TableScroller label={t("usage.topKeys.title")}>
      <table className="w-full min-w-[480px] text-sm" data-testid="top-keys">
        <thead className="border-y border-zinc-200 bg-zinc-50 text-xs uppercase tracking-wide text-zinc-500 dark:border-zinc-800 dark:bg-zinc-950/40 dark:text-zinc-400">
          <tr>
            <SortHeader column="name" sort={sort} onSort={onSort} className={th + " pl-5"} align="left">
              {t("usage.topKeys.key")}
            </SortHeader>
            <SortHeader column="requests" sort={sort} onSort={onSort} className={th}>
              {t("usage.col.requests")}
            </SortHeader>
            <th scope="col" className={th}>{t("usage.col.share")}</th>
            <SortHeader column="cost" sort={sort} onSort={onSort} className={th + " pr-5"}>
              {t("usage.col.cost")}
            </SortHeader>
          </tr>
        </thead>
        <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
          {sortRows(rows, sort, (k, key) => (key === "name" ? (k.name ?? "") : key === "requests" ? k.requests : k.costMicros)).map((k) => {
            const label = k.name ?? t("usage.topKeys.deleted");
            return (
              <tr key={k.apiKeyId}>
                <th scope="row" className={td + " pl-5 font-medium"}>
                  {linkKeys && k.name ? (
                    <Link href={`/dashboard/${tenantId}/keys/${k.apiKeyId}`} className="rounded text-indigo-700 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-600 dark:text-indigo-300">
                      {label}
                    </Link>
                  ) : (
                    label
                  )}
                  {k.keyPrefix ? <span className="ml-2 font-mono text-xs text-zinc-500 dark:text-zinc-400">{k.keyPrefix}…</span> : null}
                  {k.revoked ? <span className="ml-2 text-xs text-red-600 dark:text-red-400">✕</span> : null}
                </th>
                <td className={td}>{f.count(k.requests)}</td>
                <td className={td}>{totalCost > 0 ? f.percent(k.costMicros / totalCost) : "—"}</td>
                <td className={td + " pr-5 font-semibold"}>
                  <Money micros={k.costMicros} digits={costDigits} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </TableScroller>
  );
}
