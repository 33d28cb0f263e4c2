/**
 * Redis key layout. Every key a ledger script touches for one tenant shares the hash tag {sN},
 * where N = shard of the tenant, so each script stays in one slot on a Redis Cluster while the
 * shards spread the load across nodes. The flush job works shard by shard.
 */
import { env } from "~/env";
import { METRICS, type Metric } from "./types";

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
};

export { METRICS, type Metric };

export const FIELD_SEP = "\t";

export function pendingField(apiKeyId: string, model: string, hourMs: number, metric: Metric): string {
  return [apiKeyId, model, hourMs, metric].join(FIELD_SEP);
}

export const HOUR_MS = 3_600_000;
export const hourStartMs = (epochMs: number): number => epochMs - (epochMs % HOUR_MS);
