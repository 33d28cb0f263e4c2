"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState } from "react";
import { useFormat, useT } from "~/i18n/client";
import { useTRPC } from "~/trpc/react";
import { RangePicker, type RangeChoice } from "../dashboard/usage-overview";
import { StatCard } from "../dashboard/stat-card";
import { Card, CardHeader } from "../ui/card";
import { Sparkline } from "./sparkline";
import { columnDigits, Money } from "../money";
import { LIVE_REFRESH_MS } from "../live";
import { nextSort, SortHeader } from "../sortable";
import { inputClass } from "../ui/field";
import { Button } from "../ui/button";
import { pageCodec, rangeCodec } from "../url-params";
import { useUrlParam } from "../url-state";
import { DEFAULT_RANGE, type RangeInput } from "~/lib/range";
import { ADMIN_TENANT_SEARCH_MAX, type AdminTenantSortKey } from "~/lib/admin-tenant-list";
import { adminSortCodec, adminTenantsInput, DEFAULT_ADMIN_SORT, searchCodec, type AdminSort } from "./admin-params";
import { SuspendButton } from "./suspend-button";
import { TableScroller } from "~/components/ui/table-scroller";

/** Typing settles this long before the search goes to the URL and the server. */
const SEARCH_DEBOUNCE_MS = 250;

/** Every tenant ranked by spend over the period, live; searched, sorted and paged by the server. */
export function AdminTenants() {
  const trpc = useTRPC();
  const t = useT();
  const f = useFormat();
  const [range, setRange] = useUrlParam<RangeInput>("range", rangeCodec, DEFAULT_RANGE);
  const [search, setSearch] = useUrlParam<string>("q", searchCodec, "");
  const [sort, setSort] = useUrlParam<AdminSort>("sort", adminSortCodec, DEFAULT_ADMIN_SORT);
  const [page, setPage] = useUrlParam<number>("page", pageCodec, 1);
  // The box shows every key press; the URL (and the query) follow once typing pauses.
  const [typed, setTyped] = useState(search);
  useEffect(() => {
    if (typed.trim() === search) return;
    const timer = setTimeout(() => {
      setSearch(typed.trim());
      setPage(1);
    }, SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [typed, search, setSearch, setPage]);
  const query = useQuery({
    ...trpc.admin.tenants.queryOptions(adminTenantsInput({ range, search, sort, page })),
    refetchInterval: LIVE_REFRESH_MS,
    placeholderData: (previous) => previous,
  });
  const data = query.data;
  const stale = query.isPlaceholderData;
  const shown = data?.tenants ?? [];
  const onSort = (key: AdminTenantSortKey) => {
    setSort(nextSort(sort, key, key === "name" ? "asc" : "desc"));
    setPage(1);
  };
  const deadLetters = useQuery({ ...trpc.admin.deadLetters.queryOptions(), refetchInterval: 30_000 }).data;
  const costDigits = columnDigits(shown.map((r) => r.costMicros));
  const th = "px-3 py-2 text-right font-medium first:text-left";
  const td = "px-3 py-2.5 text-right tabular-nums first:text-left";
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="grid flex-1 grid-cols-2 gap-3 sm:max-w-md">
          <StatCard testId="admin-total-cost" label={t("usage.stat.cost")} value={data ? f.cost(data.totalCostMicros) : "—"} />
          <StatCard testId="admin-total-requests" label={t("usage.stat.requests")} value={data ? f.count(data.totalRequests) : "—"} />
        </div>
        <RangePicker
          value={range}
          onChange={(r) => {
            setRange(r);
            setPage(1);
          }}
        />
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
        <CardHeader
          title={t("admin.ranking")}
          description={`${t("live.every", { seconds: LIVE_REFRESH_MS / 1000 })}${stale ? ` · ${t("live.updating")}` : ""}`}
          action={
            <div role="search">
              <label htmlFor="admin-tenant-search" className="sr-only">
                {t("admin.search")}
              </label>
              <input
                id="admin-tenant-search"
                type="search"
                value={typed}
                maxLength={ADMIN_TENANT_SEARCH_MAX}
                onChange={(e) => setTyped(e.target.value)}
                placeholder={t("admin.search")}
                className={inputClass + " w-64 max-w-full"}
                data-testid="admin-tenant-search"
              />
            </div>
          }
        />
        {data && data.tenantCount === 0 ? (
          <p className="py-6 text-center text-sm text-zinc-500 dark:text-zinc-400">{t("admin.noTenants")}</p>
        ) : (
          <TableScroller label={t("admin.ranking")} sticky="marked">
            <table
              className={"w-full min-w-[760px] text-sm transition-opacity" + (stale ? " opacity-60" : "")}
              data-testid="admin-ranking"
              aria-busy={stale || undefined}
            >
              <thead className="border-y border-zinc-200 bg-zinc-50 text-xs uppercase tracking-wide text-zinc-500 dark:border-zinc-800 dark:bg-zinc-950/40 dark:text-zinc-400">
                <tr>
                  <th scope="col" className={th + " pl-5"}>{t("admin.rank")}</th>
                  <SortHeader column="name" sort={sort} onSort={onSort} sticky="start" className={th + " !text-left"} align="left">
                    {t("admin.tenant")}
                  </SortHeader>
                  <SortHeader column="keys" sort={sort} onSort={onSort} className={th}>
                    {t("admin.keys")}
                  </SortHeader>
                  <SortHeader column="requests" sort={sort} onSort={onSort} className={th}>
                    {t("usage.col.requests")}
                  </SortHeader>
                  <th scope="col" className={th}>{t("admin.trend")}</th>
                  <SortHeader column="cost" sort={sort} onSort={onSort} sticky="end" className={th}>
                    {t("usage.col.cost")}
                  </SortHeader>
                  <th scope="col" className={th + " pr-5"}>
                    <span className="sr-only">{t("admin.status")}</span>
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
                {shown.map((row) => (
                  <tr key={row.id} data-tenant-name={row.name} data-testid="admin-tenant-row">
                    <td className={td + " pl-5 text-zinc-500 dark:text-zinc-400"}>{row.rank}</td>
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
                      <Money micros={row.costMicros} digits={costDigits} />
                    </td>
                    <td className={td + " pr-5"}>
                      <SuspendButton tenantId={row.id} name={row.name} suspended={row.suspendedAt !== null} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {data && data.matchCount === 0 && data.tenantCount > 0 ? (
              <p className="py-6 text-center text-sm text-zinc-500 dark:text-zinc-400">{t("admin.noMatch")}</p>
            ) : null}
          </TableScroller>
        )}
        <div className="mt-4 flex items-center justify-between gap-2 text-xs text-zinc-500 dark:text-zinc-400">
          <span data-testid="admin-page-status">
            {data ? t("admin.pageStatus", { page: data.page, pages: data.pages, count: data.matchCount }) : "—"}
          </span>
          <div className="flex gap-2">
            <Button variant="secondary" disabled={!data || data.page <= 1} onClick={() => data && setPage(data.page - 1)}>
              {t("common.previous")}
            </Button>
            <Button
              variant="secondary"
              disabled={!data || data.page >= data.pages}
              onClick={() => data && setPage(data.page + 1)}
              data-testid="admin-next-page"
            >
              {t("common.next")}
            </Button>
          </div>
        </div>
      </Card>
    </div>
  );
}
