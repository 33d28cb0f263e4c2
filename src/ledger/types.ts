import type { BillingModifiers } from "~/pricing/request";

/** Usage as the providers bill it, normalised. "input" is billed input: it excludes cache reads and writes. */
export interface TokenUsage {
  input: number;
  output: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
}

export const ZERO_USAGE: Readonly<TokenUsage> = Object.freeze({
  input: 0,
  output: 0,
  cacheWrite5m: 0,
  cacheWrite1h: 0,
  cacheRead: 0,
});

export type ProviderName = "ANTHROPIC" | "OPENAI";
export type UsageSourceName = "UPSTREAM" | "ESTIMATED";

/**
 * Marks on a recorded request that say it is not an ordinary upstream-reported row:
 * - suspicious: a usage figure was out of range and was clamped (never dropped);
 * - orphaned: its relay process died, so the ledger made the event from what admission knew;
 * - replayed: it was recorded from the local journal after Redis came back.
 */
export const EVENT_FLAGS = ["suspicious", "orphaned", "replayed"] as const;
export type EventFlag = (typeof EVENT_FLAGS)[number];

/** One relayed request, as the relay reports it to the ledger when the response has ended. */
export interface RequestEvent {
  /** Unique request id (the flush job relies on it for exactly-once). */
  id: string;
  apiKeyId: string;
  tenantId: string;
  /**
   * The model billed: the one that served the request (the response's `model`), else the one
   * requested. The rollup dimension `model` is this one.
   */
  model: string;
  /** The model the client asked for; absent = the same as `model`. */
  requestedModel?: string | null;
  provider: ProviderName;
  /** e.g. "/v1/messages" */
  endpoint: string;
  stream: boolean;
  /** HTTP status sent to the client (for mid-stream errors: the status the error event stands for). */
  status: number;
  usage: TokenUsage;
  usageSource: UsageSourceName;
  /** Start time of the request, epoch ms. */
  startedAt: number;
  latencyMs: number;
  ttfbMs: number | null;
  clientIp: string | null;
  userAgent: string | null;
  error: string | null;
  /** See EVENT_FLAGS; absent = none. */
  flags?: EventFlag[];
  /** What the response said about how it was served (speed, geo, tier, server tools); absent = none. */
  billing?: BillingModifiers;
  /** Reasoning / thinking tokens, already inside `usage.output` (shown, not billed twice). */
  reasoningTokens?: number;
  /** Who sent it inside the key's tenant, and in which session (src/ledger/attribution.ts); absent = unknown. */
  endUserId?: string | null;
  sessionId?: string | null;
}

export function totalTokens(u: TokenUsage): number {
  return u.input + u.output + u.cacheWrite5m + u.cacheWrite1h + u.cacheRead;
}

/** The metrics kept per key × model × hour, in the order of UsageHourly's columns. */
export const METRICS = [
  "requests",
  "inputTokens",
  "outputTokens",
  "cacheWrite5mTokens",
  "cacheWrite1hTokens",
  "cacheReadTokens",
  "costMicros",
  "errorCount",
  "estimatedCount",
  "latencyMsSum",
  "reasoningTokens",
  "webSearchRequests",
  "unpricedCount",
] as const;
export type Metric = (typeof METRICS)[number];

/** What a metric is computed from: a recorded event (its cost already attached). */
export interface MetricSource {
  usage: TokenUsage;
  costMicros: number;
  priced: boolean;
  status: number;
  usageSource: UsageSourceName;
  latencyMs: number;
  reasoningTokens?: number;
  billing?: Pick<BillingModifiers, "webSearchRequests">;
}

/** 499 (the client went away) is the client's choice, not an error of the service. */
export function isErrorStatus(status: number): boolean {
  return status >= 400 && status !== 499;
}

export interface MetricDef {
  /** One event's contribution to the rollup (and to the unflushed deltas). */
  of(e: MetricSource): number;
  /** The RequestLog column holding the per-request value (the rollup sums it), or null for counts. */
  logColumn: { name: string; sqlType: "int" | "bigint" } | null;
  /** The rollup value as SQL over inserted RequestLog rows: must agree with `of`. */
  rollupSql: string;
}

const column = (name: string, of: (e: MetricSource) => number, sqlType: "int" | "bigint" = "int"): MetricDef => ({
  of,
  logColumn: { name, sqlType },
  rollupSql: `sum("${name}")`,
});
const count = (of: (e: MetricSource) => number, filter: string | null): MetricDef => ({
  of,
  logColumn: null,
  rollupSql: filter === null ? "count(*)" : `count(*) FILTER (WHERE ${filter})`,
});

/**
 * The one definition of every metric: how an event contributes to it, where the request log keeps
 * it and how the flush sums it. The record script's deltas, the flush SQL and its toRow, the ack
 * deltas and the rollup sums are all generated from this table.
 */
export const METRIC_DEFS: { readonly [M in Metric]: MetricDef } = {
  requests: count(() => 1, null),
  inputTokens: column("inputTokens", (e) => e.usage.input),
  outputTokens: column("outputTokens", (e) => e.usage.output),
  cacheWrite5mTokens: column("cacheWrite5mTokens", (e) => e.usage.cacheWrite5m),
  cacheWrite1hTokens: column("cacheWrite1hTokens", (e) => e.usage.cacheWrite1h),
  cacheReadTokens: column("cacheReadTokens", (e) => e.usage.cacheRead),
  costMicros: column("costMicros", (e) => e.costMicros, "bigint"),
  errorCount: count((e) => (isErrorStatus(e.status) ? 1 : 0), "status >= 400 AND status <> 499"),
  estimatedCount: count((e) => (e.usageSource === "ESTIMATED" ? 1 : 0), `"usageSource" = 'ESTIMATED'`),
  latencyMsSum: column("latencyMs", (e) => Math.max(0, Math.round(e.latencyMs))),
  reasoningTokens: column("reasoningTokens", (e) => e.reasoningTokens ?? 0),
  webSearchRequests: column("webSearchRequests", (e) => e.billing?.webSearchRequests ?? 0),
  // Unpriced *use*: tokens consumed with no price (a refused or failed request used none).
  unpricedCount: count(
    (e) => (!e.priced && totalTokens(e.usage) > 0 ? 1 : 0),
    `NOT priced AND "inputTokens" + "outputTokens" + "cacheWrite5mTokens" + "cacheWrite1hTokens" + "cacheReadTokens" > 0`,
  ),
};
