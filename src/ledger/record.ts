import type { PriceOverrides } from "~/pricing";
import { NO_MODIFIERS, priceRequest } from "~/pricing/request";
import { redis as defaultRedis, type RedisClient } from "~/server/redis";
import { isOverrideExplanation, pendingDeltas, type StoredEvent } from "./event";
import { LuaScript } from "./lua";
import type { QuotaCharge } from "./quota";
import { ledgerKeys, shardOf } from "./redis-keys";
import { totalTokens, type RequestEvent } from "./types";

/**
 * One round trip per request: append the event to its shard's stream, add its usage to the
 * tenant's unflushed deltas and, for an admitted request, charge its quotas and free its lease.
 * Spend counters are only incremented if they exist: a missing one is seeded at the next
 * admission from Postgres + unflushed deltas, which already include this request.
 *
 * KEYS: 1 stream, 2 pending, [3 leases, 4 key resv, 5 tenant resv, 6 w:tok, 7 w:cost, 8 total tokens, 9.. cost counters]
 * ARGV: 1 event, 2 n pairs, pairs…, then [request id, minute, window ttl, cost, tokens, ttl per cost counter…]
 */
const recordScript = new LuaScript(`
redis.call('XADD', KEYS[1], '*', 'e', ARGV[1])
local n = tonumber(ARGV[2])
for i = 3, 2 + 2 * n, 2 do
  redis.call('HINCRBY', KEYS[2], ARGV[i], ARGV[i + 1])
end
if #KEYS < 3 then return 1 end
local a = 3 + 2 * n
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
  for i = 9, #KEYS do
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
  if (b.speed !== null || b.inferenceGeo !== null || b.serviceTier !== null || b.webSearchRequests !== 0 || b.webFetchRequests !== 0) wire.billing = b;
  if (e.requestedModel !== null) wire.requestedModel = e.requestedModel;
  if (e.reasoningTokens !== 0) wire.reasoningTokens = e.reasoningTokens;
  if (e.explanation !== null) wire.explanation = e.explanation;
  if (e.flags.length > 0) wire.flags = e.flags;
  return wire;
}

export async function recordRequest(
  event: RequestEvent,
  charge: QuotaCharge | null = null,
  opts: RecordOptions = {},
): Promise<RecordResult> {
  const client = opts.redis ?? defaultRedis;
  const billing = event.billing ?? { ...NO_MODIFIERS };
  const price = priceRequest(
    { provider: event.provider, model: event.model, at: event.startedAt, usage: event.usage, modifiers: billing },
    opts.priceOverrides,
  );
  const { costMicros, priced, explanation } = price;
  const stored: StoredEvent = {
    ...event,
    requestedModel: event.requestedModel !== undefined && event.requestedModel !== event.model ? event.requestedModel : null,
    flags: event.flags ?? [],
    billing,
    reasoningTokens: event.reasoningTokens ?? 0,
    // A catalog price's explanation is a pure function of the event (model, start, usage,
    // modifiers): the flush recomputes it, so the hot path does not carry ~600 bytes per event.
    // A tenant override's is kept, as the flush does not know the tenant's prices.
    explanation: explanation && isOverrideExplanation(explanation) ? explanation : null,
    latencyMs: Math.max(0, Math.round(event.latencyMs)),
    ttfbMs: event.ttfbMs === null ? null : Math.max(0, Math.round(event.ttfbMs)),
    costMicros,
    priced,
  };
  const shard = shardOf(event.tenantId);
  const keys = [ledgerKeys.events(shard), ledgerKeys.pending(shard, event.tenantId)];
  const deltas = pendingDeltas(stored);
  const args: Array<string | number> = [JSON.stringify(wireForm(stored)), deltas.length];
  for (const [field, delta] of deltas) args.push(field, delta);
  if (charge) {
    const k = charge.keys;
    keys.push(k.leases, k.keyReservations, k.tenantReservations, k.windowTokens, k.windowCost, k.totalTokens, ...k.costCounters);
    args.push(charge.requestId, Math.floor(event.startedAt / 60_000), charge.windowTtlSec, costMicros, totalTokens(event.usage));
  }
  await recordScript.run(client, keys, args);
  return { costMicros, priced };
}
