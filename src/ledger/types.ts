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
  model: string;
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
] as const;
export type Metric = (typeof METRICS)[number];
