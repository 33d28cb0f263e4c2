/**
 * Each limit of a key with its current use and the seconds until it frees: for the public lookup,
 * the portal and alert evaluation. Spend comes from the ledger (Postgres + unflushed deltas), the
 * authoritative record; rate windows and leases from the admission state in Redis.
 */
import { redis as defaultRedis, type RedisClient } from "~/infra/redis";
import type { PrismaClient } from "~/generated/prisma/client";
import { leaseTtlMs, periodsFor, quotaKeys, type KeyLimits } from "./quota";
import { spentInRange } from "./query";

export type LimitName =
  | "rate_requests"
  | "rate_tokens"
  | "rate_cost"
  | "concurrency"
  | "cost_daily"
  | "cost_weekly"
  | "cost_monthly"
  | "cost_total"
  | "tokens_total"
  | "tenant_budget";

export interface LimitStatus {
  name: LimitName;
  /** "requests" | "tokens" | "micro-dollars" | "in flight" */
  unit: "requests" | "tokens" | "micros" | "concurrent";
  max: number;
  used: number;
  /** Seconds until the window or period frees; null for all-time limits and concurrency. */
  resetsInSec: number | null;
  /** Calendar period id for spend caps (e.g. "m202611"), so alerts fire once per period. */
  periodId: string | null;
}

const spend = (scope: { apiKeyId?: string; tenantId?: string }, fromMs: number, toMs: number, db?: PrismaClient) =>
  spentInRange(scope, fromMs, toMs, db ? { db } : {});

async function windowUse(redis: RedisClient, key: string, windowMinutes: number, now: number) {
  const minute = Math.floor(now / 60_000);
  const all = await redis.hgetall(key);
  let used = 0;
  let oldest = minute;
  for (const [m, v] of Object.entries(all)) {
    const n = Number(m);
    if (n <= minute - windowMinutes) continue;
    used += Number(v);
    oldest = Math.min(oldest, n);
  }
  return { used, resetsInSec: used === 0 ? 0 : Math.max(1, Math.ceil(((oldest + windowMinutes) * 60_000 - now) / 1000)) };
}

export async function limitStatus(
  limits: KeyLimits,
  /** db: read from this client (e.g. the primary right after a flush) instead of the replica. */
  deps: { redis?: RedisClient; now?: number; db?: PrismaClient } = {},
): Promise<LimitStatus[]> {
  const redis = deps.redis ?? defaultRedis;
  const now = deps.now ?? Date.now();
  const periods = periodsFor(limits, now);
  const k = quotaKeys(limits, periods);
  const out: LimitStatus[] = [];
  const far = now + 60_000;
  const key = { apiKeyId: limits.apiKeyId };

  const win = limits.rateWindowMinutes;
  if (win) {
    const rate: Array<[LimitName, number | null, string, LimitStatus["unit"]]> = [
      ["rate_requests", limits.rateMaxRequests, k.windowRequests, "requests"],
      ["rate_tokens", limits.rateMaxTokens, k.windowTokens, "tokens"],
      ["rate_cost", limits.rateMaxCostMicros, k.windowCost, "micros"],
    ];
    for (const [name, max, redisKey, unit] of rate) {
      if (max === null) continue;
      const w = await windowUse(redis, redisKey, win, now);
      out.push({ name, unit, max, used: w.used, resetsInSec: w.resetsInSec, periodId: null });
    }
  }
  if (limits.maxConcurrency !== null) {
    const used = await redis.zcount(k.leases, now, now + leaseTtlMs() + 1);
    out.push({ name: "concurrency", unit: "concurrent", max: limits.maxConcurrency, used, resetsInSec: null, periodId: null });
  }
  const caps: Array<[LimitName, number | null, { id: string; startMs: number; endMs: number } | null]> = [
    ["cost_daily", limits.dailyCostMicros, periods.day],
    ["cost_weekly", limits.weeklyCostMicros, periods.week],
    ["cost_monthly", limits.monthlyCostMicros, periods.month],
    ["cost_total", limits.totalCostMicros, null],
  ];
  for (const [name, max, period] of caps) {
    if (max === null) continue;
    const s = await spend(key, period?.startMs ?? 0, far, deps.db);
    out.push({
      name, unit: "micros", max, used: s.costMicros,
      resetsInSec: period ? Math.ceil((period.endMs - now) / 1000) : null,
      periodId: period?.id ?? "all",
    });
  }
  if (limits.totalTokens !== null) {
    const s = await spend(key, 0, far, deps.db);
    out.push({ name: "tokens_total", unit: "tokens", max: limits.totalTokens, used: s.tokens, resetsInSec: null, periodId: "all" });
  }
  if (limits.tenantMonthlyBudgetMicros !== null) {
    const s = await spend({ tenantId: limits.tenantId }, periods.month.startMs, far, deps.db);
    out.push({
      name: "tenant_budget", unit: "micros", max: limits.tenantMonthlyBudgetMicros, used: s.costMicros,
      resetsInSec: Math.ceil((periods.month.endMs - now) / 1000), periodId: periods.month.id,
    });
  }
  return out;
}
