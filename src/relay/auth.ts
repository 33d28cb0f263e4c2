/**
 * Authenticates the caller's Metergate key: from `x-api-key` or `Authorization: Bearer`, looked up
 * by hash, cached briefly in-process so the hot path rarely touches Postgres.
 */
import { hashApiKey, isKeyExpired } from "~/keys";
import type { KeyLimits } from "~/ledger";
import type { PriceOverrides } from "~/pricing";
import { RelayError } from "./errors";
import type { HeaderReader } from "./upstream";
import { staleTolerantCache, type StaleOptions } from "./stale-cache";

import type { UnpricedModelPolicy } from "./unpriced-policy";
import { DAY_MS } from "~/lib/time";

/** What the relay needs to know about a key, as loaded from the database. */
export interface RelayKey {
  id: string;
  tenantId: string;
  revokedAt: Date | null;
  expiresAt: Date | null;
  firstUsedAt: Date | null;
  expiresAfterFirstUseDays: number | null;
  tenantSuspendedAt: Date | null;
  allowedModels: readonly string[];
  upstreamId: string | null;
  /** Quota limits, checked by the ledger's admission script. */
  limits: KeyLimits;
  /** The tenant's own model prices (empty for most tenants). */
  priceOverrides: PriceOverrides;
  /** The tenant's policy for unpriced models, resolved against the platform default; absent = refuse_when_capped. */
  unpricedModelPolicy?: UnpricedModelPolicy;
}

export type KeyLookup = (keyHash: string) => Promise<RelayKey | null>;

/** A key that passed authentication, with the hash of the secret it was presented with. */
export interface AuthenticatedKey extends RelayKey {
  /** The admission script compares it with the key's current hash in Redis (rotation). */
  keyHash: string;
}

export function extractSecret(headers: HeaderReader): string | null {
  const apiKey = headers.get("x-api-key")?.trim();
  const auth = headers.get("authorization");
  const bearer = auth && /^bearer\s+/i.test(auth) ? auth.replace(/^bearer\s+/i, "").trim() : null;
  // Prefer whichever looks like ours; some clients send both (one of them a placeholder).
  if (apiKey && (apiKey.startsWith("mg-") || !bearer)) return apiKey;
  return bearer || apiKey || null;
}

/**
 * Wraps a lookup with a small TTL cache (misses are cached too: a random secret cannot be created
 * later). With `stale`, a key read before the database became unreachable keeps being served for
 * a bounded time; revocations made meanwhile still apply through the admission script's Redis
 * key-state check (see src/ledger/key-state.ts).
 */
export function cachedKeyLookup(lookup: KeyLookup, ttlMs: number, now: () => number, maxEntries = 10_000, stale?: StaleOptions): KeyLookup {
  return staleTolerantCache(lookup, { ttlMs, now, maxEntries, stale });
}

/** Resolves and checks the key; throws a RelayError refusal (errors.ts) when it may not be used. */
export async function authenticate(headers: HeaderReader, lookup: KeyLookup, nowMs: number): Promise<AuthenticatedKey> {
  const secret = extractSecret(headers);
  if (!secret) throw new RelayError("authentication", "Missing API key: send it as x-api-key or Authorization: Bearer.");
  const keyHash = hashApiKey(secret);
  const key = await lookup(keyHash);
  if (!key) throw new RelayError("authentication", "Invalid API key.");
  if (key.revokedAt && key.revokedAt.getTime() <= nowMs) throw RelayError.refusal("revoked");
  if (isKeyExpired(key, nowMs)) throw RelayError.refusal("expired");
  if (key.tenantSuspendedAt && key.tenantSuspendedAt.getTime() <= nowMs) {
    throw RelayError.refusal("suspended");
  }
  let authenticated = authenticatedKeys.get(key);
  if (authenticated?.keyHash !== keyHash) {
    authenticated = { ...key, keyHash };
    authenticatedKeys.set(key, authenticated);
  }
  return authenticated;
}

/** One AuthenticatedKey per cached key object (the lookup cache hands out the same one until it expires), not a copy per request. */
const authenticatedKeys = new WeakMap<RelayKey, AuthenticatedKey>();

const patternCache = new Map<string, RegExp>();

/** A model list with wildcards ("claude-sonnet-*", "*-mini"): empty = every model. */
export function matchesModelPattern(patterns: readonly string[], model: string): boolean {
  if (patterns.length === 0) return true;
  return patterns.some((p) => {
    if (!p.includes("*")) return p === model;
    let re = patternCache.get(p);
    if (!re) {
      re = new RegExp(`^${p.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
      if (patternCache.size > 1000) patternCache.clear();
      patternCache.set(p, re);
    }
    return re.test(model);
  });
}

export function isModelAllowed(key: RelayKey, model: string): boolean {
  return matchesModelPattern(key.allowedModels, model);
}
