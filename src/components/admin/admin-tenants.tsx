"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { useFormat, useT } from "~/i18n/client";
import { useTRPC } from "~/trpc/react";
import { RangePicker, type RangeChoice } from "../dashboard/usage-overview";
import { StatCard } from "../dashboard/stat-card";
import { Card, CardHeader } from "../ui/card";
import { Sparkline } from "./sparkline";
import { SuspendButton } from "./suspend-button";
import { TableScroller } from "~/components/ui/table-scroller";

export const ADMIN_DEFAULT_RANGE: RangeChoice = { kind: "30d" };

/** Every tenant ranked by spend over the period, live. */
export function AdminTenants() {
  const trpc = useTRPC();
  const t = useT();
  const f = useFormat();
  const [range, setRange] = useState<RangeChoice>(ADMIN_DEFAULT_RANGE);
  const query = useQuery({
    ...trpc.admin.tenants.queryOptions({ range }),
    refetchInterval: 10_000,
    placeholderData: (previous) => previous,
  });
  const data = query.data;
  const deadLetters = useQuery({ ...trpc.admin.deadLetters.queryOptions(), refetchInterval: 30_000 }).data;
  const th = "px-3 py-2 text-right font-medium first:text-left";
  const td = "px-3 py-2.5 text-right tabular-nums first:text-left";
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="grid flex-1 grid-cols-2 gap-3 sm:max-w-md">
          <StatCard testId="admin-total-cost" label={t("usage.stat.cost")} value={data ? f.cost(data.totalCostMicros) : "—"} />
          <StatCard testId="admin-total-requests" label={t("usage.stat.requests")} value={data ? f.count(data.totalRequests) : "—"} />
        </div>
        <RangePicker value={range} onChange={setRange} />
      </div>
      {deadLetters && deadLetters.open > 0 ? (
        <p
          role="alert"
          data-testid="admin-dead-letters"
          className="rounded-lg border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950/40 dark:text-amber-200"
        >
          {t("admin.deadLetters", { count: f.count(deadLetters.open), date: deadLetters.oldestAt ? f.dateTime(deadLetters.oldestAt) : "—" })}
        </p>
      ) : null}
      {query.error ? (
        <p role="alert" className="text-sm text-red-600 dark:text-red-400">
          {t("common.errorPrefix", { message: query.error.message })}
        </p>
      ) : null}
      <Card>
        <CardHeader title={t("admin.ranking")} />
        {data && data.tenants.length === 0 ? (
          <p className="py-6 text-center text-sm text-zinc-500 dark:text-zinc-400">{t("admin.noTenants")}</p>
        ) : (
          <TableScroller label={t("admin.ranking")} sticky="marked">
            <table className="w-full min-w-[760px] text-sm" data-testid="admin-ranking">
              <thead className="border-y border-zinc-200 bg-zinc-50 text-xs uppercase tracking-wide text-zinc-500 dark:border-zinc-800 dark:bg-zinc-950/40 dark:text-zinc-400">
                <tr>
                  <th scope="col" className={th + " pl-5"}>{t("admin.rank")}</th>
                  <th scope="col" className={th + " !text-left"} data-sticky="start">{t("admin.tenant")}</th>
                  <th scope="col" className={th}>{t("admin.keys")}</th>
                  <th scope="col" className={th}>{t("usage.col.requests")}</th>
                  <th scope="col" className={th}>{t("admin.trend")}</th>
                  <th scope="col" className={th} data-sticky="end">{t("usage.col.cost")}</th>
                  <th scope="col" className={th + " pr-5"}>
                    <span className="sr-only">{t("admin.status")}</span>
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
                {(data?.tenants ?? []).map((row, i) => (
                  <tr key={row.id} data-tenant-name={row.name} data-testid="admin-tenant-row">
                    <td className={td + " pl-5 text-zinc-500 dark:text-zinc-400"}>{i + 1}</td>
                    <th scope="row" className="px-3 py-2.5 text-left font-medium" data-sticky="start">
                      <Link
                        href={`/admin/tenants/${row.id}`}
                        className="rounded text-indigo-700 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-600 dark:text-indigo-300"
                      >
                        {row.name}
                      </Link>
                      {row.suspendedAt ? (
                        <span className="ml-2 rounded-full bg-red-100 px-2 py-0.5 text-xs font-medium text-red-800 dark:bg-red-950 dark:text-red-300">
                          {t("admin.suspended")}
                        </span>
                      ) : null}
                      <span className="block font-mono text-xs font-normal text-zinc-500 dark:text-zinc-400">{row.slug}</span>
                    </th>
                    <td className={td}>{f.count(row.keyCount)}</td>
                    <td className={td}>{f.count(row.requests)}</td>
                    <td className={td}>
                      <Sparkline values={row.trend} label={`${t("admin.trend")}: ${row.name}`} className="ml-auto text-indigo-500" />
                    </td>
                    <td className={td + " font-semibold"} data-testid="admin-tenant-cost" data-sticky="end">
                      {f.cost(row.costMicros)}
                    </td>
                    <td className={td + " pr-5"}>
                      <SuspendButton tenantId={row.id} name={row.name} suspended={row.suspendedAt !== null} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroller>
        )}
      </Card>
    </div>
  );
}
