"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { LIVE_REFRESH_MS } from "../live";
import { columnDigits, Money } from "../money";
import { nextSort, SortHeader, sortRows, useSort } from "../sortable";
import { useUrlParam } from "../url-state";
import {
  DEFAULT_SESSION_SORT,
  keyIdCodec,
  PEOPLE_DEFAULT_DAYS,
  PEOPLE_PERIODS,
  peopleDaysCodec,
  personCodec,
  SESSION_SORT_PARAM,
  sessionSortCodec,
  SESSIONS_PAGE_SIZE,
  type PeoplePeriod,
  type SessionSort,
  type SessionSortKey,
} from "./people-params";
import type { RouterOutputs } from "~/trpc/types";
import { useFormat, useT } from "~/i18n/client";
import { useTRPC } from "~/trpc/react";
import { Button, buttonClass } from "../ui/button";
import { Card, CardHeader } from "../ui/card";
import { cn } from "../ui/cn";
import { inputClass } from "../ui/field";
import { TableScroller } from "../ui/table-scroller";

type Period = PeoplePeriod;
const PERIODS = PEOPLE_PERIODS;

type Person = RouterOutputs["people"]["list"]["people"][number];
type Session = RouterOutputs["people"]["sessions"]["sessions"][number];
type Caps = RouterOutputs["people"]["list"]["caps"];
type PersonSortKey = "person" | "requests" | "tokens" | "cost" | "lastSeen";

const th = "px-3 py-2 text-right font-medium whitespace-nowrap";
const thLeft = "px-3 py-2 text-left font-medium whitespace-nowrap";
const td = "px-3 py-2.5 text-right tabular-nums whitespace-nowrap";
const tdLeft = "px-3 py-2.5 text-left whitespace-nowrap";
const head = "border-y border-zinc-200 bg-zinc-50 text-xs uppercase tracking-wide text-zinc-500 dark:border-zinc-800 dark:bg-zinc-950/40 dark:text-zinc-400";

const tokensOf = (m: { inputTokens: number; outputTokens: number; cacheWrite5mTokens: number; cacheWrite1hTokens: number; cacheReadTokens: number }) =>
  m.inputTokens + m.outputTokens + m.cacheWrite5mTokens + m.cacheWrite1hTokens + m.cacheReadTokens;

function exportHref(tenantId: string, by: "user" | "session", days: number, keyId: string | undefined, endUserId: string | undefined): string {
  const q = new URLSearchParams({ by, days: String(days) });
  if (keyId) q.set("keyId", keyId);
  if (endUserId) q.set("endUserId", endUserId);
  return `/api/export/${tenantId}/usage?${q}`;
}

/**
 * People (usage by end user) and Sessions of a tenant, or of one key; the period, the key and the
 * person whose sessions show are in the URL (./people-params).
 */
export function PeopleView({ tenantId, flushSeconds }: { tenantId: string; flushSeconds: number }) {
  const t = useT();
  const trpc = useTRPC();
  const [days, setDays] = useUrlParam<Period>("days", peopleDaysCodec, PEOPLE_DEFAULT_DAYS);
  const [keyId, setKeyId] = useUrlParam<string | undefined>("key", keyIdCodec, undefined);
  const [person, setPerson] = useUrlParam<string | undefined>("person", personCodec, undefined);
  const keys = useQuery(trpc.apiKey.list.queryOptions({ tenantId }));
  const keyName = keys.data?.find((k) => k.id === keyId)?.name;
  // Postgres rollups: a request counts here at the first refetch after the flush that stored it.
  const people = useQuery({
    ...trpc.people.list.queryOptions({ tenantId, keyId, days }),
    refetchInterval: LIVE_REFRESH_MS,
    placeholderData: (previous) => previous,
  });

  return (
    <div className="space-y-6">
      <form className="flex flex-wrap items-end gap-3" aria-label={t("people.pageTitle")} onSubmit={(e) => e.preventDefault()}>
        <div>
          <label htmlFor="people-period" className="block text-xs font-medium text-zinc-600 dark:text-zinc-400">
            {t("people.period")}
          </label>
          <select
            id="people-period"
            className={cn(inputClass, "mt-1")}
            value={days}
            onChange={(e) => setDays(Number(e.target.value) as Period)}
          >
            {PERIODS.map((d) => (
              <option key={d} value={d}>
                {d === 1 ? t("people.period.today") : t("people.period.days", { days: d })}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="people-key" className="block text-xs font-medium text-zinc-600 dark:text-zinc-400">
            {t("people.key")}
          </label>
          <select
            id="people-key"
            className={cn(inputClass, "mt-1 max-w-64")}
            value={keyId ?? ""}
            onChange={(e) => {
              setKeyId(e.target.value || undefined);
              setPerson(undefined);
            }}
          >
            <option value="">{t("people.allKeys")}</option>
            {(keys.data ?? []).map((k) => (
              <option key={k.id} value={k.id}>
                {k.name}
              </option>
            ))}
          </select>
        </div>
      </form>

      <Card>
        <CardHeader
          title={keyName ? t("people.titleKey", { name: keyName }) : t("people.title")}
          description={`${t("people.description")} ${t("live.people", { seconds: LIVE_REFRESH_MS / 1000, flushSeconds })}`}
          action={
            <a className={buttonClass("secondary")} href={exportHref(tenantId, "user", days, keyId, undefined)} download>
              {t("people.exportPeople")}
            </a>
          }
        />
        {people.error ? (
          <p className="text-sm text-red-600">{t("common.errorPrefix", { message: people.error.message })}</p>
        ) : !people.data ? (
          <p className="text-sm text-zinc-500">{t("common.loading")}</p>
        ) : (
          <PeopleTable
            rows={people.data.people}
            total={people.data.total}
            caps={people.data.caps}
            selected={person}
            onSelect={setPerson}
            stale={people.isPlaceholderData}
          />
        )}
      </Card>

      <SessionsCard tenantId={tenantId} keyId={keyId} days={days} person={person} caps={people.data?.caps} onClear={() => setPerson(undefined)} />
    </div>
  );
}

function personLabel(t: ReturnType<typeof useT>, p: Pick<Person, "kind" | "endUserId">, caps: Caps): string {
  if (p.kind === "none") return t("people.none");
  if (p.kind === "other") return t("people.other", { cap: caps.peoplePerKeyDay });
  return p.endUserId;
}

function PeopleTable({
  rows,
  total,
  caps,
  selected,
  onSelect,
  stale,
}: {
  rows: readonly Person[];
  total: number;
  caps: Caps;
  selected: string | undefined;
  onSelect: (person: string | undefined) => void;
  /** The previous period's rows while the new one loads. */
  stale: boolean;
}) {
  const t = useT();
  const f = useFormat();
  // The rows are the period's top people by cost (all of them up to the server's limit): sorted here.
  const [sort, onSort] = useSort<PersonSortKey>({ key: "cost", dir: "desc" });
  const shown = sortRows(rows, sort, (p, key) =>
    key === "person" ? p.endUserId : key === "requests" ? p.requests : key === "tokens" ? tokensOf(p) : key === "lastSeen" ? new Date(p.lastSeenAt).getTime() : p.costMicros,
  );
  const costDigits = columnDigits(rows.map((p) => p.costMicros));
  if (rows.length === 0) return <p className="py-6 text-center text-sm text-zinc-500 dark:text-zinc-400">{t("people.empty")}</p>;
  return (
    <>
      <TableScroller label={t("people.title")} sticky="marked">
        <table
          className={cn("w-full min-w-[640px] text-sm transition-opacity", stale && "opacity-60")}
          data-testid="people-table"
          aria-busy={stale || undefined}
        >
          <thead className={head}>
            <tr>
              <SortHeader column="person" sort={sort} onSort={onSort} align="left" sticky="start" className={thLeft + " pl-5"}>
                {t("people.col.person")}
              </SortHeader>
              <th scope="col" className={th}>{t("people.col.keys")}</th>
              <SortHeader column="requests" sort={sort} onSort={onSort} className={th}>
                {t("people.col.requests")}
              </SortHeader>
              <SortHeader column="tokens" sort={sort} onSort={onSort} className={th}>
                {t("people.col.tokens")}
              </SortHeader>
              <SortHeader column="cost" sort={sort} onSort={onSort} sticky="end" className={th}>
                {t("people.col.cost")}
              </SortHeader>
              <SortHeader column="lastSeen" sort={sort} onSort={onSort} className={th + " pr-5"}>
                {t("people.col.lastSeen")}
              </SortHeader>
            </tr>
          </thead>
          <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
            {shown.map((p) => (
              <tr key={p.endUserId} data-person={p.endUserId} className={cn(selected === p.endUserId && p.kind === "named" && "bg-blue-50 dark:bg-blue-950/40")}>
                <th scope="row" className={tdLeft + " pl-5 font-mono text-xs font-medium"} data-sticky="start">
                  {p.kind === "named" ? (
                    <button
                      type="button"
                      className="max-w-[22rem] truncate text-left text-blue-700 hover:underline dark:text-blue-300"
                      title={t("people.showSessions", { person: p.endUserId })}
                      aria-pressed={selected === p.endUserId}
                      onClick={() => onSelect(selected === p.endUserId ? undefined : p.endUserId)}
                    >
                      {p.endUserId}
                    </button>
                  ) : (
                    <span className="text-zinc-500 dark:text-zinc-400">{personLabel(t, p, caps)}</span>
                  )}
                </th>
                <td className={td}>{f.count(p.keys)}</td>
                <td className={td} data-testid="person-requests">{f.count(p.requests)}</td>
                <td className={td}>{f.count(tokensOf(p))}</td>
                <td className={td + " font-semibold"} data-testid="person-cost" data-sticky="end">
                  <Money micros={p.costMicros} digits={costDigits} />
                </td>
                <td className={td + " pr-5"}>{f.dateTime(new Date(p.lastSeenAt), "UTC")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroller>
      {total > rows.length ? <p className="mt-3 text-xs text-zinc-500">{t("people.more", { shown: rows.length, total })}</p> : null}
    </>
  );
}

function formatDuration(t: ReturnType<typeof useT>, ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return t("duration.s", { n: s });
  const min = Math.round(s / 60);
  if (min < 120) return t("duration.min", { n: min });
  return t("duration.h", { n: Math.round(min / 6) / 10 });
}

function SessionsCard({
  tenantId,
  keyId,
  days,
  person,
  caps,
  onClear,
}: {
  tenantId: string;
  keyId: string | undefined;
  days: Period;
  person: string | undefined;
  caps: Caps | undefined;
  onClear: () => void;
}) {
  const t = useT();
  const f = useFormat();
  const trpc = useTRPC();
  // Sorted by the server (the table is paged): the order is in the URL, and a cursor belongs to one order.
  const [sort, setSort] = useUrlParam<SessionSort>(SESSION_SORT_PARAM, sessionSortCodec, DEFAULT_SESSION_SORT);
  const onSort = (key: SessionSortKey) => setSort(nextSort(sort, key));
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const view = `${keyId}|${days}|${person}|${sessionSortCodec.format(sort)}`;
  const [scope, setScope] = useState(view);
  if (scope !== view) {
    setScope(view);
    setCursors([null]);
  }
  const cursor = cursors[cursors.length - 1] ?? null;
  const sessions = useQuery({
    ...trpc.people.sessions.queryOptions({ tenantId, keyId, endUserId: person, days, sort, cursor, limit: SESSIONS_PAGE_SIZE }),
    placeholderData: (previous) => previous,
    refetchInterval: cursors.length === 1 ? LIVE_REFRESH_MS : false,
  });
  const rows: readonly Session[] = sessions.data?.sessions ?? [];
  const costDigits = columnDigits(rows.map((s) => s.costMicros));
  return (
    <Card>
      <CardHeader
        title={person ? t("sessions.titleFor", { person }) : t("sessions.title")}
        description={t("sessions.description")}
        action={
          <div className="flex flex-wrap gap-2">
            {person ? (
              <Button variant="secondary" onClick={onClear}>
                {t("sessions.clear")}
              </Button>
            ) : null}
            <a className={buttonClass("secondary")} href={exportHref(tenantId, "session", days, keyId, person)} download>
              {t("sessions.export")}
            </a>
          </div>
        }
      />
      {sessions.error ? (
        <p className="text-sm text-red-600">{t("common.errorPrefix", { message: sessions.error.message })}</p>
      ) : !sessions.data ? (
        <p className="text-sm text-zinc-500">{t("common.loading")}</p>
      ) : rows.length === 0 ? (
        <p className="py-6 text-center text-sm text-zinc-500 dark:text-zinc-400">{t("sessions.empty")}</p>
      ) : (
        <TableScroller label={t("sessions.title")}>
          <table className={cn("w-full min-w-[720px] text-sm transition-opacity", sessions.isPlaceholderData && "opacity-60")} data-testid="sessions-table" aria-busy={sessions.isPlaceholderData || undefined}>
            <thead className={head}>
              <tr>
                <th scope="col" className={thLeft + " pl-5"}>{t("sessions.col.session")}</th>
                <th scope="col" className={thLeft}>{t("sessions.col.person")}</th>
                <th scope="col" className={thLeft}>{t("sessions.col.key")}</th>
                <SortHeader column="lastSeen" sort={sort} onSort={onSort} className={th}>
                  {t("sessions.col.lastSeen")}
                </SortHeader>
                <SortHeader column="duration" sort={sort} onSort={onSort} className={th}>
                  {t("sessions.col.duration")}
                </SortHeader>
                <SortHeader column="requests" sort={sort} onSort={onSort} className={th}>
                  {t("sessions.col.requests")}
                </SortHeader>
                <SortHeader column="tokens" sort={sort} onSort={onSort} className={th}>
                  {t("sessions.col.tokens")}
                </SortHeader>
                <SortHeader column="cost" sort={sort} onSort={onSort} className={th + " pr-5"}>
                  {t("sessions.col.cost")}
                </SortHeader>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
              {rows.map((s) => (
                <tr key={`${s.apiKeyId}/${s.sessionId}`} data-session={s.sessionId}>
                  <th scope="row" className={tdLeft + " pl-5 font-mono text-xs font-medium"}>
                    {s.overflow ? (
                      <span className="text-zinc-500">{t("sessions.overflow", { day: s.sessionId.slice(7, 17), cap: caps?.sessionsPerKeyDay ?? "" })}</span>
                    ) : (
                      <span className="inline-block max-w-[9rem] truncate align-bottom" title={s.sessionId}>
                        {s.sessionId}
                      </span>
                    )}
                  </th>
                  <td className={tdLeft + " font-mono text-xs"}>
                    <span className="inline-block max-w-[9rem] truncate align-bottom" title={s.endUserId ?? ""}>
                      {s.endUserId ?? t("common.none")}
                    </span>
                  </td>
                  <td className={tdLeft}>{s.keyName}</td>
                  {/* The start is the last activity less the duration; one date column keeps the table within a desktop card. */}
                  <td className={td} data-testid="session-last-seen" title={t("sessions.startedAt", { time: f.dateTime(new Date(s.firstSeenAt), "UTC") })}>
                    {f.dateTime(new Date(s.lastSeenAt), "UTC")}
                  </td>
                  <td className={td} data-testid="session-duration">{formatDuration(t, s.durationMs)}</td>
                  <td className={td} data-testid="session-requests">{f.count(s.requests)}</td>
                  <td className={td}>{f.count(tokensOf(s))}</td>
                  <td className={td + " pr-5 font-semibold"} data-testid="session-cost">
                    <Money micros={s.costMicros} digits={costDigits} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroller>
      )}
      {sessions.data?.nextCursor || cursors.length > 1 ? (
        <div className="mt-4 flex gap-2">
          <Button variant="secondary" disabled={cursors.length === 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
            {t("common.previous")}
          </Button>
          <Button
            variant="secondary"
            disabled={!sessions.data?.nextCursor}
            onClick={() => sessions.data?.nextCursor && setCursors((c) => [...c, sessions.data!.nextCursor])}
          >
            {t("sessions.more")}
          </Button>
        </div>
      ) : null}
    </Card>
  );
}
