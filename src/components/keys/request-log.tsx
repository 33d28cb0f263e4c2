"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { Fragment, useState, type FormEvent } from "react";
import { z } from "zod";
import { explanationParts } from "~/pricing/explanation-text";
import { explanationWords } from "../requests/explanation-words";
import type { RouterOutputs } from "~/trpc/types";
import {
  DEFAULT_REQUEST_LOG_SORT,
  requestLogFilterSchema,
  type RequestLogFilter,
  type RequestLogSort,
  type RequestLogSortKey,
} from "~/ledger/request-log-filter";
import type { MessageKey } from "~/i18n";
import { useFormat, useT } from "~/i18n/client";
import { useTRPC } from "~/trpc/react";
import { Button, buttonClass } from "../ui/button";
import { Card, CardHeader } from "../ui/card";
import { cn } from "../ui/cn";
import { inputClass } from "../ui/field";
import { LIVE_REFRESH_MS } from "../live";
import { columnDigits, Money } from "../money";
import { RequestSearch } from "../requests/request-search";
import { readableRequestError, refusedBeforeUpstream } from "../requests/request-error";
import { jsonCodec } from "../url-params";
import { useUrlParam } from "../url-state";
import { nextSort, SortHeader } from "../sortable";
import { REQUEST_LOG_PAGE_SIZE, REQUEST_LOG_SORT_PARAM, requestLogSortCodec } from "./key-periods";
import { TableScroller } from "~/components/ui/table-scroller";

type RequestLogRow = RouterOutputs["apiKey"]["requestLog"]["rows"][number];

const STATUS_OPTIONS = [
  { value: "", label: "requestLog.status.all" },
  { value: "2xx", label: "requestLog.status.2xx" },
  { value: "errors", label: "requestLog.status.errors" },
  { value: "4xx", label: "requestLog.status.4xx" },
  { value: "5xx", label: "requestLog.status.5xx" },
  { value: "refused", label: "requestLog.status.refused" },
] as const satisfies readonly { value: string; label: MessageKey }[];
type StatusValue = (typeof STATUS_OPTIONS)[number]["value"];

type Filter = RequestLogFilter;

/**
 * The whole filter as one URL parameter (?log={…}), read through the server's own filter schema
 * (dates as ISO text): a filter field added there travels in the URL with no change here.
 */
const filterCodec = jsonCodec(
  requestLogFilterSchema.extend({ from: z.coerce.date().optional(), to: z.coerce.date().optional() }),
);
const NO_FILTER: Filter = {};

function statusTone(status: number): string {
  if (status < 300) return "bg-emerald-50 text-emerald-700 dark:bg-emerald-950 dark:text-emerald-300";
  if (status < 500) return "bg-amber-50 text-amber-800 dark:bg-amber-950 dark:text-amber-300";
  return "bg-red-50 text-red-700 dark:bg-red-950 dark:text-red-300";
}

function exportHref(tenantId: string, keyId: string, f: Filter): string {
  const q = new URLSearchParams({ keyId });
  if (f.statusClass) q.set("statusClass", f.statusClass);
  if (f.model) q.set("model", f.model);
  if (f.from) q.set("from", f.from.toISOString());
  if (f.to) q.set("to", f.to.toISOString());
  if (f.endUserId) q.set("endUserId", f.endUserId);
  if (f.sessionId) q.set("sessionId", f.sessionId);
  return `/api/export/${tenantId}/requests?${q}`;
}

const th = "px-2 py-2 text-right font-medium whitespace-nowrap";
const thLeft = "px-2 py-2 text-left font-medium whitespace-nowrap";
const td = "px-2 py-2 text-right tabular-nums whitespace-nowrap";

export function RequestLog({ tenantId, keyId, flushSeconds }: { tenantId: string; keyId: string; flushSeconds: number }) {
  const t = useT();
  const fmt = useFormat();
  const trpc = useTRPC();
  // The model filter offers the models the key used in the last 90 days.
  const recent = useQuery(trpc.apiKey.usage.queryOptions({ tenantId, keyId, days: 90 }));
  const models = (recent.data?.byModel ?? []).map((m) => m.model).sort();
  const [filter, setFilterParam] = useUrlParam<Filter>("log", filterCodec, NO_FILTER);
  const [sort, setSortParam] = useUrlParam<RequestLogSort>(REQUEST_LOG_SORT_PARAM, requestLogSortCodec, DEFAULT_REQUEST_LOG_SORT);
  /**
   * Cursors of the pages before the current one (the current page's cursor is the last), for the
   * view they were made in: another filter or order (a click, or the URL changing) starts at page 1.
   */
  const view = `${requestLogSortCodec.format(sort)} ${JSON.stringify(filter)}`;
  const [paging, setPaging] = useState<{ view: string; cursors: (string | null)[] }>({ view, cursors: [null] });
  const cursors = paging.view === view ? paging.cursors : [null];
  const setCursors = (update: (c: (string | null)[]) => (string | null)[]) => setPaging({ view, cursors: update(cursors) });
  const cursor = cursors[cursors.length - 1] ?? null;
  const onSort = (key: RequestLogSortKey) => setSortParam(nextSort(sort, key, key === "model" ? "asc" : "desc"));
  const log = useQuery({
    ...trpc.apiKey.requestLog.queryOptions({ tenantId, keyId, filter, sort, cursor, limit: REQUEST_LOG_PAGE_SIZE }),
    placeholderData: (previous) => previous,
    // Postgres rows: a request shows at the first refetch after the flush that stored it.
    refetchInterval: cursors.length === 1 ? LIVE_REFRESH_MS : false,
  });
  const stale = log.isPlaceholderData;

  function onFilter(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const text = (n: string) => String(f.get(n) ?? "").trim();
    const date = (n: string) => (text(n) ? new Date(text(n)) : undefined);
    const next: Filter = {
      ...filter,
      statusClass: (text("statusClass") || undefined) as Filter["statusClass"],
      model: text("model") || undefined,
      from: date("from"),
      to: date("to"),
      endUserId: text("endUserId") || undefined,
      sessionId: text("sessionId") || undefined,
    };
    // Leave unset fields out, so the URL holds only what filters.
    setFilterParam(Object.fromEntries(Object.entries(next).filter(([, v]) => v !== undefined)) as Filter);
  }

  const rows = log.data?.rows ?? [];
  const costDigits = columnDigits(rows.map((r) => r.costMicros));
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const toggle = (id: string) =>
    setOpen((prev) => {
      const next = new Set(prev);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  return (
    <Card>
      <CardHeader
        title={t("requestLog.title")}
        description={t("live.requestLog", { seconds: LIVE_REFRESH_MS / 1000, flushSeconds })}
        action={
          <a className={buttonClass("secondary")} href={exportHref(tenantId, keyId, filter)} download>
            {t("common.exportCsv")}
          </a>
        }
      />
      <RequestSearch tenantId={tenantId} className="mb-3" />
      <form key={JSON.stringify(filter)} onSubmit={onFilter} className="mb-4 flex flex-wrap items-end gap-2" aria-label={t("requestLog.filter")}>
        <div>
          <label htmlFor="log-status" className="block text-xs font-medium text-zinc-600 dark:text-zinc-400">
            {t("requestLog.status")}
          </label>
          <select id="log-status" name="statusClass" defaultValue={filter.statusClass ?? ""} className={cn(inputClass, "mt-1")}>
            {STATUS_OPTIONS.map((o) => (
              <option key={o.value} value={o.value}>
                {t(o.label)}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="log-model" className="block text-xs font-medium text-zinc-600 dark:text-zinc-400">
            {t("requestLog.model")}
          </label>
          <select id="log-model" name="model" defaultValue={filter.model ?? ""} key={models.length} className={cn(inputClass, "mt-1 max-w-56")}>
            <option value="">{t("requestLog.allModels")}</option>
            {models.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="log-from" className="block text-xs font-medium text-zinc-600 dark:text-zinc-400">
            {t("requestLog.from")}
          </label>
          <input id="log-from" name="from" type="datetime-local" defaultValue={toLocalInput(filter.from)} className={cn(inputClass, "mt-1")} />
        </div>
        <div>
          <label htmlFor="log-to" className="block text-xs font-medium text-zinc-600 dark:text-zinc-400">
            {t("requestLog.to")}
          </label>
          <input id="log-to" name="to" type="datetime-local" defaultValue={toLocalInput(filter.to)} className={cn(inputClass, "mt-1")} />
        </div>
        <div>
          <label htmlFor="log-end-user" className="block text-xs font-medium text-zinc-600 dark:text-zinc-400">
            {t("requestLog.endUser")}
          </label>
          <input id="log-end-user" name="endUserId" maxLength={128} defaultValue={filter.endUserId ?? ""} placeholder={t("requestLog.anyValue")} className={cn(inputClass, "mt-1 w-44")} />
        </div>
        <div>
          <label htmlFor="log-session" className="block text-xs font-medium text-zinc-600 dark:text-zinc-400">
            {t("requestLog.session")}
          </label>
          <input id="log-session" name="sessionId" maxLength={128} defaultValue={filter.sessionId ?? ""} placeholder={t("requestLog.anyValue")} className={cn(inputClass, "mt-1 w-44")} />
        </div>
        <Button type="submit" variant="secondary">
          {t("usage.range.apply")}
        </Button>
      </form>
      {log.error ? (
        <p role="alert" className="text-sm text-red-600">
          {t("requestLog.loadError", { message: log.error.message })}
        </p>
      ) : null}
      {rows.length === 0 && log.data ? (
        <p className="py-6 text-center text-sm text-zinc-500 dark:text-zinc-400">{t("requestLog.empty")}</p>
      ) : (
        <TableScroller label={t("requestLog.title")} sticky="marked">
          <table
            className={cn("w-full min-w-[960px] text-xs transition-opacity", stale && "opacity-60")}
            data-testid="request-log-table"
            aria-busy={stale || undefined}
          >
            <thead className="border-y border-zinc-200 bg-zinc-50 uppercase tracking-wide text-zinc-500 dark:border-zinc-800 dark:bg-zinc-950/40 dark:text-zinc-400">
              <tr>
                <SortHeader column="time" sort={sort} onSort={onSort} sticky="start" align="left" className={thLeft + " pl-5"}>
                  {t("requestLog.col.time")}
                </SortHeader>
                <SortHeader column="model" sort={sort} onSort={onSort} align="left" className={thLeft}>
                  {t("usage.col.model")}
                </SortHeader>
                <th scope="col" className={thLeft}>{t("requestLog.col.endpoint")}</th>
                <SortHeader column="status" sort={sort} onSort={onSort} className={th}>
                  {t("requestLog.status")}
                </SortHeader>
                <SortHeader column="tokens" sort={sort} onSort={onSort} className={th} title={t("requestLog.col.inOutTitle")}>
                  {t("requestLog.col.inOut")}
                </SortHeader>
                <th scope="col" className={th} title={t("requestLog.col.cacheTitle")}>{t("requestLog.col.cache")}</th>
                <SortHeader column="cost" sort={sort} onSort={onSort} sticky="end" className={th}>
                  {t("usage.col.cost")}
                </SortHeader>
                <SortHeader column="latency" sort={sort} onSort={onSort} className={th}>
                  {t("requestLog.col.latency")}
                </SortHeader>
                <th scope="col" className={th + " pr-5"}>{t("requestLog.col.ttfb")}</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
              {rows.map((r) => (
                <Fragment key={r.id}>
                <tr data-request-id={r.id} className="align-top">
                  <td className="px-2 py-2 pl-5 text-left tabular-nums whitespace-nowrap" data-sticky="start">
                    <Link
                      href={`/dashboard/${tenantId}/requests/${r.id}`}
                      className="text-indigo-700 underline decoration-indigo-300 underline-offset-2 hover:decoration-2 dark:text-indigo-300"
                      data-testid="log-time"
                    >
                      {fmt.dateTimeSeconds(r.createdAt).replace(" UTC", "")}
                      {/* The name starts with the visible time (axe label-content-name-mismatch), then says what opens. */}
                      <span className="sr-only"> · {t("request.open", { id: r.id })}</span>
                    </Link>
                  </td>
                  <td className="max-w-56 truncate px-2 py-2 font-mono" title={r.requestedModel ? `${r.requestedModel} → ${r.model}` : r.model}>
                    {r.model}
                    {r.requestedModel ? (
                      <span className="block truncate text-[10px] text-zinc-500 dark:text-zinc-400" data-testid="log-requested-model">
                        ← {r.requestedModel}
                      </span>
                    ) : null}
                  </td>
                  <td className="px-2 py-2 font-mono whitespace-nowrap">
                    {r.endpoint}
                    {r.stream ? (
                      <span className="ml-1 rounded bg-zinc-100 px-1 text-[10px] uppercase text-zinc-600 dark:bg-zinc-800 dark:text-zinc-300">
                        {t("requestLog.stream")}
                      </span>
                    ) : null}
                  </td>
                  <td className={td}>
                    <span className={cn("rounded px-1.5 py-0.5 font-medium", statusTone(r.status))} data-testid="log-status">
                      {r.status}
                    </span>
                    {r.error ? (
                      <p className="mt-1 max-w-48 truncate text-left text-red-600 dark:text-red-400" title={r.error} data-testid="log-error">
                        {readableRequestError(t, r.error)}
                      </p>
                    ) : null}
                  </td>
                  <td className={td}>
                    {fmt.count(r.inputTokens)} / {fmt.count(r.outputTokens)}
                    {r.estimated ? (
                      <span
                        className="ml-1 rounded bg-amber-50 px-1 text-[10px] uppercase text-amber-800 dark:bg-amber-950 dark:text-amber-300"
                        title={t("requestLog.estimatedTitle")}
                      >
                        {t("requestLog.estimated")}
                      </span>
                    ) : null}
                  </td>
                  <td className={td}>
                    {fmt.count(r.cacheWrite5mTokens + r.cacheWrite1hTokens)} / {fmt.count(r.cacheReadTokens)}
                  </td>
                  <td className={td} title={r.priced ? undefined : t("requestLog.unpriced")} data-sticky="end">
                    <Money micros={r.costMicros} digits={costDigits} />
                    {r.priced ? null : <span className="ml-1 text-amber-700">?</span>}
                    <button
                      type="button"
                      onClick={() => toggle(r.id)}
                      aria-expanded={open.has(r.id)}
                      title={t("requestLog.detailsTitle")}
                      className="ml-2 rounded px-1 text-[10px] font-medium uppercase text-indigo-700 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-600 dark:text-indigo-300"
                      data-testid="log-why"
                    >
                      {open.has(r.id) ? t("requestLog.hideDetails") : t("requestLog.details")}
                    </button>
                  </td>
                  <td className={td}>{fmt.ms(r.latencyMs)}</td>
                  <td className={td + " pr-5"}>{r.ttfbMs === null ? t("common.none") : fmt.ms(r.ttfbMs)}</td>
                </tr>
                {open.has(r.id) ? (
                  <tr data-testid="log-detail" data-detail-for={r.id}>
                    <td colSpan={9} className="bg-zinc-50 px-5 py-3 dark:bg-zinc-950/40">
                      {r.endUserId || r.sessionId ? (
                        <p className="mb-2 font-mono text-xs text-zinc-600 dark:text-zinc-400" data-testid="log-attribution">
                          {t("requestLog.endUser")}: {r.endUserId ?? t("common.none")} · {t("requestLog.session")}: {r.sessionId ?? t("common.none")}
                        </p>
                      ) : null}
                      <CostDetail row={r} refused={refusedBeforeUpstream(r.error)} />
                    </td>
                  </tr>
                ) : null}
                </Fragment>
              ))}
            </tbody>
          </table>
        </TableScroller>
      )}
      <div className="mt-4 flex items-center justify-between gap-2">
        <span className="text-xs text-zinc-500 dark:text-zinc-400">
          {t("common.page", { page: cursors.length })}
          {log.isFetching ? ` · ${t("requestLog.refreshing")}` : ""}
        </span>
        <div className="flex gap-2">
          <Button variant="secondary" disabled={cursors.length === 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
            {t("requestLog.newer")}
          </Button>
          <Button
            variant="secondary"
            disabled={!log.data?.nextCursor}
            onClick={() => {
              const next = log.data?.nextCursor;
              if (next) setCursors((c) => [...c, next]);
            }}
          >
            {t("requestLog.older")}
          </Button>
        </div>
      </div>
    </Card>
  );
}

/** A datetime-local input's value for an instant, in the browser's zone (what the filter form reads back). */
function toLocalInput(date: Date | undefined): string | undefined {
  if (!date) return undefined;
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

/**
 * Why one request cost what it did: the explanation the ledger stored when it priced it. A request
 * refused before any upstream call has nothing to explain (its stored price line is only the rate
 * the estimate used), so it says so instead.
 */
export function CostDetail({ row, refused = false }: { row: RequestLogRow; refused?: boolean }) {
  const t = useT();
  const fmt = useFormat();
  const reported: string[] = [];
  if (row.speed) reported.push(`${t("requestLog.detail.speed")}: ${row.speed}`);
  if (row.inferenceGeo) reported.push(`${t("requestLog.detail.geo")}: ${row.inferenceGeo}`);
  if (row.serviceTier) reported.push(`${t("requestLog.detail.tier")}: ${row.serviceTier}`);
  if (row.webSearchRequests) reported.push(`${t("requestLog.detail.webSearch")}: ${row.webSearchRequests}`);
  if (row.webFetchRequests) reported.push(`${t("requestLog.detail.webFetch")}: ${row.webFetchRequests}`);
  if (row.reasoningTokens) reported.push(`${t("requestLog.detail.reasoning")}: ${fmt.count(row.reasoningTokens)}`);
  return (
    <div className="space-y-2 text-xs text-zinc-700 dark:text-zinc-300">
      <p className="font-semibold">{t("requestLog.detail.title", { cost: fmt.cost(row.costMicros) })}</p>
      {row.requestedModel ? <p>{t("requestLog.detail.requested", { requested: row.requestedModel, served: row.model })}</p> : null}
      <p>
        <span className="font-medium">{t("requestLog.detail.reported")}:</span> {reported.length ? reported.join(" · ") : t("requestLog.detail.none")}
      </p>
      {refused ? (
        <p data-testid="cost-refused">{t("requestLog.detail.refused")}</p>
      ) : row.explanation ? (
        // The details hold catalog URLs: they wrap anywhere rather than widen the page; on phones each label sits above its detail.
        <dl className="grid grid-cols-1 gap-x-4 gap-y-0.5 font-mono sm:grid-cols-[max-content_minmax(0,1fr)]" data-testid="cost-explanation">
          {explanationParts(row.explanation, explanationWords(t)).map((part, i) => (
            <Fragment key={i}>
              <dt className="text-zinc-500 dark:text-zinc-400">{part.label}</dt>
              <dd className="[overflow-wrap:anywhere] max-sm:mb-1">{part.detail}</dd>
            </Fragment>
          ))}
        </dl>
      ) : (
        <p>{row.priced ? t("requestLog.detail.noExplanation") : t("requestLog.detail.unpriced", { model: row.model })}</p>
      )}
    </div>
  );
}
