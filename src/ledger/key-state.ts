/**
 * Revocation, rotation and suspension, mirrored into Redis so the admission script can honour
 * them without Postgres. The relay caches keys in-process and, while Postgres is unreachable,
 * keeps serving the last key it read (src/relay/stale-cache.ts); these markers are what stops a
 * key revoked, rotated or suspended meanwhile. They cost nothing per request: the admission
 * script reads them in the round trip it makes anyway.
 *
 * Postgres stays the source of truth: every writer updates the row first, then the marker. The
 * markers only need to outlive the longest stale serving (KEY_CACHE_STALE_MAX_MS ≤ 1 day), so
 * they expire after MARKER_TTL_SEC; a key read from Postgres after its revocation carries the
 * revocation itself.
 */
import { env } from "~/infra/env";
import { redis as defaultRedis, type RedisClient } from "~/infra/redis";
import { shardOf } from "./redis-keys";

export const MARKER_TTL_SEC = 7 * 86_400;

const tag = (tenantId: string) => `${env.REDIS_PREFIX}{s${shardOf(tenantId)}}`;

/** Hash with `revoked` (epoch ms) and/or `hash` (the key's current secret hash, after a rotation). */
export function keyStateKey(key: { apiKeyId: string; tenantId: string }): string {
  return `${tag(key.tenantId)}:k:${key.apiKeyId}:state`;
}

export function tenantSuspendedKey(tenantId: string): string {
  return `${tag(tenantId)}:t:${tenantId}:suspended`;
}

export interface KeyRef {
  apiKeyId: string;
  tenantId: string;
}

/** The key is revoked (active = false) or reinstated (active = true). */
export async function markKeyActive(key: KeyRef, active: boolean, client: RedisClient = defaultRedis): Promise<void> {
  const name = keyStateKey(key);
  if (active) {
    await client.hdel(name, "revoked");
    return;
  }
  await client.multi().hset(name, "revoked", Date.now()).expire(name, MARKER_TTL_SEC).exec();
}

/** The key's secret was replaced: only `keyHash` may be used from now on. */
export async function markKeyRotated(key: KeyRef, keyHash: string, client: RedisClient = defaultRedis): Promise<void> {
  const name = keyStateKey(key);
  await client.multi().hset(name, "hash", keyHash).expire(name, MARKER_TTL_SEC).exec();
}

export async function markTenantSuspended(tenantId: string, suspended: boolean, client: RedisClient = defaultRedis): Promise<void> {
  const name = tenantSuspendedKey(tenantId);
  if (suspended) await client.set(name, Date.now(), "EX", MARKER_TTL_SEC);
  else await client.del(name);
}
