/**
 * What admission reserves against a key's spend caps: the request's worst-case cost as the
 * request itself states it, so that parallel requests cannot together spend past a cap.
 *
 *   reservation = promptTokens × dearest prompt rate + outputTokens × dearest output rate
 *   promptTokens = ⌈body bytes / 4⌉ (a generous estimate for text; see README "Quotas")
 *   dearest prompt rate = the cache-write 1h / 5m rate if an Anthropic request asks for caching
 *                         (`cache_control`), else the input rate
 *   outputTokens = the request's max_tokens (`max_tokens`, `max_completion_tokens`,
 *                  `max_output_tokens`), else `defaultMaxOutputTokens`; at most MAX_RESERVED_OUTPUT_TOKENS
 *
 * Rates are `lookupRates(...).worstCase`: the top band and dearest multiplier the model has. An
 * unpriced model is billed nothing, so it reserves nothing. The record script settles: it frees
 * the reservation and charges the actual cost (src/ledger/record.ts).
 */
import type { ProviderName } from "~/ledger/types";
import type { PriceOverrides } from "~/pricing";
import { lookupRates } from "~/pricing/request";

/**
 * Output tokens reserved for a request that sets no max_tokens (OpenAI chat and Responses allow
 * that; Anthropic requires it). 16,384 is gpt-4o's output ceiling; models that can write more
 * (o-series, gpt-5) can exceed it when the client sets no limit. RESERVE_DEFAULT_MAX_OUTPUT_TOKENS
 * overrides it.
 */
export const DEFAULT_MAX_OUTPUT_TOKENS = 16_384;

/** No model outputs more in one response; keeps the arithmetic exact for absurd max_tokens values. */
export const MAX_RESERVED_OUTPUT_TOKENS = 1_000_000;
/** Bytes per prompt token assumed by the prompt estimate. */
export const BYTES_PER_PROMPT_TOKEN = 4;

export interface ReservationRequest {
  provider: ProviderName;
  model: string;
  /** Request start, epoch ms (the catalog entry in effect then). */
  at: number;
  body: Uint8Array;
  maxOutputTokens: number | null;
  defaultMaxOutputTokens: number;
  overrides?: PriceOverrides;
}

const CACHE_CONTROL = Buffer.from('"cache_control"');

/** Micro-dollars, rounded up: the most this request can cost if it stays within what it states. */
export function worstCaseMicros(req: ReservationRequest): number {
  const rates = lookupRates(req.provider, req.model, req.at, req.overrides)?.worstCase;
  if (!rates) return 0;
  const promptTokens = Math.ceil(req.body.byteLength / BYTES_PER_PROMPT_TOKEN);
  const outputTokens = Math.min(req.maxOutputTokens ?? req.defaultMaxOutputTokens, MAX_RESERVED_OUTPUT_TOKENS);
  // OpenAI bills no cache writes (cached input is cheaper); Anthropic writes only where asked to.
  const writesCache = req.provider === "ANTHROPIC" && Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength).includes(CACHE_CONTROL);
  const promptRate = writesCache ? Math.max(rates.input, rates.cacheWrite5m, rates.cacheWrite1h) : rates.input;
  // Both products stay below 2^53: prompt ≤ 8.4M tokens (32 MiB), output ≤ 1M, rates < 1e9.
  return Math.ceil((promptTokens * promptRate + outputTokens * rates.output) / 1_000_000);
}
