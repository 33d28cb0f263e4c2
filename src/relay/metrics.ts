/**
 * The relay's metrics, on the process registry of src/infra/observability/metrics.ts: relayed
 * requests, tokens, cost, errors, latency, refusals, unbilled calls, stale cache serving.
 *
 * Cardinality is bounded on purpose:
 *  - model: the price-table name of the model (date suffix folded), or "other" when unpriced;
 *  - endpoint: a fixed list of relay endpoints, else "other";
 *  - reason labels: short snake_case words only, else "other";
 *  - API key and tenant ids only when METRICS_KEY_LABELS=true (one series per key: opt in).
 */
import { Counter, Histogram, type Registry } from "prom-client";
import { METRIC_PREFIX, processMetricSet, statusClass, wordLabel } from "~/infra/observability/metrics";
import type { RequestEvent } from "~/ledger/types";
import { priceTable, type PriceTable } from "~/pricing";
import { DATE_SUFFIX } from "~/pricing/table";

const KNOWN_ENDPOINTS = new Set([
  "/v1/messages",
  "/v1/messages/count_tokens",
  "/v1/chat/completions",
  "/v1/responses",
  "/v1/models",
]);

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

/** Seconds from request start to the end of the response (streams: to the last byte). */
export const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600];
/** Seconds to the first byte of the upstream response (model think time dominates). */
export const TTFB_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60];

const TOKEN_KINDS = [
  ["input", "input"],
  ["output", "output"],
  ["cacheWrite5m", "cache_write_5m"],
  ["cacheWrite1h", "cache_write_1h"],
  ["cacheRead", "cache_read"],
] as const;

export interface RelayMetricsOptions {
  /** Add api_key_id / tenant_id labels (default: env METRICS_KEY_LABELS=true). */
  keyLabels?: boolean;
  table?: PriceTable;
}

type Labels<T extends string> = Partial<Record<T, string>>;

/** The label objects of one request's series (see RelayMetrics.labelsFor); prom-client does not keep them. */
interface RequestLabels {
  base: { provider: string; model: string };
  request: Labels<string>;
  /** In TOKEN_KINDS order. */
  tokens: Array<Labels<string>>;
  cost: Labels<string>;
  error: Labels<string>;
}

export class RelayMetrics {
  readonly keyLabels: boolean;
  private readonly table: PriceTable | undefined;

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

  constructor(registry: Registry, opts: RelayMetricsOptions = {}) {
    this.keyLabels = opts.keyLabels ?? ["true", "1"].includes(process.env.METRICS_KEY_LABELS ?? "");
    this.table = opts.table;
    const registers = [registry];
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
  }

  private base(event: Pick<RequestEvent, "provider" | "model">) {
    return { provider: providerLabel(event.provider), model: modelLabel(event.model, this.table) };
  }

  private keys(event: Pick<RequestEvent, "apiKeyId" | "tenantId">): Labels<"api_key_id" | "tenant_id"> {
    return this.keyLabels ? { api_key_id: event.apiKeyId, tenant_id: event.tenantId } : {};
  }

  /**
   * The label objects of one request's series, built once per combination (bounded: provider ×
   * model label × endpoint × status class) instead of six spreads per request. Not with key labels,
   * whose combinations are unbounded.
   */
  private readonly labelCache = new Map<string, RequestLabels>();

  private labelsFor(event: RequestEvent): RequestLabels {
    const provider = providerLabel(event.provider);
    const model = modelLabel(event.model, this.table);
    const endpoint = endpointLabel(event.endpoint);
    const sc = statusClass(event.status);
    const cacheKey = this.keyLabels ? null : `${provider}\t${model}\t${endpoint}\t${sc}`;
    const hit = cacheKey === null ? undefined : this.labelCache.get(cacheKey);
    if (hit) return hit;
    const base = { provider, model };
    const keys = this.keys(event);
    const labels: RequestLabels = {
      base,
      request: { ...base, endpoint, status_class: sc, ...keys },
      tokens: TOKEN_KINDS.map(([, kind]) => ({ ...base, kind, ...keys })),
      cost: { ...base, ...keys },
      error: { ...base, status_class: sc },
    };
    if (cacheKey !== null) this.labelCache.set(cacheKey, labels);
    return labels;
  }

  /** One relayed request, after its response ended (the same event the ledger records). */
  observeRequest(event: RequestEvent, costMicros: number): void {
    const l = this.labelsFor(event);
    this.requests.inc(l.request);
    for (let i = 0; i < TOKEN_KINDS.length; i++) {
      const n = event.usage[TOKEN_KINDS[i]![0]];
      if (n > 0) this.tokens.inc(l.tokens[i]!, n);
    }
    if (costMicros > 0) this.cost.inc(l.cost, costMicros);
    if (event.status >= 400 || event.error !== null) this.errors.inc(l.error);
    if (event.usageSource === "ESTIMATED") this.estimated.inc(l.base);
    this.latency.observe(l.base, Math.max(0, event.latencyMs) / 1000);
    if (event.ttfbMs !== null) this.ttfb.observe(l.base, Math.max(0, event.ttfbMs) / 1000);
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
}

/** The relay's metrics on the process registry (created on first use). */
export const relayMetrics = (): RelayMetrics => processMetricSet("relay", (registry) => new RelayMetrics(registry));

export const observeRequest = (event: RequestEvent, costMicros: number): void =>
  relayMetrics().observeRequest(event, costMicros);
export const observeQuotaRefusal = (reason: string): void => relayMetrics().observeQuotaRefusal(reason);
export const observeUnbilled = (endpoint: string, outcome: string): void => relayMetrics().observeUnbilled(endpoint, outcome);
export const observeStaleServed = (cache: "key" | "upstreams"): void => relayMetrics().observeStaleServed(cache);
