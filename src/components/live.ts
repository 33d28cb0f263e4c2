/**
 * How often live views refetch, stated on each page. Usage and limit numbers include the ledger's
 * unflushed deltas (hot counters), so they are current at every refetch; the request log and
 * "Last used" read Postgres and also wait for the next flush (FLUSH_INTERVAL_MS).
 */
export const LIVE_REFRESH_MS = 5_000;
/** The public lookup page re-renders on the server this often (each one counts against its per-IP limit). */
export const LOOKUP_REFRESH_MS = 10_000;
