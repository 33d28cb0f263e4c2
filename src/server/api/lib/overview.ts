/**
 * The tenant (and platform) usage overview: one query answers the whole dashboard, so the page
 * makes no waterfall of requests. Everything aggregates the ledger's hourly usage rows; cost is
 * always the sum of their costMicros, never recomputed.
 */
import { z } from "zod";
import type { UsageRow } from "~/ledger";
import { METRICS } from "~/ledger/types";
import { emptyTotals, sumTotals, byModel, type ModelUsage, type UsageTotals } from "./usage-report";
export { bucketSchema, DEFAULT_RANGE, DEFAULT_RANGE_DAYS, MAX_HOURLY_DAYS, MAX_RANGE_DAYS, RANGE_PRESETS, rangeInputSchema } from "~/lib/range";
export type { Bucket, RangeInput, RangePreset } from "~/lib/range";
import { MAX_HOURLY_DAYS, MAX_RANGE_DAYS, type Bucket, type RangeInput } from "~/lib/range";
import { addDaysKey, DAY_MS, dayKey, HOUR_MS, hourKey, localMidnight, nextHour, startOfDay } from "~/lib/time";

/** Models drawn separately in the cost-by-model chart; the rest are summed as "other". */
export const MODEL_SERIES_LIMIT = 6;
export const TOP_KEYS_LIMIT = 10;
export const OTHER_MODELS = "__other";

export interface ResolvedRange {
  from: Date;
  /** Exclusive. */
  to: Date;
  /** Calendar days covered (tenant time zone). */
  dayCount: number;
}

/** A range in the zone: presets end at the end of the current hour; custom ranges at the end of their last day. */
export function resolveRange(input: RangeInput, timeZone: string, now: Date = new Date()): ResolvedRange {
  const today = dayKey(now, timeZone);
  const end = nextHour(now);
  const span = (fromKey: string, toExclusive: Date) => {
    const from = localMidnight(fromKey, timeZone);
    return { from, to: toExclusive, dayCount: Math.max(1, Math.round((toExclusive.getTime() - from.getTime()) / DAY_MS + 0.49)) };
  };
  switch (input.kind) {
    case "today":
      return { from: startOfDay(now, timeZone), to: end, dayCount: 1 };
    case "7d":
      return span(addDaysKey(today, -6), end);
    case "30d":
      return span(addDaysKey(today, -29), end);
    case "month":
      return span(`${today.slice(0, 8)}01`, end);
    case "custom": {
      const [a, b] = input.from <= input.to ? [input.from, input.to] : [input.to, input.from];
      const days = Math.round((Date.parse(b) - Date.parse(a)) / DAY_MS) + 1;
      if (days > MAX_RANGE_DAYS) throw new RangeError(`A range covers at most ${MAX_RANGE_DAYS} days`);
      return { from: localMidnight(a, timeZone), to: localMidnight(addDaysKey(b, 1), timeZone), dayCount: days };
    }
  }
}

export function defaultBucket(range: ResolvedRange): Bucket {
  return range.dayCount <= 2 ? "hour" : "day";
}

/** Bucket label formatting is cached per hour: rows share hours, Intl formatting is not free. */
function bucketKeyFn(bucket: Bucket, timeZone: string): (hourStart: Date) => string {
  const cache = new Map<number, string>();
  return (date) => {
    const ms = date.getTime();
    let key = cache.get(ms);
    if (key === undefined) {
      key = bucket === "day" ? dayKey(date, timeZone) : hourKey(date, timeZone);
      cache.set(ms, key);
    }
    return key;
  };
}

export interface SeriesPoint extends UsageTotals {
  /** "YYYY-MM-DD" (day buckets) or "YYYY-MM-DDTHH" (hour buckets), in the report's time zone. */
  bucket: string;
  /** Cost per model, aligned with `models` of the report (last entry: all other models). */
  modelCost: number[];
}

export interface TopKey {
  apiKeyId: string;
  name: string | null;
  keyPrefix: string | null;
  revoked: boolean;
  requests: number;
  costMicros: number;
  inputTokens: number;
  outputTokens: number;
}

export interface Overview {
  from: Date;
  to: Date;
  timeZone: string;
  bucket: Bucket;
  totals: UsageTotals;
  /** Models drawn in the cost-by-model chart, by cost; OTHER_MODELS last when there are more. */
  models: string[];
  series: SeriesPoint[];
  byModel: ModelUsage[];
  topKeys: TopKey[];
  /** Every key that has usage in the range (the key list's spend column), by id. */
  keySpend: Array<{ apiKeyId: string; requests: number; costMicros: number }>;
  /** When the numbers were read (live: includes unflushed usage). */
  asOf: Date;
}

export interface KeyInfo {
  id: string;
  name: string;
  keyPrefix: string;
  revokedAt: Date | null;
}

/** Aggregates usage rows into the overview. `keys` names the top keys (missing ones show as deleted). */
export function buildOverview(
  rows: readonly UsageRow[],
  range: ResolvedRange,
  timeZone: string,
  bucket: Bucket,
  keys: (ids: string[]) => Promise<KeyInfo[]>,
): Promise<Overview> {
  const models = byModel(rows);
  const drawn = models.slice(0, models.length > MODEL_SERIES_LIMIT ? MODEL_SERIES_LIMIT - 1 : MODEL_SERIES_LIMIT).map((m) => m.model);
  const seriesModels = models.length > drawn.length ? [...drawn, OTHER_MODELS] : drawn;
  const modelIndex = new Map(drawn.map((m, i) => [m, i]));
  const otherIndex = seriesModels.length - 1;

  const keyOf = bucketKeyFn(bucket, timeZone);
  const series = new Map<string, SeriesPoint>();
  const blank = (key: string): SeriesPoint => ({ bucket: key, ...emptyTotals(), modelCost: seriesModels.map(() => 0) });
  // Zero-fill every bucket of the range (step by hour; day keys dedupe).
  const end = Math.min(range.to.getTime(), Math.max(range.from.getTime() + HOUR_MS, nextHour(new Date()).getTime()));
  for (let t = range.from.getTime(); t < end; t += HOUR_MS) {
    const k = keyOf(new Date(t));
    if (!series.has(k)) series.set(k, blank(k));
  }
  const perKey = new Map<string, TopKey>();
  for (const r of rows) {
    const k = keyOf(r.hourStart);
    let p = series.get(k);
    if (!p) series.set(k, (p = blank(k)));
    for (const m of METRICS) p[m] += r[m];
    const mi = modelIndex.get(r.model) ?? otherIndex;
    if (mi >= 0) p.modelCost[mi]! += r.costMicros;

    let key = perKey.get(r.apiKeyId);
    if (!key) {
      perKey.set(
        r.apiKeyId,
        (key = { apiKeyId: r.apiKeyId, name: null, keyPrefix: null, revoked: false, requests: 0, costMicros: 0, inputTokens: 0, outputTokens: 0 }),
      );
    }
    key.requests += r.requests;
    key.costMicros += r.costMicros;
    key.inputTokens += r.inputTokens;
    key.outputTokens += r.outputTokens;
  }
  const top = [...perKey.values()]
    .sort((a, b) => b.costMicros - a.costMicros || b.requests - a.requests || a.apiKeyId.localeCompare(b.apiKeyId))
    .slice(0, TOP_KEYS_LIMIT);
  return keys(top.map((k) => k.apiKeyId)).then((infos) => {
    const info = new Map(infos.map((i) => [i.id, i]));
    for (const k of top) {
      const i = info.get(k.apiKeyId);
      if (i) Object.assign(k, { name: i.name, keyPrefix: i.keyPrefix, revoked: i.revokedAt !== null });
    }
    return {
      from: range.from,
      to: range.to,
      timeZone,
      bucket,
      totals: sumTotals(rows),
      models: seriesModels,
      series: [...series.values()].sort((a, b) => a.bucket.localeCompare(b.bucket)),
      byModel: models,
      topKeys: top,
      keySpend: [...perKey.values()].map((k) => ({ apiKeyId: k.apiKeyId, requests: k.requests, costMicros: k.costMicros })),
      asOf: new Date(),
    };
  });
}
