/**
 * The event as stored in the Redis stream: the relay's RequestEvent plus its cost, computed once
 * at record time from the price table, so every later view sums the same integers.
 */
import { z } from "zod";
import { METRICS, hourStartMs, pendingField, type Metric } from "./redis-keys";
import { EVENT_FLAGS, type RequestEvent } from "./types";

export const storedEventSchema = z.object({
  id: z.string().min(1),
  apiKeyId: z.string(),
  tenantId: z.string(),
  model: z.string(),
  provider: z.enum(["ANTHROPIC", "OPENAI"]),
  endpoint: z.string(),
  stream: z.boolean(),
  status: z.number().int(),
  usage: z.object({
    input: z.number().int().nonnegative(),
    output: z.number().int().nonnegative(),
    cacheWrite5m: z.number().int().nonnegative(),
    cacheWrite1h: z.number().int().nonnegative(),
    cacheRead: z.number().int().nonnegative(),
  }),
  usageSource: z.enum(["UPSTREAM", "ESTIMATED"]),
  startedAt: z.number().int(),
  latencyMs: z.number().int().nonnegative(),
  ttfbMs: z.number().int().nonnegative().nullable(),
  clientIp: z.string().nullable(),
  userAgent: z.string().nullable(),
  error: z.string().nullable(),
  costMicros: z.number().int().nonnegative(),
  priced: z.boolean(),
  flags: z.array(z.enum(EVENT_FLAGS)).default([]),
});
export type StoredEvent = z.infer<typeof storedEventSchema>;

/** 499 (the client went away) is the client's choice, not an error of the service. */
export function isErrorStatus(status: number): boolean {
  return status >= 400 && status !== 499;
}

/** The rollup increments one event contributes, as [field, delta] pairs for the pending hash. */
export function pendingDeltas(e: StoredEvent | (RequestEvent & { costMicros: number })): Array<[string, number]> {
  const hour = hourStartMs(e.startedAt);
  const values: Record<Metric, number> = {
    requests: 1,
    inputTokens: e.usage.input,
    outputTokens: e.usage.output,
    cacheWrite5mTokens: e.usage.cacheWrite5m,
    cacheWrite1hTokens: e.usage.cacheWrite1h,
    cacheReadTokens: e.usage.cacheRead,
    costMicros: e.costMicros,
    errorCount: isErrorStatus(e.status) ? 1 : 0,
    estimatedCount: e.usageSource === "ESTIMATED" ? 1 : 0,
    latencyMsSum: Math.max(0, Math.round(e.latencyMs)),
  };
  return METRICS.filter((m) => values[m] !== 0).map((m) => [pendingField(e.apiKeyId, e.model, hour, m), values[m]]);
}
