import type { PriceOverrides } from "~/pricing";
import { costOfRequest, NO_MODIFIERS, type RecordedPrice } from "~/pricing/request";
import { redis as defaultRedis, type RedisClient } from "~/infra/redis";
import { pendingDeltas, type StoredEvent } from "./event";
import { LuaScript } from "./lua";
import { releaseAdmission, type QuotaCharge } from "./quota";
import { ledgerKeys, shardOf } from "./redis-keys";
import { sanitizeEvent, withFlag } from "./sanitize";
import { totalTokens, type RequestEvent } from "./types";

/**
 * One round trip per request: append the event to its shard's stream, add its usage to the
 * tenant's unflushed deltas and, for an admitted request, charge its quotas and free its lease.
 * Spend counters are only incremented if they exist: a missing one is seeded at the next
 * admission from Postgres + unflushed deltas, which already include this request.
 *
 * Exactly once per admitted request (inflight): the script first claims the request's lease info
 * (HDEL). Mode "record" (the relay, or a journal replay) applies the event unless the info is gone
 * under the same epoch it was admitted in, which means it was recorded already (a retry of a write
 * that had succeeded) or swept as orphaned. Under another epoch Redis was wiped since admission,
 * so the event is applied. Mode "orphan" (the sweeper) applies it only if the lease is still
 * unclaimed and expired. Requests without a charge (refusals) are not deduplicated here; the flush
 * still inserts each request id once.
 *
 * KEYS: 1 stream, 2 pending, [3 leases, 4 key resv, 5 tenant resv, 6 w:tok, 7 w:cost, 8 total tokens,
 *       9 lease index, 10 lease info, 11 epoch, 12.. cost counters]
 * ARGV: 1 event, 2 n pairs, pairs…, then [request id, minute, window ttl, cost, tokens, mode, epoch, now]
 * Returns 1 when applied, 0 when it was a duplicate.
 */
const recordScript = new LuaScript(`
local n = tonumber(ARGV[2])
local a = 3 + 2 * n
if #KEYS >= 3 then
  local id, mode = ARGV[a], ARGV[a + 5]
  if mode == 'orphan' then
    local score = redis.call('ZSCORE', KEYS[9], id)
    if not score or tonumber(score) > tonumber(ARGV[a + 7]) then return 0 end
    redis.call('ZREM', KEYS[9], id)
    if redis.call('HDEL', KEYS[10], id) == 0 then return 0 end
  else
    redis.call('ZREM', KEYS[9], id)
    if redis.call('HDEL', KEYS[10], id) == 0 and redis.call('GET', KEYS[11]) == ARGV[a + 6] then return 0 end
  end
end
redis.call('XADD', KEYS[1], '*', 'e', ARGV[1])
for i = 3, 2 + 2 * n, 2 do
  redis.call('HINCRBY', KEYS[2], ARGV[i], ARGV[i + 1])
end
if #KEYS < 3 then return 1 end
local id, minute, wttl = ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 2])
local cost, tokens = tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
redis.call('ZREM', KEYS[3], id)
redis.call('HDEL', KEYS[4], id)
redis.call('HDEL', KEYS[5], id)
if tokens > 0 then
  redis.call('HINCRBY', KEYS[6], minute, tokens)
  redis.call('EXPIRE', KEYS[6], wttl)
  if redis.call('EXISTS', KEYS[8]) == 1 then redis.call('INCRBY', KEYS[8], tokens) end
end
if cost > 0 then
  redis.call('HINCRBY', KEYS[7], minute, cost)
  redis.call('EXPIRE', KEYS[7], wttl)
  for i = 12, #KEYS do
    if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('INCRBY', KEYS[i], cost) end
  end
end
return 1
`);

export interface RecordResult {
  costMicros: number;
  priced: boolean;
}

export interface RecordOptions {
  redis?: RedisClient;
  /** The tenant's own prices, if it has any. */
  priceOverrides?: PriceOverrides;
}

/**
 * The event as the stream stores it: sanitized (sanitize.ts) and priced once, with the modifiers
 * the response reported, at the request's start time. A price that is not a whole non-negative
 * number of micro-dollars, or a pricing error, records the request as unpriced and suspicious
 * instead of losing it (`reprice` can price it later).
 */
export function toStoredEvent(event: RequestEvent, priceOverrides?: PriceOverrides): StoredEvent {
  const { event: clean } = sanitizeEvent(event);
  const billing = clean.billing ?? NO_MODIFIERS;
  let price: RecordedPrice | null;
  try {
    price = costOfRequest({ provider: clean.provider, model: clean.model, at: clean.startedAt, usage: clean.usage, modifiers: billing }, priceOverrides);
  } catch {
    price = null;
  }
  const valid = price !== null && Number.isSafeInteger(price.costMicros) && price.costMicros >= 0 ? price : null;
  const ok = valid !== null;
  // One object literal, not spreads: this runs once per request on the relay's hot path, and
  // spreading a 20-field event twice cost a quarter of the record path's CPU (profiled).
  return {
    id: clean.id,
    apiKeyId: clean.apiKeyId,
    tenantId: clean.tenantId,
    model: clean.model,
    requestedModel: clean.requestedModel !== undefined && clean.requestedModel !== clean.model ? clean.requestedModel : null,
    provider: clean.provider,
    endpoint: clean.endpoint,
    stream: clean.stream,
    status: clean.status,
    usage: clean.usage,
    usageSource: clean.usageSource,
    startedAt: clean.startedAt,
    latencyMs: clean.latencyMs,
    ttfbMs: clean.ttfbMs,
    clientIp: clean.clientIp,
    userAgent: clean.userAgent,
    error: clean.error,
    flags: ok ? (clean.flags ?? []) : withFlag(clean.flags, "suspicious"),
    billing: billing === NO_MODIFIERS ? { ...NO_MODIFIERS } : billing,
    reasoningTokens: clean.reasoningTokens ?? 0,
    endUserId: clean.endUserId ?? null,
    sessionId: clean.sessionId ?? null,
    // Only a tenant override's explanation (costOfRequest builds no other): the flush recomputes
    // a catalog price's from the event, so the hot path does not carry ~600 bytes per event.
    explanation: valid?.explanation ?? null,
    costMicros: valid?.costMicros ?? 0,
    priced: valid?.priced ?? false,
  };
}

/**
 * The stream entry: fields at their schema default (no modifiers, same model requested, no
 * reasoning tokens, no kept explanation, no flags) are left out, so an ordinary event is no larger
 * than before they existed; storedEventSchema fills them back in.
 */
function wireForm(e: StoredEvent): Partial<StoredEvent> {
  // One object literal, extended only when needed: spreads and deletes make it slow to serialise.
  const wire: Partial<StoredEvent> = {
    id: e.id,
    apiKeyId: e.apiKeyId,
    tenantId: e.tenantId,
    model: e.model,
    provider: e.provider,
    endpoint: e.endpoint,
    stream: e.stream,
    status: e.status,
    usage: e.usage,
    usageSource: e.usageSource,
    startedAt: e.startedAt,
    latencyMs: e.latencyMs,
    ttfbMs: e.ttfbMs,
    clientIp: e.clientIp,
    userAgent: e.userAgent,
    error: e.error,
    costMicros: e.costMicros,
    priced: e.priced,
  };
  const b = e.billing;
  if (b.speed !== null || b.inferenceGeo !== null || b.serviceTier !== null || b.webSearchRequests !== 0 || b.webFetchRequests !== 0 || b.promptCacheRetention !== null) {
    wire.billing = b;
  }
  if (e.requestedModel !== null) wire.requestedModel = e.requestedModel;
  if (e.reasoningTokens !== 0) wire.reasoningTokens = e.reasoningTokens;
  if (e.explanation !== null) wire.explanation = e.explanation;
  if (e.flags.length > 0) wire.flags = e.flags;
  if (e.endUserId !== null) wire.endUserId = e.endUserId;
  if (e.sessionId !== null) wire.sessionId = e.sessionId;
  return wire;
}

export interface StoredRecordOptions {
  /** "orphan": the sweeper; applies only to an expired, unclaimed lease. */
  mode?: "record" | "orphan";
  now?: number;
}

/** Runs the record script for an already priced event; true when it was applied. */
export async function recordStored(
  client: RedisClient,
  stored: StoredEvent,
  charge: QuotaCharge | null,
  opts: StoredRecordOptions = {},
): Promise<boolean> {
  const shard = shardOf(stored.tenantId);
  const keys = [ledgerKeys.events(shard), ledgerKeys.pending(shard, stored.tenantId)];
  const deltas = pendingDeltas(stored);
  const args: Array<string | number> = [JSON.stringify(wireForm(stored)), deltas.length];
  for (const [field, delta] of deltas) args.push(field, delta);
  if (charge) {
    const k = charge.keys;
    keys.push(
      k.leases, k.keyReservations, k.tenantReservations, k.windowTokens, k.windowCost, k.totalTokens,
      k.leaseIndex, k.leaseInfo, k.epoch, ...k.costCounters,
    );
    args.push(
      charge.requestId, Math.floor(stored.startedAt / 60_000), charge.windowTtlSec, stored.costMicros,
      totalTokens(stored.usage), opts.mode ?? "record", charge.epoch, opts.now ?? Date.now(),
    );
  }
  return Number(await recordScript.run(client, keys, args)) === 1;
}

export async function recordRequest(
  event: RequestEvent,
  charge: QuotaCharge | null = null,
  opts: RecordOptions = {},
): Promise<RecordResult> {
  const client = opts.redis ?? defaultRedis;
  try {
    const stored = toStoredEvent(event, opts.priceOverrides);
    await recordStored(client, stored, charge);
    return { costMicros: stored.costMicros, priced: stored.priced };
  } catch (err) {
    // Whatever failed, the request is over: its concurrency lease and reservation must not
    // outlive it (they would block the key until the lease expires). Releasing twice is harmless.
    if (charge) await releaseAdmission(charge, client).catch(() => {});
    throw err;
  }
}
