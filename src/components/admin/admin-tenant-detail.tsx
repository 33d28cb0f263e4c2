"use client";

import { useQuery } from "@tanstack/react-query";
import { columnDigits, Money } from "../money";
import Link from "next/link";
import { useFormat, useT } from "~/i18n/client";
import { useTRPC } from "~/trpc/react";
import { ModelCostTable } from "../dashboard/model-cost-table";
import { StatCard } from "../dashboard/stat-card";
import { OverviewCharts, RangePicker, type BucketChoice, type RangeChoice } from "../dashboard/usage-overview";
import { Card, CardHeader } from "../ui/card";
import { SuspendButton } from "./suspend-button";
import { LIVE_REFRESH_MS } from "../live";
import { bucketCodec, overviewInput, rangeCodec } from "../url-params";
import { useUrlParam } from "../url-state";
import { DEFAULT_RANGE } from "~/lib/range";
import { TableScroller } from "~/components/ui/table-scroller";


/** One tenant as a platform admin sees it: trend, models, keys; suspend or reinstate. */
export function AdminTenantDetail({ tenantId }: { tenantId: string }) {
  const trpc = useTRPC();
  const t = useT();
  const f = useFormat();
  const [range, setRange] = useUrlParam<RangeChoice>("range", rangeCodec, DEFAULT_RANGE);
  const [bucket, setBucket] = useUrlParam<BucketChoice | undefined>("bucket", bucketCodec, undefined);
  const query = useQuery({
    ...trpc.admin.tenant.queryOptions(overviewInput(tenantId, range, bucket)),
    refetchInterval: LIVE_REFRESH_MS,
    placeholderData: (previous) => previous,
  });
  const data = query.data;
  const o = data?.overview;
  const totals = o?.totals;
  if (query.error) {
    return (
      <p role="alert" className="text-sm text-red-600 dark:text-red-400">
        {t("common.errorPrefix", { message: query.error.message })}
      </p>
    );
  }
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <Link href="/admin" className="text-sm text-indigo-700 hover:underline dark:text-indigo-300">
            {t("admin.back")}
          </Link>
          <h1 className="mt-1 text-2xl font-bold tracking-tight" data-testid="admin-tenant-name">
            {data?.tenant.name ?? "…"}
          </h1>
          {data ? (
            <p className="mt-1 text-sm text-zinc-500 dark:text-zinc-400">
              <span className="font-mono">{data.tenant.slug}</span> · {data.tenant.timeZone} ·{" "}
              {t("admin.members", { count: data.tenant.memberCount })} · {t("admin.created", { date: f.date(data.tenant.createdAt) })}
              {data.tenant.suspendedAt ? (
                <span className="ml-2 font-medium text-red-700 dark:text-red-400">
                  {t("admin.suspendedSince", { date: f.dateTime(data.tenant.suspendedAt) })}
                </span>
              ) : null}
            </p>
          ) : null}
        </div>
        {data ? <SuspendButton tenantId={data.tenant.id} name={data.tenant.name} suspended={data.tenant.suspendedAt !== null} /> : null}
      </div>
      <div className="flex justify-end">
        <RangePicker
          value={range}
          onChange={(r) => {
            setRange(r);
            setBucket(undefined);
          }}
        />
      </div>
      <div className="grid grid-cols-2 gap-3 md:grid-cols-4">
        <StatCard testId="stat-requests" label={t("usage.stat.requests")} value={totals ? f.count(totals.requests) : "—"} />
        <StatCard testId="stat-cost" label={t("usage.stat.cost")} value={totals ? f.cost(totals.costMicros) : "—"} />
        <StatCard
          testId="stat-error-rate"
          label={t("usage.stat.errorRate")}
          value={totals && totals.requests > 0 ? f.percent(totals.errorCount / totals.requests) : "—"}
        />
        <StatCard
          testId="stat-latency"
          label={t("usage.stat.latency")}
          value={totals && totals.requests > 0 ? f.ms(totals.latencyMsSum / totals.requests) : "—"}
        />
      </div>
      <OverviewCharts overview={o} onBucket={setBucket} />
      <Card>
        <CardHeader title={t("admin.models")} />
        <ModelCostTable rows={o?.byModel ?? []} emptyText={t("usage.emptyModels")} />
      </Card>
      <Card>
        <CardHeader title={t("admin.keyList")} />
        <TableScroller label={t("admin.keyList")} sticky="marked">
          <table className="w-full min-w-[560px] text-sm" data-testid="admin-keys">
            <thead className="border-y border-zinc-200 bg-zinc-50 text-xs uppercase tracking-wide text-zinc-500 dark:border-zinc-800 dark:bg-zinc-950/40 dark:text-zinc-400">
              <tr>
                <th scope="col" className="px-3 py-2 pl-5 text-left font-medium" data-sticky="start">{t("admin.keyName")}</th>
                <th scope="col" className="px-3 py-2 text-left font-medium">API ID</th>
                <th scope="col" className="px-3 py-2 text-right font-medium" data-sticky="end">{t("usage.col.cost")}</th>
                <th scope="col" className="px-3 py-2 pr-5 text-right font-medium">{t("admin.keyState")}</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
              {(data?.keys ?? []).map((k) => {
                const keyCostDigits = columnDigits((o?.topKeys ?? []).map((x) => x.costMicros));
                const spent = o?.topKeys.find((x) => x.apiKeyId === k.id);
                return (
                  <tr key={k.id}>
                    <th scope="row" className="px-3 py-2.5 pl-5 text-left font-medium" data-sticky="start">
                      {k.name} <span className="ml-1 font-mono text-xs font-normal text-zinc-500 dark:text-zinc-400">{k.keyPrefix}…</span>
                    </th>
                    <td className="px-3 py-2.5 font-mono text-xs">{k.id}</td>
                    <td className="px-3 py-2.5 text-right tabular-nums" data-sticky="end">{spent ? <Money micros={spent.costMicros} digits={keyCostDigits} /> : "—"}</td>
                    <td className="px-3 py-2.5 pr-5 text-right">
                      {k.revokedAt ? (
                        <span className="text-red-700 dark:text-red-400">{t("admin.revoked")}</span>
                      ) : (
                        <span className="text-emerald-700 dark:text-emerald-400">{t("admin.active")}</span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableScroller>
      </Card>
    </div>
  );
}
