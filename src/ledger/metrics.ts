/**
 * The ledger's metrics, on the process registry of src/infra/observability/metrics.ts: flush runs,
 * outcomes, dead letters, records that did not go straight into Redis, orphans, and the backlog
 * of the event streams (measured at scrape time).
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { METRIC_PREFIX, observeRedisError, processMetricSet } from "~/infra/observability/metrics";

/** Events per flush run. */
export const FLUSH_BATCH_BUCKETS = [1, 5, 10, 50, 100, 250, 500, 1000, 2000, 5000, 10000, 50000];
export const FLUSH_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** What observeFlush needs from a flush run (a subset of the ledger's FlushResult). */
export interface FlushObservation {
  read: number;
  inserted: number;
  acked: number;
  invalid: number;
  /** Events Postgres refused (found by splitting the batch); quarantined like invalid ones. */
  refused?: number;
  /** Orphaned admissions the run turned into events. */
  orphaned?: number;
}

/** Backlog of the ledger streams, as measured at scrape time. */
export interface FlushBacklog {
  /** Seconds since the oldest unflushed event was recorded; 0 when nothing is pending. */
  lagSeconds: number;
  /** Events waiting in the streams. */
  pending: number;
}

export interface LedgerMetricsOptions {
  /** Measures the flush backlog on scrape; default reads the ledger streams in Redis. */
  backlog?: () => Promise<FlushBacklog>;
  /** Called when the backlog cannot be read; default counts a Redis error (op metrics_backlog). */
  onBacklogError?: () => void;
}

export type LedgerRecordOutcome = "journaled" | "replayed" | "dropped" | "duplicate";

export class LedgerMetrics {
  private backlogCache: { at: number; value: Promise<FlushBacklog | null> } | null = null;

  readonly flushLag: Gauge<string>;
  readonly flushPending: Gauge<string>;
  readonly flushBatch: Histogram<string>;
  readonly flushDuration: Histogram<string>;
  readonly flushRuns: Counter<"result">;
  readonly flushEvents: Counter<"outcome">;
  readonly deadLetters: Counter<"reason">;
  readonly ledgerRecords: Counter<"outcome">;
  readonly ledgerOrphaned: Counter<string>;

  constructor(registry: Registry, opts: LedgerMetricsOptions = {}) {
    const backlog = opts.backlog ?? defaultBacklog;
    const onBacklogError = opts.onBacklogError ?? (() => observeRedisError("metrics_backlog"));
    const registers = [registry];
    const p = METRIC_PREFIX;

    const refreshBacklog = (): Promise<FlushBacklog | null> => {
      const now = Date.now();
      // Both gauges are collected in parallel on one scrape: measure once.
      if (this.backlogCache && now - this.backlogCache.at < 1000) return this.backlogCache.value;
      const value = backlog().catch(() => {
        onBacklogError();
        return null;
      });
      this.backlogCache = { at: now, value };
      return value;
    };
    this.flushLag = new Gauge({
      name: `${p}flush_lag_seconds`,
      help: "Age of the oldest request event not yet flushed to Postgres (0 when none; NaN if Redis is unreachable)",
      registers,
      async collect() {
        const b = await refreshBacklog();
        this.set(b ? b.lagSeconds : Number.NaN);
      },
    });
    this.flushPending = new Gauge({
      name: `${p}flush_pending_events`,
      help: "Request events waiting in Redis to be flushed to Postgres",
      registers,
      async collect() {
        const b = await refreshBacklog();
        this.set(b ? b.pending : Number.NaN);
      },
    });
    this.flushBatch = new Histogram({
      name: `${p}flush_batch_events`,
      help: "Events moved per flush run that found work",
      buckets: FLUSH_BATCH_BUCKETS,
      registers,
    });
    this.flushDuration = new Histogram({
      name: `${p}flush_duration_seconds`,
      help: "Duration of flush runs that found work",
      buckets: FLUSH_DURATION_BUCKETS,
      registers,
    });
    this.flushRuns = new Counter({
      name: `${p}flush_runs_total`,
      help: "Flush runs by result (ok, error)",
      labelNames: ["result"],
      registers,
    });
    this.flushEvents = new Counter({
      name: `${p}flush_events_total`,
      help: "Events handled by the flush job: inserted (new in Postgres), duplicate (already there), invalid (unparseable), refused (by Postgres)",
      labelNames: ["outcome"],
      registers,
    });
    this.deadLetters = new Counter({
      name: `${p}ledger_dead_letters_total`,
      help: "Ledger events moved to the DeadLetter table by the flush: unparseable (not a valid event) or refused (Postgres refused its data)",
      labelNames: ["reason"],
      registers,
    });
    this.ledgerRecords = new Counter({
      name: `${p}ledger_records_total`,
      help: "Records that did not go straight into Redis: journaled (Redis unreachable), replayed (from the journal), dropped (journal full or unwritable), duplicate (the ledger had it already)",
      labelNames: ["outcome"],
      registers,
    });
    this.ledgerOrphaned = new Counter({
      name: `${p}ledger_orphaned_total`,
      help: "Requests whose relay process died before recording them, recorded by the flush job from their lease",
      registers,
    });
  }

  /** One flush run (flushOnce): result and wall time. Runs that found nothing only count as runs. */
  observeFlush(result: FlushObservation, durationMs: number): void {
    this.flushRuns.inc({ result: "ok" });
    if (result.orphaned) this.ledgerOrphaned.inc(result.orphaned);
    if (result.read === 0) return;
    this.flushBatch.observe(result.read);
    this.flushDuration.observe(Math.max(0, durationMs) / 1000);
    const refused = result.refused ?? 0;
    const stored = result.read - result.invalid - refused;
    if (result.inserted > 0) this.flushEvents.inc({ outcome: "inserted" }, result.inserted);
    if (stored > result.inserted) this.flushEvents.inc({ outcome: "duplicate" }, stored - result.inserted);
    if (result.invalid > 0) {
      this.flushEvents.inc({ outcome: "invalid" }, result.invalid);
      this.deadLetters.inc({ reason: "unparseable" }, result.invalid);
    }
    if (refused > 0) {
      this.flushEvents.inc({ outcome: "refused" }, refused);
      this.deadLetters.inc({ reason: "refused" }, refused);
    }
  }

  observeFlushError(): void {
    this.flushRuns.inc({ result: "error" });
  }

  observeLedgerRecords(outcome: LedgerRecordOutcome, n = 1): void {
    this.ledgerRecords.inc({ outcome }, n);
  }
}

/** Millisecond part of a Redis stream id ("1732352400000-3" → 1732352400000). */
export function streamIdMs(id: string): number {
  const m = /^(\d+)-\d+$/.exec(id);
  return m ? Number(m[1]) : Number.NaN;
}

/** Minimal Redis surface the backlog measurement needs (ioredis Redis and Cluster both fit). */
export interface BacklogRedis {
  xrange(key: string, start: string, end: string, count: "COUNT", n: number): Promise<Array<[string, string[]]>>;
  xlen(key: string): Promise<number>;
}

/**
 * Backlog of the given ledger streams. The streams hold only unflushed events (flush XDELs what
 * it has committed), so the first entry of each is its oldest unflushed event, and its id's
 * millisecond part is when it was recorded.
 */
export async function measureBacklog(
  redis: BacklogRedis,
  streamKeys: readonly string[],
  now: number = Date.now(),
): Promise<FlushBacklog> {
  const per = await Promise.all(
    streamKeys.map(async (key) => {
      const [first, len] = await Promise.all([redis.xrange(key, "-", "+", "COUNT", 1), redis.xlen(key)]);
      const id = first[0]?.[0];
      return { oldest: id === undefined ? Number.NaN : streamIdMs(id), len };
    }),
  );
  let oldest = Number.POSITIVE_INFINITY;
  let pending = 0;
  for (const s of per) {
    pending += s.len;
    if (Number.isFinite(s.oldest) && s.oldest < oldest) oldest = s.oldest;
  }
  return { lagSeconds: Number.isFinite(oldest) ? Math.max(0, now - oldest) / 1000 : 0, pending };
}

async function defaultBacklog(): Promise<FlushBacklog> {
  // Imported lazily: building the registry must not need Redis or a valid environment.
  const [{ redis }, { ledgerKeys }, { env }] = await Promise.all([
    import("~/infra/redis"),
    import("./redis-keys"),
    import("~/infra/env"),
  ]);
  const keys = Array.from({ length: env.LEDGER_SHARDS }, (_, shard) => ledgerKeys.events(shard));
  return measureBacklog(redis as unknown as BacklogRedis, keys);
}

/** The ledger's metrics on the process registry (created on first use). */
export const ledgerMetrics = (): LedgerMetrics => processMetricSet("ledger", (registry) => new LedgerMetrics(registry));

export const observeFlush = (result: FlushObservation, durationMs: number): void =>
  ledgerMetrics().observeFlush(result, durationMs);
export const observeFlushError = (): void => ledgerMetrics().observeFlushError();
export const observeLedgerRecords = (outcome: LedgerRecordOutcome, n = 1): void =>
  ledgerMetrics().observeLedgerRecords(outcome, n);
