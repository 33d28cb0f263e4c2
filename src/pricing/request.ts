/**
 * The pricing contract the ledger, the relay and the portal call: price one request from what its
 * response reported, and explain the result. Everything that bills goes through `priceRequest`;
 * admission estimates go through `lookupRates`.
 *
 * PROVISIONAL implementation over the flat price table (index.ts): the effective-dated catalog
 * replaces the body of these functions, not their signatures.
 */
import type { ProviderName, TokenUsage } from "~/ledger/types";
import { costOf, findModelPrice, type PriceOverrides } from "./index";

/** What the response said about how it was served; each may change the price. */
export interface BillingModifiers {
  /** Anthropic `usage.speed` ("standard" | "fast"). */
  speed: string | null;
  /** Anthropic `usage.inference_geo` (e.g. "us", "global"). */
  inferenceGeo: string | null;
  /** Anthropic `usage.service_tier` or OpenAI response `service_tier`, as served (not as requested). */
  serviceTier: string | null;
  /** Anthropic `usage.server_tool_use.web_search_requests` (OpenAI web search calls likewise). */
  webSearchRequests: number;
  /** Anthropic `usage.server_tool_use.web_fetch_requests` (no per-call fee today, tokens only). */
  webFetchRequests: number;
}

export const NO_MODIFIERS: Readonly<BillingModifiers> = Object.freeze({
  speed: null,
  inferenceGeo: null,
  serviceTier: null,
  webSearchRequests: 0,
  webFetchRequests: 0,
});

export interface PricingRequest {
  provider: ProviderName;
  /** The model that served the request (the response's `model`), which is the one billed. */
  model: string;
  /** Request start, epoch ms: the catalog entry in effect at this instant prices it. */
  at: number;
  usage: TokenUsage;
  modifiers: BillingModifiers;
}

/** One token kind × its rate, as it entered the total. */
export interface CostLine {
  kind: keyof TokenUsage;
  tokens: number;
  /** Micro-dollars per million tokens (integer), after the band, before multipliers. */
  ratePerMTokMicros: number;
}

export interface CostMultiplier {
  /** What the response reported that triggered it. */
  field: "speed" | "inference_geo" | "service_tier";
  value: string;
  /** Exact factor as a decimal string ("2", "1.1", "0.5"). */
  factor: string;
  /** Which token kinds it applies to. */
  appliesTo: ReadonlyArray<keyof TokenUsage>;
}

export interface CostFee {
  kind: "web_search";
  count: number;
  /** Micro-dollars per 1,000 calls. */
  perThousandMicros: number;
}

/** Why a request cost what it did: enough to recompute the total by hand. */
export interface CostExplanation {
  /** Catalog entry id (model@effectiveFrom) or "override:<model>" for a tenant price. */
  entryId: string;
  /** Where the rates come from (provider page URL), null for overrides. */
  sourceUrl: string | null;
  /** The prompt-length band applied, e.g. "prompt > 100000 tokens", or null. */
  band: string | null;
  lines: CostLine[];
  multipliers: CostMultiplier[];
  fees: CostFee[];
  /** The total, rounded once (half up) to micro-dollars. */
  totalMicros: number;
}

export type PricedRequest =
  | { priced: true; costMicros: number; explanation: CostExplanation }
  | { priced: false; costMicros: 0; explanation: null; reason: string };

/** Prices one request. Never throws on odd input: unknown models come back `priced: false`. */
export function priceRequest(req: PricingRequest, overrides?: PriceOverrides): PricedRequest {
  const price = findModelPrice(req.model, overrides);
  if (!price) return { priced: false, costMicros: 0, explanation: null, reason: `no price for ${req.model}` };
  const { costMicros } = costOf(req.model, req.usage, overrides);
  const lines: CostLine[] = (["input", "output", "cacheWrite5m", "cacheWrite1h", "cacheRead"] as const).map((kind) => ({
    kind,
    tokens: req.usage[kind],
    ratePerMTokMicros: price[kind],
  }));
  return {
    priced: true,
    costMicros,
    explanation: { entryId: req.model, sourceUrl: null, band: null, lines, multipliers: [], fees: [], totalMicros: costMicros },
  };
}

/** Base rates of the entry in effect (no band, no multipliers), µ$ per MTok; null = not priced. */
export interface BaseRates {
  input: number;
  output: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
}

/**
 * The highest rates a request to this model could be billed at (top band, dearest multiplier the
 * model has), for admission's worst-case reservation. Null when the model is not priced.
 */
export function lookupRates(
  provider: ProviderName,
  model: string,
  at: number,
  overrides?: PriceOverrides,
): { base: BaseRates; worstCase: BaseRates } | null {
  void provider;
  void at;
  const p = findModelPrice(model, overrides);
  if (!p) return null;
  const base = { input: p.input, output: p.output, cacheWrite5m: p.cacheWrite5m, cacheWrite1h: p.cacheWrite1h, cacheRead: p.cacheRead };
  const worstCase = p.longContext
    ? {
        input: p.longContext.input,
        output: p.longContext.output,
        cacheWrite5m: p.longContext.cacheWrite5m,
        cacheWrite1h: p.longContext.cacheWrite1h,
        cacheRead: p.longContext.cacheRead,
      }
    : base;
  return { base, worstCase };
}
