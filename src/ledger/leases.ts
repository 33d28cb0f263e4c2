/**
 * Leases of requests in flight: kept alive by their relay process, and turned into usage events
 * when that process is gone.
 *
 * Admission (quota.ts) files every admitted request three times in Redis: in its key's lease set
 * (concurrency), in its shard's lease index (scored by expiry) and in its shard's lease info (what
 * admission knew: who, which model, when, the input estimate and the quota keys to charge). Leases
 * are short (LEASE_TTL_MS): a process renews all of its live leases in one round trip every
 * LEASE_HEARTBEAT_MS (LeaseHeartbeat). A request that ends is recorded (record.ts), which claims
 * its lease info with HDEL. A lease that expires without its request being recorded belongs to a
 * process that died (or lost Redis for longer than the TTL): the flush job's sweeper
 * (sweepOrphans) records it from the lease info, flagged `orphaned`, charged to the caps, with the
 * same record script in "orphan" mode, which claims the lease info with the same HDEL. Whichever
 * of the two runs first wins; the other does nothing. So a request is recorded exactly once.
 */
import { NO_MODIFIERS } from "~/pricing/request";
import { z } from "zod";
import { env } from "~/infra/env";
import { redis as defaultRedis, type RedisClient } from "~/infra/redis";
import type { StoredEvent } from "./event";
import { LuaScript } from "./lua";
import { quotaChargeSchema, type QuotaCharge } from "./charge";
import { recordStored } from "./record";
import { chargeKeysOf, keyQuotaKeys, ledgerKeys, type PeriodIds } from "./redis-keys";
import type { RequestEvent, TokenUsage } from "./types";

/** The request as the relay knew it at admission; what an orphaned admission is billed from. */
export interface LeaseDraft {
  request: Pick<
    RequestEvent,
    "id" | "apiKeyId" | "tenantId" | "model" | "provider" | "endpoint" | "stream" | "startedAt" | "clientIp" | "userAgent" | "endUserId" | "sessionId"
  >;
  /** Estimated usage if the request is orphaned: admission's input estimate, no output. */
  usage: TokenUsage;
  /** Cost of `usage` with the tenant's prices, computed by the relay (the sweeper prices nothing). */
  costMicros: number;
  priced: boolean;
}

/** Status of an orphaned request: the client's connection ended without a response from us. */
export const ORPHAN_STATUS = 499;
export const ORPHAN_ERROR = "orphaned: the relay process ended before the request was recorded";

const NO_DRAFT = "-";

const tokenCount = z.number().int().nonnegative();
const draftSchema = z.object({
  request: z.object({
    id: z.string().min(1),
    apiKeyId: z.string(),
    tenantId: z.string(),
    model: z.string(),
    provider: z.enum(["ANTHROPIC", "OPENAI"]),
    endpoint: z.string(),
    stream: z.boolean(),
    startedAt: z.number().int(),
    clientIp: z.string().nullable(),
    userAgent: z.string().nullable(),
    // Absent in leases filed before attribution existed.
    endUserId: z.string().nullable().default(null),
    sessionId: z.string().nullable().default(null),
  }),
  usage: z.object({ input: tokenCount, output: tokenCount, cacheWrite5m: tokenCount, cacheWrite1h: tokenCount, cacheRead: tokenCount }),
  costMicros: tokenCount,
  priced: z.boolean(),
});
const leaseInfoSchema = z.discriminatedUnion("v", [
  // v1 (leases filed by earlier processes): every key of the charge, without the epoch (the
  // sweeper records in orphan mode, which does not compare it).
  z.object({ v: z.literal(1), draft: draftSchema, charge: quotaChargeSchema.omit({ epoch: true }) }),
  // v2: the period ids the key names derive from (keyQuotaKeys), a third of v1's size.
  z.object({
    v: z.literal(2),
    draft: draftSchema,
    periods: z.object({ day: z.string().min(1), week: z.string().min(1), month: z.string().min(1) }),
    windowTtlSec: z.number().int(),
  }),
]);
type LeaseInfo = z.infer<typeof leaseInfoSchema>;

/** The lease info value admission stores: the draft, and what names its charge; "-" without a draft. */
export function leaseInfoValue(draft: LeaseDraft | null, charge: { periods: PeriodIds; windowTtlSec: number }): string {
  if (!draft) return NO_DRAFT;
  return JSON.stringify({ v: 2, draft, periods: charge.periods, windowTtlSec: charge.windowTtlSec });
}

/** The charge an orphaned lease is settled with (its lease info is in `shard`'s hash). */
function orphanCharge(info: LeaseInfo, requestId: string, shard: number): QuotaCharge {
  if (info.v === 1) return { ...info.charge, epoch: "" };
  const { apiKeyId, tenantId } = info.draft.request;
  return { requestId, keys: chargeKeysOf(keyQuotaKeys(apiKeyId, tenantId, info.periods, shard), shard), windowTtlSec: info.windowTtlSec, epoch: "" };
}

export function leaseTtl(): number {
  return env.LEASE_TTL_MS;
}

export function heartbeatInterval(): number {
  return env.LEASE_HEARTBEAT_MS > 0 ? env.LEASE_HEARTBEAT_MS : Math.max(250, Math.floor(env.LEASE_TTL_MS / 3));
}

/** The orphan event: admission's estimate, latency up to the last heartbeat. */
function orphanEvent(info: LeaseInfo, expiryMs: number, ttlMs: number): StoredEvent {
  const { request, usage, costMicros, priced } = info.draft;
  return {
    ...request,
    status: ORPHAN_STATUS,
    usage,
    usageSource: "ESTIMATED",
    latencyMs: Math.max(0, Math.round(expiryMs - ttlMs - request.startedAt)),
    ttfbMs: null,
    error: ORPHAN_ERROR,
    costMicros,
    priced,
    flags: ["orphaned"],
    requestedModel: null,
    billing: { ...NO_MODIFIERS },
    reasoningTokens: 0,
    explanation: null,
  };
}

// KEYS: 1 lease index, 2 lease info. ARGV: 1 now, then the expired lease ids.
// Forgets expired leases that have no draft to bill (admitted without one, or unreadable): their
// key's lease set and reservations are cleaned by the next admission of that key, as before.
const dropScript = new LuaScript(`
local now = tonumber(ARGV[1])
local dropped = 0
for i = 2, #ARGV do
  local id = ARGV[i]
  local score = redis.call('ZSCORE', KEYS[1], id)
  if score and tonumber(score) <= now then
    redis.call('ZREM', KEYS[1], id)
    if redis.call('HDEL', KEYS[2], id) == 1 then dropped = dropped + 1 end
  end
end
return dropped
`);

export interface SweepResult {
  /** Orphaned admissions recorded as events. */
  orphaned: number;
  /** Expired leases with nothing to bill (admitted without a draft, or unreadable), freed. */
  dropped: number;
}

/**
 * Records the shard's expired, unrecorded leases as orphaned events (at most `limit` per call).
 * Safe to run from any number of processes at once: each lease is claimed atomically.
 */
export async function sweepOrphans(
  shard: number,
  opts: { redis?: RedisClient; now?: number; ttlMs?: number; limit?: number } = {},
): Promise<SweepResult> {
  const client = opts.redis ?? defaultRedis;
  const now = opts.now ?? Date.now();
  const ttlMs = opts.ttlMs ?? leaseTtl();
  const index = ledgerKeys.leaseIndex(shard);
  const infoKey = ledgerKeys.leaseInfo(shard);
  const expired = (await client.zrangebyscore(index, "-inf", now, "WITHSCORES", "LIMIT", 0, opts.limit ?? 500)) as string[];
  const result: SweepResult = { orphaned: 0, dropped: 0 };
  if (expired.length === 0) return result;
  const ids: string[] = [];
  const expiries: number[] = [];
  for (let i = 0; i < expired.length; i += 2) {
    ids.push(expired[i]!);
    expiries.push(Number(expired[i + 1]));
  }
  const infos = await client.hmget(infoKey, ...ids);
  const unbillable: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    const raw = infos[i];
    if (raw === null || raw === undefined) {
      // Recorded (or released) since the range read; the record script already removed it from
      // the index, or will: drop the stale index entry only.
      unbillable.push(ids[i]!);
      continue;
    }
    const parsed = raw === NO_DRAFT ? null : safeParse(raw);
    if (!parsed) {
      unbillable.push(ids[i]!);
      continue;
    }
    const event = orphanEvent(parsed, expiries[i]!, ttlMs);
    const applied = await recordStored(client, event, orphanCharge(parsed, ids[i]!, shard), { mode: "orphan", now });
    if (applied) result.orphaned++;
  }
  if (unbillable.length > 0) {
    result.dropped = Number(await dropScript.run(client, [index, infoKey], [now, ...unbillable]));
  }
  return result;
}

function safeParse(raw: string): LeaseInfo | null {
  try {
    const parsed = leaseInfoSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

// KEYS: 1 lease index, then per distinct key: its lease set, key reservations, tenant reservations.
// ARGV: 1 new expiry (ms), 2 ttl (ms), then per lease: id, index in KEYS of its lease set.
// Renews only leases still in the index: a lease the sweeper already recorded stays gone.
// Returns the ids that were not found (swept as orphaned, or lost with a Redis wipe).
const renewScript = new LuaScript(`
local expiry, ttl = ARGV[1], ARGV[2]
local lost = {}
for i = 3, #ARGV, 2 do
  local id, k = ARGV[i], tonumber(ARGV[i + 1])
  if redis.call('ZSCORE', KEYS[1], id) then
    redis.call('ZADD', KEYS[1], expiry, id)
    redis.call('ZADD', KEYS[k], expiry, id)
    redis.call('PEXPIRE', KEYS[k], ttl)
    redis.call('PEXPIRE', KEYS[k + 1], ttl)
    redis.call('PEXPIRE', KEYS[k + 2], ttl)
  else
    table.insert(lost, id)
  end
end
return lost
`);

export interface HeartbeatOptions {
  redis?: RedisClient;
  ttlMs?: number;
  intervalMs?: number;
  now?: () => number;
  onError?: (err: unknown) => void;
  /** Leases found gone at renewal (swept as orphaned, or lost with a Redis wipe). */
  onLost?: (requestIds: string[]) => void;
}

/**
 * Keeps the leases of this process's unrecorded requests alive: every interval, one script call
 * per shard with live leases, all sent together (ioredis auto-pipelining: one round trip per
 * interval for the whole process, whatever the number of requests).
 */
export class LeaseHeartbeat {
  private readonly live = new Map<string, QuotaCharge>();
  private timer: NodeJS.Timeout | null = null;
  private beating: Promise<void> | null = null;

  constructor(private readonly opts: HeartbeatOptions = {}) {}

  get size(): number {
    return this.live.size;
  }

  track(charge: QuotaCharge): void {
    this.live.set(charge.requestId, charge);
    this.ensureTimer();
  }

  untrack(requestId: string): void {
    this.live.delete(requestId);
  }

  private ensureTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.beat(), this.opts.intervalMs ?? heartbeatInterval());
    this.timer.unref();
  }

  /** Renews every live lease now (one batch); overlapping calls share one run. */
  beat(): Promise<void> {
    this.beating ??= this.renewAll().finally(() => (this.beating = null));
    return this.beating;
  }

  private async renewAll(): Promise<void> {
    if (this.live.size === 0) return;
    const client = this.opts.redis ?? defaultRedis;
    const ttl = this.opts.ttlMs ?? leaseTtl();
    const expiry = (this.opts.now ?? Date.now)() + ttl;
    const byShard = new Map<string, { keys: string[]; keyIndex: Map<string, number>; args: Array<string | number> }>();
    for (const charge of this.live.values()) {
      const k = charge.keys;
      let group = byShard.get(k.leaseIndex);
      if (!group) {
        group = { keys: [k.leaseIndex], keyIndex: new Map(), args: [expiry, ttl] };
        byShard.set(k.leaseIndex, group);
      }
      let idx = group.keyIndex.get(k.leases);
      if (idx === undefined) {
        group.keys.push(k.leases, k.keyReservations, k.tenantReservations);
        idx = group.keys.length - 2; // 1-based index of the lease set
        group.keyIndex.set(k.leases, idx);
      }
      group.args.push(charge.requestId, idx);
    }
    const results = await Promise.allSettled(
      [...byShard.values()].map((g) => renewScript.run(client, g.keys, g.args) as Promise<string[]>),
    );
    const lost: string[] = [];
    for (const r of results) {
      if (r.status === "fulfilled") lost.push(...r.value);
      else this.opts.onError?.(r.reason);
    }
    if (lost.length > 0) this.opts.onLost?.(lost);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
