/**
 * Prometheus metrics (prom-client), served at /api/metrics.
 *
 * One registry per process, kept on globalThis: Next bundles route handlers, instrumentation and
 * the relay into separate chunks and reloads modules in development, and every copy must count
 * into the same registry (a second registration of a metric name would throw).
 *
 * Cardinality is bounded on purpose:
 *  - model: the price-table name of the model (date suffix folded), or "other" when unpriced;
 *  - endpoint: a fixed list of relay endpoints, else "other";
 *  - reason / op labels: short snake_case words only, else "other";
 *  - API key and tenant ids only when METRICS_KEY_LABELS=true (one series per key: opt in).
 */
import { timingSafeEqual } from "node:crypto";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { priceTable, type PriceTable } from "~/pricing";
import type { RequestEvent } from "~/ledger/types";

export const METRIC_PREFIX = "metergate_";

const KNOWN_ENDPOINTS = new Set([
  "/v1/messages",
  "/v1/messages/count_tokens",
  "/v1/chat/completions",
  "/v1/responses",
  "/v1/models",
]);

const DATE_SUFFIX = /-(\d{8}|\d{4}-\d{2}-\d{2})$/;

/** The model label: the price-table entry the model bills under, else "other". */
export function modelLabel(model: string, table: PriceTable = priceTable): string {
  if (Object.hasOwn(table.models, model)) return model;
  const base = model.replace(DATE_SUFFIX, "");
  if (base !== model && Object.hasOwn(table.models, base)) return base;
  return "other";
}

export function providerLabel(provider: string): string {
  const p = provider.toLowerCase();
  return p === "anthropic" || p === "openai" ? p : "other";
}

export function endpointLabel(endpoint: string): string {
  const path = endpoint.split("?")[0] ?? "";
  return KNOWN_ENDPOINTS.has(path) ? path : "other";
}

export function statusClass(status: number): string {
  if (!Number.isInteger(status) || status < 100 || status > 599) return "other";
  return `${Math.floor(status / 100)}xx`;
}

/** A caller-chosen word (reason, operation): kept when short snake_case, else "other". */
export function wordLabel(value: string): string {
  return /^[a-z][a-z0-9_]{0,31}$/.test(value) ? value : "other";
}

/** Seconds from request start to the end of the response (streams: to the last byte). */
export const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600];
/** Seconds to the first byte of the upstream response (model think time dominates). */
export const TTFB_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60];
/** Events per flush run. */
export const FLUSH_BATCH_BUCKETS = [1, 5, 10, 50, 100, 250, 500, 1000, 2000, 5000, 10000, 50000];
export const FLUSH_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const TOKEN_KINDS = [
  ["input", "input"],
  ["output", "output"],
  ["cacheWrite5m", "cache_write_5m"],
  ["cacheWrite1h", "cache_write_1h"],
  ["cacheRead", "cache_read"],
] as const;

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

export interface MetricsOptions {
  /** Add api_key_id / tenant_id labels (default: env METRICS_KEY_LABELS=true). */
  keyLabels?: boolean;
  /** Collect Node process metrics (default true). */
  defaultMetrics?: boolean;
  /** Measures the flush backlog on scrape; default reads the ledger streams in Redis. */
  backlog?: () => Promise<FlushBacklog>;
  table?: PriceTable;
}

type Labels<T extends string> = Partial<Record<T, string>>;

export class Metrics {
  readonly registry = new Registry();
  readonly keyLabels: boolean;
  private readonly table: PriceTable | undefined;
  private backlogCache: { at: number; value: Promise<FlushBacklog | null> } | null = null;

  readonly requests: Counter<string>;
  readonly tokens: Counter<string>;
  readonly cost: Counter<string>;
  readonly errors: Counter<string>;
  readonly estimated: Counter<string>;
  readonly latency: Histogram<string>;
  readonly ttfb: Histogram<string>;
  readonly quotaRefusals: Counter<"reason">;
  readonly unbilled: Counter<"endpoint" | "outcome">;
  readonly staleServed: Counter<"cache">;
  readonly flushLag: Gauge<string>;
  readonly flushPending: Gauge<string>;
  readonly flushBatch: Histogram<string>;
  readonly flushDuration: Histogram<string>;
  readonly flushRuns: Counter<"result">;
  readonly flushEvents: Counter<"outcome">;
  readonly deadLetters: Counter<"reason">;
  readonly ledgerRecords: Counter<"outcome">;
  readonly ledgerOrphaned: Counter<string>;
  readonly redisErrors: Counter<"op">;
  readonly postgresErrors: Counter<"op">;

  constructor(opts: MetricsOptions = {}) {
    this.keyLabels = opts.keyLabels ?? ["true", "1"].includes(process.env.METRICS_KEY_LABELS ?? "");
    this.table = opts.table;
    const backlog = opts.backlog ?? defaultBacklog;
    const registers = [this.registry];
    const keyNames = this.keyLabels ? ["api_key_id", "tenant_id"] : [];
    const p = METRIC_PREFIX;

    this.requests = new Counter({
      name: `${p}relay_requests_total`,
      help: "Relayed requests by provider, model, endpoint and HTTP status class",
      labelNames: ["provider", "model", "endpoint", "status_class", ...keyNames],
      registers,
    });
    this.tokens = new Counter({
      name: `${p}relay_tokens_total`,
      help: "Tokens billed, by kind (input, output, cache_write_5m, cache_write_1h, cache_read)",
      labelNames: ["provider", "model", "kind", ...keyNames],
      registers,
    });
    this.cost = new Counter({
      name: `${p}relay_cost_micro_dollars_total`,
      help: "Cost of relayed requests in micro-dollars (1e-6 USD)",
      labelNames: ["provider", "model", ...keyNames],
      registers,
    });
    this.errors = new Counter({
      name: `${p}relay_errors_total`,
      help: "Relayed requests that ended in an error (HTTP status >= 400 or a mid-stream error)",
      labelNames: ["provider", "model", "status_class"],
      registers,
    });
    this.estimated = new Counter({
      name: `${p}relay_estimated_usage_total`,
      help: "Requests whose usage was estimated because the upstream reported none",
      labelNames: ["provider", "model"],
      registers,
    });
    this.latency = new Histogram({
      name: `${p}relay_request_duration_seconds`,
      help: "Request duration from arrival to the last byte sent to the client",
      labelNames: ["provider", "model"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.ttfb = new Histogram({
      name: `${p}relay_time_to_first_byte_seconds`,
      help: "Time from arrival to the first byte of the upstream response",
      labelNames: ["provider", "model"],
      buckets: TTFB_BUCKETS,
      registers,
    });
    this.quotaRefusals = new Counter({
      name: `${p}quota_refusals_total`,
      help: "Requests refused before forwarding, by reason",
      labelNames: ["reason"],
      registers,
    });

    this.unbilled = new Counter({
      name: `${p}relay_unbilled_requests_total`,
      help: "Relay requests answered without a bill, by relay endpoint and outcome (count_tokens and models: forwarded, upstream_error, refused; any path: not_found, method_not_allowed, upgrade_refused)",
      labelNames: ["endpoint", "outcome"],
      registers,
    });
    this.staleServed = new Counter({
      name: `${p}relay_stale_cache_served_total`,
      help: "Times the relay served a cached key or upstream list past its TTL because Postgres was unreachable",
      labelNames: ["cache"],
      registers,
    });

    const refreshBacklog = (): Promise<FlushBacklog | null> => {
      const now = Date.now();
      // Both gauges are collected in parallel on one scrape: measure once.
      if (this.backlogCache && now - this.backlogCache.at < 1000) return this.backlogCache.value;
      const value = backlog().catch(() => {
        this.redisErrors.inc({ op: "metrics_backlog" });
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
    this.redisErrors = new Counter({
      name: `${p}redis_errors_total`,
      help: "Failed Redis operations by operation",
      labelNames: ["op"],
      registers,
    });
    this.postgresErrors = new Counter({
      name: `${p}postgres_errors_total`,
      help: "Failed Postgres operations by operation",
      labelNames: ["op"],
      registers,
    });

    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  private base(event: Pick<RequestEvent, "provider" | "model">) {
    return { provider: providerLabel(event.provider), model: modelLabel(event.model, this.table) };
  }

  private keys(event: Pick<RequestEvent, "apiKeyId" | "tenantId">): Labels<"api_key_id" | "tenant_id"> {
    return this.keyLabels ? { api_key_id: event.apiKeyId, tenant_id: event.tenantId } : {};
  }

  /** One relayed request, after its response ended (the same event the ledger records). */
  observeRequest(event: RequestEvent, costMicros: number): void {
    const base = this.base(event);
    const keys = this.keys(event);
    const sc = statusClass(event.status);
    this.requests.inc({ ...base, endpoint: endpointLabel(event.endpoint), status_class: sc, ...keys });
    for (const [field, kind] of TOKEN_KINDS) {
      const n = event.usage[field];
      if (n > 0) this.tokens.inc({ ...base, kind, ...keys }, n);
    }
    if (costMicros > 0) this.cost.inc({ ...base, ...keys }, costMicros);
    if (event.status >= 400 || event.error !== null) this.errors.inc({ ...base, status_class: sc });
    if (event.usageSource === "ESTIMATED") this.estimated.inc(base);
    this.latency.observe(base, Math.max(0, event.latencyMs) / 1000);
    if (event.ttfbMs !== null) this.ttfb.observe(base, Math.max(0, event.ttfbMs) / 1000);
  }

  observeQuotaRefusal(reason: string): void {
    this.quotaRefusals.inc({ reason: wordLabel(reason) });
  }

  /** One unbilled request; `endpoint` is a relay endpoint label (a fixed set), `outcome` a word. */
  observeUnbilled(endpoint: string, outcome: string): void {
    this.unbilled.inc({ endpoint: wordLabel(endpoint), outcome: wordLabel(outcome) });
  }

  observeStaleServed(cache: "key" | "upstreams"): void {
    this.staleServed.inc({ cache });
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

  observeLedgerRecords(outcome: "journaled" | "replayed" | "dropped" | "duplicate", n = 1): void {
    this.ledgerRecords.inc({ outcome }, n);
  }

  observeRedisError(op: string): void {
    this.redisErrors.inc({ op: wordLabel(op) });
  }

  observePostgresError(op: string): void {
    this.postgresErrors.inc({ op: wordLabel(op) });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
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
    import("~/ledger/redis-keys"),
    import("~/infra/env"),
  ]);
  const keys = Array.from({ length: env.LEDGER_SHARDS }, (_, shard) => ledgerKeys.events(shard));
  return measureBacklog(redis as unknown as BacklogRedis, keys);
}

const GLOBAL_KEY = Symbol.for("metergate.metrics");
const globalStore = globalThis as unknown as { [GLOBAL_KEY]?: Metrics };

/** The process-wide metrics (created on first use). */
export function metrics(): Metrics {
  return (globalStore[GLOBAL_KEY] ??= new Metrics());
}

export const observeRequest = (event: RequestEvent, costMicros: number): void =>
  metrics().observeRequest(event, costMicros);
export const observeQuotaRefusal = (reason: string): void => metrics().observeQuotaRefusal(reason);
export const observeUnbilled = (endpoint: string, outcome: string): void => metrics().observeUnbilled(endpoint, outcome);
export const observeStaleServed = (cache: "key" | "upstreams"): void => metrics().observeStaleServed(cache);
export const observeFlush = (result: FlushObservation, durationMs: number): void =>
  metrics().observeFlush(result, durationMs);
export const observeFlushError = (): void => metrics().observeFlushError();
export const observeRedisError = (op: string): void => metrics().observeRedisError(op);
export const observeLedgerRecords = (outcome: "journaled" | "replayed" | "dropped" | "duplicate", n = 1): void =>
  metrics().observeLedgerRecords(outcome, n);
export const observePostgresError = (op: string): void => metrics().observePostgresError(op);
/** Prometheus text exposition of every metric. */
export const metricsText = (): Promise<string> => metrics().text();
export const metricsContentType = (): string => metrics().contentType;

/**
 * Whether a scrape may read the metrics: always when METRICS_TOKEN is unset, else only with
 * `Authorization: Bearer <METRICS_TOKEN>` (compared in constant time).
 */
export function metricsAuthorized(authorization: string | null, token: string | undefined = process.env.METRICS_TOKEN): boolean {
  if (!token) return true;
  const m = /^Bearer\s+(.+)$/i.exec(authorization ?? "");
  if (!m?.[1]) return false;
  const a = Buffer.from(m[1].trim());
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
