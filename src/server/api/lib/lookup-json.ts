import type { LimitStatus } from "~/ledger";
import type { KeyLookup, PeriodUsage } from "./key-lookup";
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
  asOf: string;
  timeZone: string;
  expiresAt: string | null;
  totals: WithUsd<UsageTotals>;
  models: WithUsd<UsageTotals & { model: string }>[];
  today: PeriodJson;
  thisMonth: PeriodJson;
  limits: (LimitStatus & { maxUsd?: string; usedUsd?: string })[];
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
