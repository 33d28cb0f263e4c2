/**
 * Prompt-cache economics per key, model and day (or per model and day): the hit rate, what cache
 * reads saved against the input rate, the premium cache writes paid over it, and the net. Computed
 * from the rollups' hourly token sums and the base rates of the catalog entry in effect at each
 * hour (lookupRates), in exact integers (µ$ × tokens per MTok), rounded once per cell.
 * Multipliers (speed, tier, geo) are not applied: these are savings at the model's list rates.
 */
import type { UsageQuery, UsageRow } from "~/ledger";
import type { ProviderName } from "~/ledger/types";
import type { PriceOverrides } from "~/pricing";
import { baseRateChangeHours, lookupRates, type BaseRates } from "~/pricing/request";
import { dayKey } from "~/lib/time";

export interface CacheEconomicsRow {
  /** null when grouped per model and day over all keys. */
  apiKeyId: string | null;
  model: string;
  /** "YYYY-MM-DD" in the report's time zone. */
  day: string;
  /** Prompt tokens: billed input + cache reads + cache writes. */
  promptTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** Cache reads / prompt tokens, in basis points (integer; 10000 = 100 %). */
  hitRateBp: number;
  savedMicros: number;
  writePremiumMicros: number;
  /** savedMicros − writePremiumMicros. */
  netMicros: number;
  /** False when the model had no rates at some hour: its savings are unknown (counted as 0). */
  priced: boolean;
}

/** The provider of a rollup's model (rollups do not keep it): Claude ids are Anthropic's. */
export function providerOfModel(model: string): ProviderName {
  return model.startsWith("claude") ? "ANTHROPIC" : "OPENAI";
}

/** x / 1e6 rounded half away from zero, exact. */
function roundMillion(x: bigint): number {
  const neg = x < 0n;
  const a = neg ? -x : x;
  const r = (a + 500_000n) / 1_000_000n;
  return Number(neg ? -r : r);
}

interface Cell {
  row: Omit<CacheEconomicsRow, "savedMicros" | "writePremiumMicros" | "netMicros" | "hitRateBp">;
  saved: bigint;
  premium: bigint;
}

/**
 * The usage rows cacheEconomics prices exactly, as few as that allows: summed per local day, and
 * split where a base rate changes, so every hour of a row had the rates of the row's hourStart.
 * (Hourly rows would be exact too, at 24 times the rows.)
 */
export function cacheEconomicsQuery(scope: { tenantId: string; apiKeyId?: string }, range: { from: Date; to: Date }, timeZone: string): UsageQuery {
  return { ...scope, from: range.from, to: range.to, dayBucketsIn: timeZone, splitAt: baseRateChangeHours(range.from.getTime(), range.to.getTime()) };
}

/**
 * `rows` from cacheEconomicsQuery, or hourly: each row is priced with the rates in effect at its
 * hourStart, which must hold for all of its hours (not true of plain day buckets).
 * `perKey`: one row per key × model × day; else per model × day.
 */
export function cacheEconomics(
  rows: readonly UsageRow[],
  timeZone: string,
  opts: { perKey: boolean; overrides?: PriceOverrides },
): CacheEconomicsRow[] {
  const cells = new Map<string, Cell>();
  const rateCache = new Map<string, BaseRates | null>();
  for (const r of rows) {
    const writes = r.cacheWrite5mTokens + r.cacheWrite1hTokens;
    if (r.cacheReadTokens === 0 && writes === 0 && r.inputTokens === 0) continue;
    const day = dayKey(r.hourStart, timeZone);
    const apiKeyId = opts.perKey ? r.apiKeyId : null;
    const k = `${apiKeyId ?? ""}\u0000${r.model}\u0000${day}`;
    let cell = cells.get(k);
    if (!cell) {
      cell = {
        row: { apiKeyId, model: r.model, day, promptTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, priced: true },
        saved: 0n,
        premium: 0n,
      };
      cells.set(k, cell);
    }
    cell.row.promptTokens += r.inputTokens + r.cacheReadTokens + writes;
    cell.row.cacheReadTokens += r.cacheReadTokens;
    cell.row.cacheWriteTokens += writes;
    const rk = `${r.model}\u0000${r.hourStart.getTime()}`;
    let base = rateCache.get(rk);
    if (base === undefined) {
      base = lookupRates(providerOfModel(r.model), r.model, r.hourStart.getTime(), opts.overrides)?.base ?? null;
      rateCache.set(rk, base);
    }
    if (!base) {
      if (r.cacheReadTokens > 0 || writes > 0) cell.row.priced = false;
      continue;
    }
    cell.saved += BigInt(r.cacheReadTokens) * BigInt(base.input - base.cacheRead);
    cell.premium +=
      BigInt(r.cacheWrite5mTokens) * BigInt(base.cacheWrite5m - base.input) + BigInt(r.cacheWrite1hTokens) * BigInt(base.cacheWrite1h - base.input);
  }
  return [...cells.values()]
    .filter((c) => c.row.cacheReadTokens > 0 || c.row.cacheWriteTokens > 0)
    .map((c) => {
      const savedMicros = roundMillion(c.saved);
      const writePremiumMicros = roundMillion(c.premium);
      const hitRateBp = c.row.promptTokens > 0 ? Math.floor((c.row.cacheReadTokens * 10_000) / c.row.promptTokens) : 0;
      return { ...c.row, hitRateBp, savedMicros, writePremiumMicros, netMicros: savedMicros - writePremiumMicros };
    })
    .sort((a, b) => b.day.localeCompare(a.day) || a.model.localeCompare(b.model) || (a.apiKeyId ?? "").localeCompare(b.apiKeyId ?? ""));
}

export interface CacheTotals {
  savedMicros: number;
  writePremiumMicros: number;
  netMicros: number;
}

export function sumCacheEconomics(rows: readonly CacheEconomicsRow[]): CacheTotals {
  const t: CacheTotals = { savedMicros: 0, writePremiumMicros: 0, netMicros: 0 };
  for (const r of rows) {
    t.savedMicros += r.savedMicros;
    t.writePremiumMicros += r.writePremiumMicros;
    t.netMicros += r.netMicros;
  }
  return t;
}
