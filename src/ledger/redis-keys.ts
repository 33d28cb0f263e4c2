/**
 * Redis key layout. Every key a ledger script touches for one tenant shares the hash tag {sN},
 * where N = shard of the tenant, so each script stays in one slot on a Redis Cluster while the
 * shards spread the load across nodes. The flush job works shard by shard.
 */
import { env } from "~/infra/env";
import type { QuotaCharge } from "./charge";
import { METRICS, type Metric } from "./types";
import { HOUR_MS } from "~/lib/time";

/** FNV-1a, 32 bit: stable across processes and languages, good enough to spread tenants. */
export function fnv1a(value: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    h ^= value.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function shardOf(tenantId: string, shards: number = env.LEDGER_SHARDS): number {
  return fnv1a(tenantId) % shards;
}

function tag(shard: number): string {
  return `${env.REDIS_PREFIX}{s${shard}}`;
}

export const ledgerKeys = {
  /** Stream of request events not yet in Postgres. */
  events: (shard: number) => `${tag(shard)}:events`,
  /** Hash of unflushed usage deltas of one tenant: field = key\tmodel\thourMs\tmetric. */
  pending: (shard: number, tenantId: string) => `${tag(shard)}:t:${tenantId}:pending`,
  /** Lease lock: one flush runner per shard at a time. */
  flushLock: (shard: number) => `${tag(shard)}:flush-lock`,
  /** Every live lease of the shard, scored by its expiry (ms): where the orphan sweeper looks. */
  leaseIndex: (shard: number) => `${tag(shard)}:leases`,
  /**
   * What admission knew about each unrecorded request (field = request id). The field is the
   * "not yet recorded" mark: the record script and the orphan sweeper both claim it with HDEL,
   * so exactly one of them turns the request into an event.
   */
  leaseInfo: (shard: number) => `${tag(shard)}:lease-info`,
  /**
   * A random value set once per Redis dataset. A record that finds no lease info under the same
   * epoch it was admitted in is a duplicate (already recorded or swept); under another epoch the
   * dataset was wiped and the record must be applied.
   */
  epoch: (shard: number) => `${tag(shard)}:epoch`,
  /** Never written: stands in for a counter a record must not touch (same slot as the others). */
  noCounter: (shard: number) => `${tag(shard)}:no-counter`,
};

/** The ids of the calendar periods a key's spend counters are named by (periods.ts). */
export interface PeriodIds {
  day: string;
  week: string;
  month: string;
}

/**
 * Names of one API key's quota state (quota.ts), tagged with its tenant's shard. The one
 * definition for admission, for the charge the record script settles, and for the orphan sweeper,
 * which rebuilds a charge from the period ids in the lease info instead of storing every name.
 */
export function keyQuotaKeys(apiKeyId: string, tenantId: string, periods: PeriodIds, shard: number = shardOf(tenantId)) {
  const k = `${tag(shard)}:k:${apiKeyId}`;
  const t = `${tag(shard)}:t:${tenantId}`;
  return {
    leases: `${k}:leases`,
    keyReservations: `${k}:resv`,
    tenantReservations: `${t}:resv`,
    windowRequests: `${k}:w:req`,
    windowTokens: `${k}:w:tok`,
    windowCost: `${k}:w:cost`,
    firstUse: `${k}:first-use`,
    dayCost: `${k}:c:${periods.day}`,
    weekCost: `${k}:c:${periods.week}`,
    monthCost: `${k}:c:${periods.month}`,
    totalCost: `${k}:c:total`,
    totalTokens: `${k}:tok:total`,
    tenantMonthCost: `${t}:c:${periods.month}`,
  };
}

/** What the record script updates for a request admitted with these key names (see QuotaCharge). */
export function chargeKeysOf(k: ReturnType<typeof keyQuotaKeys>, shard: number): QuotaCharge["keys"] {
  return {
    leases: k.leases,
    keyReservations: k.keyReservations,
    tenantReservations: k.tenantReservations,
    windowTokens: k.windowTokens,
    windowCost: k.windowCost,
    costCounters: [k.dayCost, k.weekCost, k.monthCost, k.totalCost, k.tenantMonthCost],
    totalTokens: k.totalTokens,
    leaseIndex: ledgerKeys.leaseIndex(shard),
    leaseInfo: ledgerKeys.leaseInfo(shard),
    epoch: ledgerKeys.epoch(shard),
  };
}

export { METRICS, type Metric };

export const FIELD_SEP = "\t";

export function pendingField(apiKeyId: string, model: string, hourMs: number, metric: Metric): string {
  return pendingFieldPrefix(apiKeyId, model, hourMs) + metric;
}

/** Everything of a pending field but the metric (built once per event, not once per metric). */
export function pendingFieldPrefix(apiKeyId: string, model: string, hourMs: number): string {
  return `${apiKeyId}${FIELD_SEP}${model}${FIELD_SEP}${hourMs}${FIELD_SEP}`;
}

export const hourStartMs = (epochMs: number): number => epochMs - (epochMs % HOUR_MS);
