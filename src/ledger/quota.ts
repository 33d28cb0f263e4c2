/**
 * Quota admission: every check for one request runs in one Redis script before the upstream is
 * called, and the request's charge is applied by the record script after it (same round trip as
 * the usage event). All keys of a tenant share the hash tag {sN}, so both work on Redis Cluster.
 *
 * Rate window: one-minute buckets; the window is the current minute and the N−1 before it.
 * Concurrency: a lease per request in a sorted set scored by its expiry. Leases are short
 * (LEASE_TTL_MS, 15 s) and renewed by the relay process's heartbeat while the request runs
 * (leases.ts), so a dead process frees its slots within seconds and a long stream keeps its
 * slot. Leases are always taken (they also carry reservations). Admission also files what it
 * knew about the request in the shard's lease index and lease info, so that if the request is
 * never recorded the flush job turns it into an `orphaned` event (leases.ts, sweepOrphans).
 * Cost caps: a request is admitted only if spent + reserved + its own reservation ≤ cap, where its
 * reservation is its worst case as the request states it (src/relay/reservation.ts: max output
 * tokens × the dearest output rate + the prompt estimate × the dearest prompt rate) and
 * "reserved" is the sum of the reservations of requests in flight. The record script settles a
 * request: it frees the reservation and charges the actual cost, in one step.
 * Overshoot bound. Admission keeps spent + reserved ≤ cap; settling changes that sum by
 * (actual − reserved) of the settled request. So the final spend can exceed the cap by at most
 *   Σ max(0, actual_i − reserved_i) over the requests admitted while spent + reserved was ≤ cap,
 * which is 0 whenever every request stays within its stated worst case: with P parallel
 * requests at the cap, the overshoot is the sum of the P requests' excesses over their own
 * reservations, not P × a response. A request can only exceed its reservation through what the
 * request does not state: a prompt larger than the estimate (bytes / 4; e.g. server tools such as
 * web search add input tokens, PDFs), per-call fees, or an upstream ignoring max_tokens.
 * Unbilled calls (count_tokens, models) take no lease and no reservation; they count in the
 * request-rate window and honour revocation and suspension (mode 0 below).
 * Cost-period counters are seeded from Postgres + unflushed deltas when missing (a new key, a new
 * period, a Redis restart), so a wiped Redis never resets a cap to zero.
 */
import { randomUUID } from "node:crypto";
import { redis as defaultRedis, type RedisClient } from "~/infra/redis";
import { env } from "~/infra/env";
import type { QuotaCharge } from "./charge";
import { LuaScript } from "./lua";
import { dayPeriod, monthPeriod, weekPeriod, type Period } from "./periods";
import { spentInRange } from "./query";
import { keyStateKey, tenantSuspendedKey } from "./key-state";
import { leaseInfoValue, type LeaseDraft } from "./leases";
import { chargeKeysOf, keyQuotaKeys, shardOf, type PeriodIds } from "./redis-keys";

/** How long a lease lives without a heartbeat. */
export function leaseTtlMs(): number {
  return env.LEASE_TTL_MS;
}

export interface KeyLimits {
  apiKeyId: string;
  tenantId: string;
  timeZone: string;
  rateWindowMinutes: number | null;
  rateMaxRequests: number | null;
  rateMaxTokens: number | null;
  rateMaxCostMicros: number | null;
  maxConcurrency: number | null;
  dailyCostMicros: number | null;
  weeklyCostMicros: number | null;
  monthlyCostMicros: number | null;
  totalCostMicros: number | null;
  totalTokens: number | null;
  weeklyResetDay: number;
  weeklyResetHour: number;
  expiresAfterFirstUseDays: number | null;
  tenantMonthlyBudgetMicros: number | null;
}

/** Limits of a key with nothing set. */
export function unlimited(apiKeyId: string, tenantId: string): KeyLimits {
  return {
    apiKeyId, tenantId, timeZone: "UTC", rateWindowMinutes: null, rateMaxRequests: null, rateMaxTokens: null,
    rateMaxCostMicros: null, maxConcurrency: null, dailyCostMicros: null, weeklyCostMicros: null,
    monthlyCostMicros: null, totalCostMicros: null, totalTokens: null, weeklyResetDay: 1, weeklyResetHour: 0,
    expiresAfterFirstUseDays: null, tenantMonthlyBudgetMicros: null,
  };
}

export type QuotaReason =
  | "rate_requests"
  | "rate_tokens"
  | "rate_cost"
  | "concurrency"
  | "cost_daily"
  | "cost_weekly"
  | "cost_monthly"
  | "cost_total"
  | "tokens_total"
  | "tenant_budget"
  | "expired"
  | "revoked"
  | "suspended";

/** Rate and concurrency refusals are 429 (retry later); spend caps are 402 (no point retrying soon). */
export function refusalStatus(reason: QuotaReason): 401 | 402 | 403 | 429 {
  if (reason === "revoked") return 401;
  if (reason === "expired" || reason === "suspended") return 403;
  return reason.startsWith("rate_") || reason === "concurrency" ? 429 : 402;
}

export type Admission =
  | { ok: true; charge: QuotaCharge }
  | { ok: false; reason: QuotaReason; status: 401 | 402 | 403 | 429; retryAfterSec: number | null };

export type { QuotaCharge } from "./charge";

/** Redis key names for one key's quota state, all tagged with its tenant's shard. */
export function quotaKeys(limits: Pick<KeyLimits, "apiKeyId" | "tenantId">, periods: { day: Period; week: Period; month: Period }) {
  return {
    ...keyQuotaKeys(limits.apiKeyId, limits.tenantId, { day: periods.day.id, week: periods.week.id, month: periods.month.id }),
    keyState: keyStateKey(limits),
    tenantSuspended: tenantSuspendedKey(limits.tenantId),
  };
}

/** Everything admission names for one key in one set of periods: the same for all its requests. */
interface AdmissionKeys {
  quota: ReturnType<typeof quotaKeys>;
  /** The admission script's KEYS, in its order. */
  scriptKeys: readonly string[];
  /** The charge's keys; shared by every charge of the key in these periods, so never mutated (frozen). */
  charge: QuotaCharge["keys"];
  periodIds: PeriodIds;
}

const admissionKeyCache = new Map<string, AdmissionKeys>();

/** Cached per key and periods: 18 key names built per request were a fifth of admission's own CPU. */
function admissionKeys(limits: Pick<KeyLimits, "apiKeyId" | "tenantId">, periods: Periods): AdmissionKeys {
  // The prefix and shard count are part of the names (tests change them between runs).
  const cacheKey = `${env.REDIS_PREFIX}\t${env.LEDGER_SHARDS}\t${limits.tenantId}\t${limits.apiKeyId}\t${periods.day.id}\t${periods.week.id}\t${periods.month.id}`;
  const hit = admissionKeyCache.get(cacheKey);
  if (hit) return hit;
  const k = quotaKeys(limits, periods);
  const shard = shardOf(limits.tenantId);
  const charge = chargeKeysOf(k, shard);
  Object.freeze(charge.costCounters);
  Object.freeze(charge);
  const scriptKeys = Object.freeze([
    k.leases, k.keyReservations, k.tenantReservations, k.windowRequests, k.windowTokens, k.windowCost,
    k.firstUse, k.dayCost, k.weekCost, k.monthCost, k.totalCost, k.totalTokens, k.tenantMonthCost,
    k.keyState, k.tenantSuspended,
    charge.leaseIndex, charge.leaseInfo, charge.epoch,
  ]);
  const value: AdmissionKeys = { quota: k, scriptKeys, charge, periodIds: { day: periods.day.id, week: periods.week.id, month: periods.month.id } };
  if (admissionKeyCache.size >= 10_000) admissionKeyCache.clear();
  admissionKeyCache.set(cacheKey, value);
  return value;
}

type Periods = { day: Period; week: Period; month: Period };
const periodCache = new Map<string, { from: number; until: number; value: Periods }>();

/**
 * The key's current day, week and month. Cached per (time zone, reset day, reset hour) for as long
 * as none of the three periods changes: Intl formatting is otherwise a tenth of the relay's CPU.
 */
export function periodsFor(limits: Pick<KeyLimits, "timeZone" | "weeklyResetDay" | "weeklyResetHour">, nowMs: number): Periods {
  const cacheKey = `${limits.timeZone}|${limits.weeklyResetDay}|${limits.weeklyResetHour}`;
  const hit = periodCache.get(cacheKey);
  if (hit && nowMs >= hit.from && nowMs < hit.until) return hit.value;
  const value: Periods = {
    day: dayPeriod(nowMs, limits.timeZone),
    week: weekPeriod(nowMs, limits.timeZone, limits.weeklyResetDay, limits.weeklyResetHour),
    month: monthPeriod(nowMs, limits.timeZone),
  };
  if (periodCache.size > 1000) periodCache.clear();
  periodCache.set(cacheKey, {
    from: Math.max(value.day.startMs, value.week.startMs, value.month.startMs),
    until: Math.min(value.day.endMs, value.week.endMs, value.month.endMs),
    value,
  });
  return value;
}

// KEYS: 1 leases, 2 key resv, 3 tenant resv, 4 w:req, 5 w:tok, 6 w:cost, 7 first-use,
//       8 day, 9 week, 10 month, 11 total cost, 12 total tokens, 13 tenant month,
//       14 key state, 15 tenant suspended,
//       16 lease index, 17 lease info, 18 epoch (inflight: the orphan sweeper's view of the lease)
// ARGV: 1 now, 2 request id, 3 lease ttl ms, 4 window minutes, 5 max req, 6 max tok, 7 max cost,
//       8 max concurrency, 9 cap day, 10 cap week, 11 cap month, 12 cap total, 13 cap tokens,
//       14 tenant budget, 15 reservation µ$ (the request's worst case), 16 day end, 17 week end,
//       18 month end, 19 expires-after-first-use ms, 20 presented key hash ('' = unchecked),
//       21 mode (1 billed; 0 unbilled: state, expiry and request rate only, no lease, no reservation),
//       22 lease info (JSON), 23 epoch candidate
// Limits are -1 when not set. Returns {1, epoch} admitted (unbilled: {1}), {0, reason, retryAfter} refused, {-1, i...} counters to seed.
const admitScript = new LuaScript(`
local now = tonumber(ARGV[1])
local function arg(i) return tonumber(ARGV[i]) end
-- Revocation, rotation and suspension as written to Redis by key-state.ts: they hold even when the
-- relay authenticated the request from a stale cached key while Postgres was unreachable.
local state = redis.call('HMGET', KEYS[14], 'revoked', 'hash')
if state[1] or (state[2] and ARGV[20] ~= '' and state[2] ~= ARGV[20]) then return {0, 'revoked', 0} end
if redis.call('EXISTS', KEYS[15]) == 1 then return {0, 'suspended', 0} end
local billed = ARGV[21] == '1'
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
if #expired > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  redis.call('HDEL', KEYS[2], unpack(expired))
  redis.call('HDEL', KEYS[3], unpack(expired))
end
if billed then
  local missing = {-1}
  for _, pair in ipairs({{9, 8}, {10, 9}, {11, 10}, {12, 11}, {13, 12}, {14, 13}}) do
    if arg(pair[1]) >= 0 and redis.call('EXISTS', KEYS[pair[2]]) == 0 then table.insert(missing, pair[2]) end
  end
  if #missing > 1 then return missing end
end
if arg(19) >= 0 then
  local first = tonumber(redis.call('GET', KEYS[7]) or '')
  if first and now > first + arg(19) then return {0, 'expired', 0} end
end
if billed and arg(8) >= 0 and redis.call('ZCARD', KEYS[1]) >= arg(8) then return {0, 'concurrency', 1} end
local win = arg(4)
local minute = math.floor(now / 60000)
local function windowSum(key)
  local all = redis.call('HGETALL', key)
  local sum, oldest = 0, minute
  for i = 1, #all, 2 do
    local m = tonumber(all[i])
    if m <= minute - win then redis.call('HDEL', key, all[i])
    else
      sum = sum + tonumber(all[i + 1])
      if m < oldest then oldest = m end
    end
  end
  return sum, math.max(1, math.ceil(((oldest + win) * 60000 - now) / 1000))
end
local est = arg(15)
if win > 0 then
  if arg(5) >= 0 then local s, r = windowSum(KEYS[4]); if s + 1 > arg(5) then return {0, 'rate_requests', r} end end
  if billed and arg(6) >= 0 then local s, r = windowSum(KEYS[5]); if s >= arg(6) then return {0, 'rate_tokens', r} end end
  if billed and arg(7) >= 0 then local s, r = windowSum(KEYS[6]); if s + est > arg(7) then return {0, 'rate_cost', r} end end
end
if not billed then
  if win > 0 then
    redis.call('HINCRBY', KEYS[4], minute, 1)
    redis.call('EXPIRE', KEYS[4], win * 60 + 60)
  end
  return {1}
end
local function reserved(key)
  local sum = 0
  for _, v in ipairs(redis.call('HVALS', key)) do sum = sum + tonumber(v) end
  return sum
end
local keyResv = -1
local function over(cap, counter)
  if keyResv < 0 then keyResv = reserved(KEYS[2]) end
  return tonumber(redis.call('GET', counter) or '0') + keyResv + est > cap
end
local function secondsUntil(t) return math.max(1, math.ceil((t - now) / 1000)) end
if arg(9) >= 0 and over(arg(9), KEYS[8]) then return {0, 'cost_daily', secondsUntil(arg(16))} end
if arg(10) >= 0 and over(arg(10), KEYS[9]) then return {0, 'cost_weekly', secondsUntil(arg(17))} end
if arg(11) >= 0 and over(arg(11), KEYS[10]) then return {0, 'cost_monthly', secondsUntil(arg(18))} end
if arg(12) >= 0 and over(arg(12), KEYS[11]) then return {0, 'cost_total', -1} end
if arg(13) >= 0 and tonumber(redis.call('GET', KEYS[12]) or '0') >= arg(13) then return {0, 'tokens_total', -1} end
if arg(14) >= 0 and tonumber(redis.call('GET', KEYS[13]) or '0') + reserved(KEYS[3]) + est > arg(14) then
  return {0, 'tenant_budget', secondsUntil(arg(18))}
end
redis.call('ZADD', KEYS[1], now + arg(3), ARGV[2])
redis.call('PEXPIRE', KEYS[1], arg(3))
if win > 0 then
  redis.call('HINCRBY', KEYS[4], minute, 1)
  redis.call('EXPIRE', KEYS[4], win * 60 + 60)
end
if est > 0 then
  redis.call('HSET', KEYS[2], ARGV[2], est)
  redis.call('HSET', KEYS[3], ARGV[2], est)
  redis.call('PEXPIRE', KEYS[2], arg(3))
  redis.call('PEXPIRE', KEYS[3], arg(3))
end
if arg(19) >= 0 then redis.call('SET', KEYS[7], now, 'NX') end
-- inflight: file the lease for the orphan sweeper; the info field is the "not yet recorded" mark.
redis.call('ZADD', KEYS[16], now + arg(3), ARGV[2])
redis.call('HSET', KEYS[17], ARGV[2], ARGV[22])
redis.call('SET', KEYS[18], ARGV[23], 'NX')
return {1, redis.call('GET', KEYS[18])}
`);

const orNone = (v: number | null | undefined) => (v === null || v === undefined ? -1 : v);

export interface AdmitDeps {
  redis: RedisClient;
  now: () => number;
  /**
   * Spend already recorded for a key (or a tenant) in [fromMs, toMs): used to seed missing
   * counters. `seeded(counter)` is called when the value became that counter (SET NX won), so
   * spend that will be added to counters later (the local journal's) can tell it is counted;
   * `release()` once the counter is stored or not (the journal holds its replay until then).
   */
  spent: (
    scope: { apiKeyId?: string; tenantId?: string },
    fromMs: number,
    toMs: number,
  ) => Promise<{ costMicros: number; tokens: number; seeded?: (counter: string) => void; release?: () => void }>;
}

function defaultDeps(): AdmitDeps {
  return { redis: defaultRedis, now: Date.now, spent: (scope, fromMs, toMs) => spentInRange(scope, fromMs, toMs) };
}

const DAY_S = 86_400;

/** What admission knows about the request beyond the key's limits. */
export interface AdmitRequest {
  /** Hash of the secret presented: refused if the key was rotated to another one (Redis key state). */
  keyHash?: string;
  /** count_tokens / models: checks revocation, suspension, expiry and the request-rate window only. */
  unbilled?: boolean;
  /** What the relay knows about a billed request, kept with its lease to bill it as an orphan. */
  lease?: LeaseDraft | null;
}

/**
 * Checks every limit of the key at once and, if admitted, takes its lease and reserves
 * `reservationMicros` (the request's worst-case cost) until the record script settles it.
 * `request.lease` is what the relay knows about the request, kept with the lease so an orphaned
 * admission (its process died) can still be billed; without it an orphan only frees its lease.
 */
export async function admit(
  limits: KeyLimits,
  requestId: string,
  reservationMicros: number,
  overrides: Partial<AdmitDeps> = {},
  request: AdmitRequest = {},
): Promise<Admission> {
  const deps = { ...defaultDeps(), ...overrides };
  const now = deps.now();
  const periods = periodsFor(limits, now);
  const { quota: k, scriptKeys: keys, charge: chargeKeys, periodIds } = admissionKeys(limits, periods);
  const windowTtlSec = (limits.rateWindowMinutes ?? 0) * 60 + 60;
  const args = [
    now, requestId, leaseTtlMs(), orNone(limits.rateWindowMinutes), orNone(limits.rateMaxRequests),
    orNone(limits.rateMaxTokens), orNone(limits.rateMaxCostMicros), orNone(limits.maxConcurrency),
    orNone(limits.dailyCostMicros), orNone(limits.weeklyCostMicros), orNone(limits.monthlyCostMicros),
    orNone(limits.totalCostMicros), orNone(limits.totalTokens), orNone(limits.tenantMonthlyBudgetMicros),
    // NaN (a price lookup gone wrong) must not reach Lua, where it breaks every comparison.
    Number.isFinite(reservationMicros) ? Math.max(0, Math.round(reservationMicros)) : 0, periods.day.endMs, periods.week.endMs, periods.month.endMs,
    limits.expiresAfterFirstUseDays === null ? -1 : limits.expiresAfterFirstUseDays * DAY_S * 1000,
    request.keyHash ?? "", request.unbilled ? 0 : 1,
    leaseInfoValue(request.lease ?? null, { periods: periodIds, windowTtlSec }),
    randomUUID(),
  ];
  for (let attempt = 0; attempt < 3; attempt++) {
    const result = (await admitScript.run(deps.redis, keys, args)) as Array<number | string>;
    if (result[0] === 1) {
      return { ok: true, charge: { requestId, keys: chargeKeys, windowTtlSec, epoch: result[1] === undefined ? "" : String(result[1]) } };
    }
    if (result[0] === 0) {
      const reason = result[1] as QuotaReason;
      const retry = Number(result[2]);
      return { ok: false, reason, status: refusalStatus(reason), retryAfterSec: retry > 0 ? retry : null };
    }
    await seedCounters(deps, limits, periods, k, result.slice(1).map(Number), now);
  }
  throw new Error("quota counters could not be seeded");
}

/** Seeds missing spend counters (Lua key indexes 8…13) from Postgres + unflushed deltas. */
async function seedCounters(
  deps: AdmitDeps,
  limits: KeyLimits,
  periods: { day: Period; week: Period; month: Period },
  k: ReturnType<typeof quotaKeys>,
  missing: number[],
  now: number,
): Promise<void> {
  const key = { apiKeyId: limits.apiKeyId };
  const far = now + 60_000;
  const plan: Record<number, { name: string; scope: { apiKeyId?: string; tenantId?: string }; from: number; ttlMs: number; tokens?: boolean }> = {
    8: { name: k.dayCost, scope: key, from: periods.day.startMs, ttlMs: periods.day.endMs - now + DAY_S * 1000 },
    9: { name: k.weekCost, scope: key, from: periods.week.startMs, ttlMs: periods.week.endMs - now + DAY_S * 1000 },
    10: { name: k.monthCost, scope: key, from: periods.month.startMs, ttlMs: periods.month.endMs - now + DAY_S * 1000 },
    11: { name: k.totalCost, scope: key, from: 0, ttlMs: 0 },
    12: { name: k.totalTokens, scope: key, from: 0, ttlMs: 0, tokens: true },
    13: { name: k.tenantMonthCost, scope: { tenantId: limits.tenantId }, from: periods.month.startMs, ttlMs: periods.month.endMs - now + DAY_S * 1000 },
  };
  for (const i of missing) {
    const p = plan[i];
    if (!p) continue;
    const spent = await deps.spent(p.scope, p.from, far);
    try {
      const value = p.tokens ? spent.tokens : spent.costMicros;
      const stored = p.ttlMs > 0 ? await deps.redis.set(p.name, value, "PX", p.ttlMs, "NX") : await deps.redis.set(p.name, value, "NX");
      if (stored === "OK") spent.seeded?.(p.name);
    } finally {
      spent.release?.();
    }
  }
}

/** Frees a lease and its reservation without charging (the request never reached the upstream). */
export async function releaseAdmission(charge: QuotaCharge, client: RedisClient = defaultRedis): Promise<void> {
  const k = charge.keys;
  await releaseScript.run(client, [k.leases, k.keyReservations, k.tenantReservations, k.leaseIndex, k.leaseInfo], [charge.requestId]);
}

const releaseScript = new LuaScript(`
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('HDEL', KEYS[5], ARGV[1])
return 1
`);
