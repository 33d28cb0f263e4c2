/**
 * Prometheus metrics (prom-client), served at /api/metrics: the generic part. One registry per
 * process, the label helpers every metric uses, and the store's own error counters. The metrics
 * that need domain facts are defined by their domain on this registry (src/relay/metrics.ts,
 * src/ledger/metrics.ts); src/server/metrics.ts puts them all together for a scrape.
 *
 * The registry and each metric set are kept on globalThis: Next bundles route handlers,
 * instrumentation and the relay into separate chunks and reloads modules in development, and
 * every copy must count into the same registry (a second registration of a metric name would throw).
 *
 * Cardinality is bounded on purpose: reason / op labels are short snake_case words only, else
 * "other"; the domain sets bound theirs (model, endpoint, key ids only when opted in).
 */
import { timingSafeEqual } from "node:crypto";
import { Counter, Registry, collectDefaultMetrics } from "prom-client";

export const METRIC_PREFIX = "metergate_";

export function statusClass(status: number): string {
  if (!Number.isInteger(status) || status < 100 || status > 599) return "other";
  return `${Math.floor(status / 100)}xx`;
}

/** A caller-chosen word (reason, operation): kept when short snake_case, else "other". */
export function wordLabel(value: string): string {
  return /^[a-z][a-z0-9_]{0,31}$/.test(value) ? value : "other";
}

/** A new registry; with the Node process metrics unless told otherwise. */
export function createRegistry(opts: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}

/** Failed store operations (Redis, Postgres), by operation. */
export class StoreMetrics {
  readonly redisErrors: Counter<"op">;
  readonly postgresErrors: Counter<"op">;

  constructor(registry: Registry) {
    const registers = [registry];
    this.redisErrors = new Counter({
      name: `${METRIC_PREFIX}redis_errors_total`,
      help: "Failed Redis operations by operation",
      labelNames: ["op"],
      registers,
    });
    this.postgresErrors = new Counter({
      name: `${METRIC_PREFIX}postgres_errors_total`,
      help: "Failed Postgres operations by operation",
      labelNames: ["op"],
      registers,
    });
  }

  observeRedisError(op: string): void {
    this.redisErrors.inc({ op: wordLabel(op) });
  }

  observePostgresError(op: string): void {
    this.postgresErrors.inc({ op: wordLabel(op) });
  }
}

const globalStore = globalThis as unknown as Record<symbol, unknown>;
const REGISTRY_KEY = Symbol.for("metergate.metrics");

/** The process-wide registry (created on first use, with the Node process metrics). */
export function processRegistry(): Registry {
  return (globalStore[REGISTRY_KEY] ??= createRegistry()) as Registry;
}

/** One metric set of the process-wide registry, built once per process under `name`. */
export function processMetricSet<T>(name: string, build: (registry: Registry) => T): T {
  const key = Symbol.for(`metergate.metrics.${name}`);
  return (globalStore[key] ??= build(processRegistry())) as T;
}

/** The process-wide store error counters. */
export const storeMetrics = (): StoreMetrics => processMetricSet("store", (registry) => new StoreMetrics(registry));

export const observeRedisError = (op: string): void => storeMetrics().observeRedisError(op);
export const observePostgresError = (op: string): void => storeMetrics().observePostgresError(op);

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
