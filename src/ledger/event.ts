/**
 * The event as stored in the Redis stream: the relay's RequestEvent plus its cost, computed once at
 * record time by the pricing module, so every later view sums the same integers; and what is needed
 * to say why (the explanation itself for tenant overrides; catalog prices are re-explained at flush).
 */
import { z } from "zod";
import { NO_MODIFIERS, priceRequest, type CostExplanation } from "~/pricing/request";
import { hourStartMs, pendingFieldPrefix } from "./redis-keys";
import { EVENT_FLAGS, METRIC_DEFS, METRICS, type MetricSource } from "./types";

export { isErrorStatus } from "./types";

const count = z.number().int().nonnegative();

export const billingModifiersSchema = z.object({
  speed: z.string().max(64).nullable(),
  inferenceGeo: z.string().max(64).nullable(),
  serviceTier: z.string().max(64).nullable(),
  webSearchRequests: count,
  webFetchRequests: count,
  /** Absent in events written before it was read (= not said). */
  promptCacheRetention: z.string().max(64).nullable().default(null),
});

export const storedEventSchema = z.object({
  id: z.string().min(1),
  apiKeyId: z.string(),
  tenantId: z.string(),
  model: z.string(),
  /** null = the same as model (events written before served/requested were told apart). */
  requestedModel: z.string().nullable().default(null),
  provider: z.enum(["ANTHROPIC", "OPENAI"]),
  endpoint: z.string(),
  stream: z.boolean(),
  status: z.number().int(),
  usage: z.object({
    input: count,
    output: count,
    cacheWrite5m: count,
    cacheWrite1h: count,
    cacheRead: count,
  }),
  usageSource: z.enum(["UPSTREAM", "ESTIMATED"]),
  startedAt: z.number().int(),
  latencyMs: count,
  ttfbMs: count.nullable(),
  clientIp: z.string().nullable(),
  userAgent: z.string().nullable(),
  error: z.string().nullable(),
  costMicros: count,
  priced: z.boolean(),
  flags: z.array(z.enum(EVENT_FLAGS)).default([]),
  billing: billingModifiersSchema.default({ ...NO_MODIFIERS }),
  reasoningTokens: count.default(0),
  /** End user and session within the tenant (attribution.ts); null = not sent. */
  endUserId: z.string().nullable().default(null),
  sessionId: z.string().nullable().default(null),
  /** A tenant override's CostExplanation, kept whole (null for catalog prices: see explanationOf). */
  explanation: z
    .custom<CostExplanation>((v) => typeof v === "object" && v !== null && typeof (v as { entryId?: unknown }).entryId === "string")
    .nullable()
    .default(null),
});
export type StoredEvent = z.infer<typeof storedEventSchema>;

/** The rollup increments one event contributes, as [field, delta] pairs for the pending hash. */
export function pendingDeltas(e: MetricSource & { apiKeyId: string; model: string; startedAt: number }): Array<[string, number]> {
  const prefix = pendingFieldPrefix(e.apiKeyId, e.model, hourStartMs(e.startedAt));
  const out: Array<[string, number]> = [];
  for (const m of METRICS) {
    const v = METRIC_DEFS[m].of(e);
    if (v !== 0) out.push([prefix + m, v]);
  }
  return out;
}

/**
 * Why the event cost what it did. Catalog prices are re-explained from the event itself (same
 * catalog, model, start time, usage and modifiers give the same result); a re-explanation that
 * does not add up to the recorded cost (the catalog changed in between) is not stored as if it did.
 */
export function explanationOf(e: StoredEvent): CostExplanation | null {
  if (e.explanation || !e.priced) return e.explanation;
  const again = priceRequest({ provider: e.provider, model: e.model, at: e.startedAt, usage: e.usage, modifiers: e.billing });
  return again.priced && again.costMicros === e.costMicros ? again.explanation : null;
}
