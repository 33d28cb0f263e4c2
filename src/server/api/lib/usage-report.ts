/**
 * Aggregations of ledger usage rows for every view (tenant dashboard, public lookup, JSON API).
 * Cost is always the sum of the rows' costMicros: it is computed once, by the ledger, never here.
 */
import type { UsageRow } from "~/ledger";
import { METRICS, type Metric } from "~/ledger/types";
import { dayKey } from "~/lib/time";

/** One number per ledger metric (METRICS): requests, tokens by kind, cost, errors, unpriced use… */
export type UsageTotals = Record<Metric, number>;

export interface ModelUsage extends UsageTotals {
  model: string;
}

export interface DailyUsage extends UsageTotals {
  /** "YYYY-MM-DD" in the report's time zone. */
  day: string;
}

export interface UsageReport {
  totals: UsageTotals;
  /** Sorted by cost, then requests, descending. */
  byModel: ModelUsage[];
  /** One entry per day of the range, zero-filled. */
  daily: DailyUsage[];
}


export function emptyTotals(): UsageTotals {
  const totals = {} as UsageTotals;
  for (const m of METRICS) totals[m] = 0;
  return totals;
}

function addInto(target: UsageTotals, row: UsageTotals): void {
  for (const m of METRICS) target[m] += row[m];
}

export function sumTotals(rows: readonly UsageTotals[]): UsageTotals {
  const totals = emptyTotals();
  for (const r of rows) addInto(totals, r);
  return totals;
}

export function byModel(rows: readonly UsageRow[]): ModelUsage[] {
  const models = new Map<string, ModelUsage>();
  for (const r of rows) {
    let m = models.get(r.model);
    if (!m) models.set(r.model, (m = { model: r.model, ...emptyTotals() }));
    addInto(m, r);
  }
  return [...models.values()].sort(
    // Code-point order on ties: the same in every server locale.
    (a, b) => b.costMicros - a.costMicros || b.requests - a.requests || (a.model < b.model ? -1 : a.model > b.model ? 1 : 0),
  );
}

export function byDay(rows: readonly UsageRow[], days: readonly string[], timeZone: string): DailyUsage[] {
  const series = new Map<string, DailyUsage>(days.map((day) => [day, { day, ...emptyTotals() }]));
  for (const r of rows) {
    const day = dayKey(r.hourStart, timeZone);
    let d = series.get(day);
    if (!d) series.set(day, (d = { day, ...emptyTotals() }));
    addInto(d, r);
  }
  return [...series.values()].sort((a, b) => a.day.localeCompare(b.day));
}

export function buildUsageReport(rows: readonly UsageRow[], days: readonly string[], timeZone: string): UsageReport {
  return { totals: sumTotals(rows), byModel: byModel(rows), daily: byDay(rows, days, timeZone) };
}
