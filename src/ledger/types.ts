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
