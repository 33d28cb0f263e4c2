/**
 * A small TTL cache in front of a database read, shared by the key lookup and the tenant
 * upstream list. Concurrent misses for one entry share one read. When the read fails because the
 * database is unreachable (and only then), the last value read is served for up to `staleMaxMs`
 * after it was read, and the read is retried at most once per `ttlMs`: the relay keeps serving
 * known keys through a database outage without hammering the dead database on every request.
 */
export interface StaleOptions {
  /** How long a served-stale value may be after it was read from the database; 0 = never stale. */
  maxMs: number;
  /** Which errors allow serving stale (connection-type errors only). */
  allows(error: unknown): boolean;
  /** Called each time a failed refresh falls back to the last value, with that value's age. */
  onServeStale?(ageMs: number, error: unknown): void;
}

export interface CacheOptions {
  ttlMs: number;
  now: () => number;
  maxEntries?: number;
  stale?: StaleOptions;
}

interface Entry<V> {
  value: V;
  /** Fresh (or, after a failed refresh, retry-free) until then. */
  until: number;
  /** When the value was last read from the source. */
  loadedAt: number;
}

export function staleTolerantCache<V>(load: (key: string) => Promise<V>, opts: CacheOptions): (key: string) => Promise<V> {
  const cache = new Map<string, Entry<V>>();
  const inflight = new Map<string, Promise<V>>();
  const maxEntries = opts.maxEntries ?? 10_000;
  const put = (key: string, entry: Entry<V>) => {
    // Evict the oldest-written entry, not all of them: during an outage each entry is all we have.
    cache.delete(key);
    if (cache.size >= maxEntries) cache.delete(cache.keys().next().value!);
    cache.set(key, entry);
  };
  return async (key) => {
    const now = opts.now();
    const hit = cache.get(key);
    if (hit && hit.until > now) return hit.value;
    const pending = inflight.get(key);
    if (pending) return pending;
    const p = load(key)
      .then((value) => {
        const at = opts.now();
        put(key, { value, until: at + opts.ttlMs, loadedAt: at });
        return value;
      })
      .catch((error: unknown) => {
        const at = opts.now();
        const stale = opts.stale;
        if (!hit || !stale || at - hit.loadedAt > stale.maxMs || !stale.allows(error)) throw error;
        // Serve the last value and leave the database alone for another TTL, never past the bound.
        put(key, { value: hit.value, until: Math.min(at + opts.ttlMs, hit.loadedAt + stale.maxMs), loadedAt: hit.loadedAt });
        stale.onServeStale?.(at - hit.loadedAt, error);
        return hit.value;
      })
      .finally(() => inflight.delete(key));
    inflight.set(key, p);
    return p;
  };
}
