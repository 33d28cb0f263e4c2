import type { LimitStatus } from "~/ledger";
import type { KeyLookup, PeriodUsage } from "./key-lookup";
import type { PersonRow, SessionRow } from "./people";
import type { UsageTotals } from "./usage-report";

type WithUsd<T extends UsageTotals> = T & { costUsd: string };

interface PeriodJson {
  from: string;
  totals: WithUsd<UsageTotals>;
  models: WithUsd<UsageTotals & { model: string }>[];
}

export interface KeyLookupJson {
  /** null only in POST answers for a key that is unknown or revoked. */
  apiId: string | null;
  /** false for an unknown or revoked key (the rest is then zeros and empty lists). */
  found: boolean;
  asOf: string;
  timeZone: string;
  expiresAt: string | null;
  totals: WithUsd<UsageTotals>;
  models: WithUsd<UsageTotals & { model: string }>[];
  today: PeriodJson;
  thisMonth: PeriodJson;
  limits: (LimitStatus & { maxUsd?: string; usedUsd?: string })[];
}

/** People and sessions of the key, for its holder (POST by secret): never in the answer by API ID. */
export interface KeyAttributionJson {
  /** The UTC days counted (the last 30, today included). */
  from: string;
  people: Array<WithUsd<UsageTotals> & { endUserId: string; kind: PersonRow["kind"]; firstSeenAt: string; lastSeenAt: string }>;
  sessions: Array<
    WithUsd<UsageTotals> & { sessionId: string; endUserId: string | null; firstSeenAt: string; lastSeenAt: string; durationMs: number }
  >;
}

export function toAttributionJson(from: Date, people: readonly PersonRow[], sessions: readonly SessionRow[]): KeyAttributionJson {
  return {
    from: from.toISOString(),
    people: people.map(({ keys: _keys, firstSeenAt, lastSeenAt, ...p }) => ({
      ...withUsd(p),
      firstSeenAt: firstSeenAt.toISOString(),
      lastSeenAt: lastSeenAt.toISOString(),
    })),
    sessions: sessions.map(({ apiKeyId: _k, keyName: _n, overflow: _o, firstSeenAt, lastSeenAt, ...s }) => ({
      ...withUsd(s),
      firstSeenAt: firstSeenAt.toISOString(),
      lastSeenAt: lastSeenAt.toISOString(),
    })),
  };
}

/** Integer micro-dollars as an exact decimal dollar string, e.g. 15807 → "0.015807". */
export function microsToUsd(micros: number): string {
  const sign = micros < 0 ? "-" : "";
  const abs = Math.abs(Math.trunc(micros));
  return `${sign}${Math.floor(abs / 1_000_000)}.${String(abs % 1_000_000).padStart(6, "0")}`;
}

function withUsd<T extends UsageTotals>(t: T): WithUsd<T> {
  return { ...t, costUsd: microsToUsd(t.costMicros) };
}

function periodJson(p: PeriodUsage): PeriodJson {
  return { from: p.from, totals: withUsd(p.totals), models: p.models.map(withUsd) };
}

export function toLookupJson(lookup: KeyLookup): KeyLookupJson {
  return {
    apiId: lookup.apiId,
    found: lookup.found,
    asOf: lookup.asOf,
    timeZone: lookup.timeZone,
    expiresAt: lookup.expiresAt,
    totals: withUsd(lookup.totals),
    models: lookup.models.map(withUsd),
    today: periodJson(lookup.today),
    thisMonth: periodJson(lookup.thisMonth),
    limits: lookup.limits.map((l) =>
      l.unit === "micros" ? { ...l, maxUsd: microsToUsd(l.max), usedUsd: microsToUsd(l.used) } : l,
    ),
  };
}
