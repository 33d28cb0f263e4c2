/**
 * The pricing contract the ledger, the relay and the portal call: price one request from what its
 * response reported, and explain the result. Everything that bills goes through `priceRequest`;
 * admission estimates go through `lookupRates`.
 *
 * The entry in effect at the request's start time prices it (catalog.ts). Tenant overrides keep
 * precedence over the catalog's rates; the provider's multipliers and fees of the entry in effect
 * still apply on top of them (they are how the provider bills, not a price the tenant chose).
 *
 * Arithmetic: every line is tokens × rate (µ$/MTok) × the exact factors that apply to it, all as
 * BigInt over one common denominator; the sum is rounded once, half up, to micro-dollars.
 */
import type { ProviderName, TokenUsage } from "~/ledger/types";
import {
  formatRational,
  multiplierInEffect,
  MODIFIER_FIELDS,
  ratesOf,
  resolveModel,
  bandsOf,
  shippedCatalog,
  TOKEN_KINDS,
  type Band,
  type ModifierField,
  type PriceCatalog,
  type RateSet,
  type ResolvedEntry,
  type ResolvedFee,
  type ResolvedMultiplier,
  type ResolvedPricedEntry,
  type TokenKind,
} from "./catalog";
import { findOverride, type PriceOverrides } from "./table";
import { HOUR_MS } from "~/lib/time";

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
  /**
   * OpenAI `prompt_cache_retention` as the request asked for it ("in_memory" | "24h"), or as a
   * Responses response echoes it when the request did not say; null = not said (and for Anthropic).
   */
  promptCacheRetention: string | null;
}

export const NO_MODIFIERS: Readonly<BillingModifiers> = Object.freeze({
  speed: null,
  inferenceGeo: null,
  serviceTier: null,
  webSearchRequests: 0,
  webFetchRequests: 0,
  promptCacheRetention: null,
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
  /** Product of the multipliers that apply to this kind, exact ("1", "2.2", "0.5"). */
  factor?: string;
}

export interface CostMultiplier {
  /** What the response reported (or, for prompt_cache_retention, the request asked for) that triggered it. */
  field: ModifierField;
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
  /** effectiveFrom of the catalog entry that priced it (for overrides: of the entry whose multipliers applied). */
  effectiveFrom?: string | null;
  /** The catalog entry's figures come only from a secondary source. */
  secondary?: boolean;
  /**
   * Reported modifiers this model has no price rule for (e.g. an unknown service tier, or web
   * searches on a model without a search fee): priced at standard rates, listed here so it shows.
   */
  unmatchedModifiers?: Array<{ field: string; value: string }>;
}

export type PricedRequest =
  | { priced: true; costMicros: number; explanation: CostExplanation }
  | { priced: false; costMicros: 0; explanation: null; reason: string };

/** Values that mean "no surcharge" for a field. */
const NEUTRAL: Readonly<Record<ModifierField, readonly string[]>> = {
  speed: ["standard"],
  inference_geo: ["global"],
  service_tier: ["standard", "default", "auto"],
  prompt_cache_retention: ["in_memory"],
};

function reported(modifiers: BillingModifiers, field: ModifierField): string | null {
  const v =
    field === "speed"
      ? modifiers.speed
      : field === "inference_geo"
        ? modifiers.inferenceGeo
        : field === "service_tier"
          ? modifiers.serviceTier
          : modifiers.promptCacheRetention;
  if (typeof v !== "string") return null;
  const t = v.trim().toLowerCase();
  return t === "" ? null : t;
}

const isCount = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n) && n >= 0;

function unpriced(reason: string): PricedRequest {
  return { priced: false, costMicros: 0, explanation: null, reason };
}

interface Pricing {
  entryId: string;
  sourceUrl: string | null;
  rates: RateSet;
  bands: readonly Band[];
  /** The catalog entry whose multipliers and fees apply (null: none). */
  entry: ResolvedPricedEntry | null;
  /** Its multipliers in effect at the request's time. */
  inEffect: readonly ResolvedMultiplier[];
}

/**
 * What the catalog says about one model id during one period: the entry in effect and its
 * multipliers in effect, constant over [fromMs, untilMs). Pricing runs once per request on the
 * record path; resolving the id (alias, date suffix) and scanning entries and multipliers each
 * time cost several times the old flat-table lookup, so the last period seen per id is kept.
 */
interface CatalogPeriod {
  fromMs: number;
  untilMs: number;
  entry: ResolvedEntry | undefined;
  inEffect: readonly ResolvedMultiplier[];
  /** The id names a model of the catalog at some time (for the unpriced reason). */
  known: boolean;
}

const PERIOD_CACHE_MAX = 10_000;
const periodCaches = new WeakMap<PriceCatalog, Map<string, CatalogPeriod>>();

function periodOf(catalog: PriceCatalog, model: string, at: number): CatalogPeriod {
  const canonical = resolveModel(catalog, model);
  const list = canonical === undefined ? undefined : catalog.models.get(canonical);
  let fromMs = Number.NEGATIVE_INFINITY;
  let untilMs = Number.POSITIVE_INFINITY;
  let entry: ResolvedEntry | undefined;
  for (const e of list ?? []) {
    if (e.effectiveFromMs <= at) {
      entry = e;
      fromMs = e.effectiveFromMs;
    } else {
      untilMs = e.effectiveFromMs;
      break;
    }
  }
  const inEffect: ResolvedMultiplier[] = [];
  if (entry?.kind === "priced") {
    for (const m of entry.multipliers) {
      for (const edge of [m.fromMs, m.untilMs]) {
        if (edge <= at) fromMs = Math.max(fromMs, edge);
        else untilMs = Math.min(untilMs, edge);
      }
      if (multiplierInEffect(m, at)) inEffect.push(m);
    }
  }
  return { fromMs, untilMs, entry, inEffect, known: list !== undefined };
}

/** The catalog period of `model` containing `at` (memoized per catalog and id; effective dates hold). */
function catalogPeriod(catalog: PriceCatalog, model: string, at: number): CatalogPeriod {
  let cache = periodCaches.get(catalog);
  if (!cache) periodCaches.set(catalog, (cache = new Map()));
  const hit = cache.get(model);
  if (hit && hit.fromMs <= at && at < hit.untilMs) return hit;
  const period = periodOf(catalog, model, at);
  if (cache.size >= PERIOD_CACHE_MAX) cache.clear(); // ids come from clients: keep it bounded
  cache.set(model, period);
  return period;
}

/** What prices a model at `at`: a tenant override first, then the catalog entry in effect. */
function pricingFor(catalog: PriceCatalog, model: string, at: number, overrides?: PriceOverrides): Pricing | { unpriced: string } {
  const period = catalogPeriod(catalog, model, at);
  const entry = period.entry;
  const priced = entry?.kind === "priced" ? entry : null;
  const override = findOverride(overrides, model);
  if (override) {
    return {
      entryId: `override:${override.key}`,
      sourceUrl: null,
      rates: ratesOf(override.price),
      bands: bandsOf(override.price),
      entry: priced,
      inEffect: priced ? period.inEffect : [],
    };
  }
  if (!entry) {
    return { unpriced: period.known ? `no price for ${model} in effect at ${new Date(at).toISOString()}` : `no price for ${model}` };
  }
  if (entry.kind === "notPriced") return { unpriced: `${model} is not priced: ${entry.reason}` };
  return { entryId: entry.id, sourceUrl: entry.sourceUrl, rates: entry.rates, bands: entry.bands, entry, inEffect: period.inEffect };
}

function bandFor(bands: readonly Band[], usage: TokenUsage): Band | null {
  let chosen: Band | null = null;
  for (const b of bands) {
    let counted = 0;
    for (const k of b.countedKinds) counted += usage[k];
    if (counted > b.thresholdTokens) chosen = b;
  }
  return chosen;
}

const bigRateSets = new WeakMap<RateSet, Readonly<Record<TokenKind, bigint>>>();
/** A rate set as BigInts, converted once per catalog rate set (the record path prices every request). */
function bigRates(rates: RateSet): Readonly<Record<TokenKind, bigint>> {
  let big = bigRateSets.get(rates);
  if (!big) {
    big = { input: BigInt(rates.input), output: BigInt(rates.output), cacheWrite5m: BigInt(rates.cacheWrite5m), cacheWrite1h: BigInt(rates.cacheWrite1h), cacheRead: BigInt(rates.cacheRead) };
    bigRateSets.set(rates, big);
  }
  return big;
}

const factorTexts = new Map<string, string>();
/** formatRational, memoized: the same few products recur on every request. */
function factorText(num: bigint, den: bigint): string {
  if (num === den) return "1";
  const key = `${num}/${den}`;
  let text = factorTexts.get(key);
  if (text === undefined) {
    text = formatRational({ num, den });
    if (factorTexts.size < 10_000) factorTexts.set(key, text);
  }
  return text;
}

const MICROS_PER_MTOK = 1_000_000;

/**
 * Σ tokens × rate (µ$/MTok) over the kinds, rounded once (half up) to micro-dollars, when no
 * multiplier applies: exact in Number arithmetic as long as every product and the sum stay below
 * 2^53 (each is checked; a product that would not be exact is ≥ 2^53 as a double too), else null
 * and the BigInt path decides. Saves the BigInt allocations on the common request.
 */
function plainTotal(usage: TokenUsage, rates: RateSet, feeMicrosTimesMillion: number): number | null {
  let sum = feeMicrosTimesMillion;
  for (const kind of TOKEN_KINDS) {
    const p = usage[kind] * rates[kind];
    if (p > Number.MAX_SAFE_INTEGER) return null;
    sum += p;
  }
  if (sum > Number.MAX_SAFE_INTEGER - MICROS_PER_MTOK) return null;
  const half = sum + MICROS_PER_MTOK / 2;
  return (half - (half % MICROS_PER_MTOK)) / MICROS_PER_MTOK;
}

/** A priced request whose explanation is built only when asked for (see costOfRequest). */
type Evaluated =
  | { priced: true; costMicros: number; explanation: CostExplanation | null }
  | { priced: false; costMicros: 0; explanation: null; reason: string };

/** The one pricing computation; `explain` says whether to build the explanation too. */
function evaluate(catalog: PriceCatalog, req: Omit<PricingRequest, "provider">, overrides: PriceOverrides | undefined, explain: boolean): Evaluated {
  const { usage, modifiers, at, model } = req;
  if (typeof model !== "string" || model === "") return unpriced("no model");
  if (!Number.isFinite(at)) return unpriced("no valid request time");
  if (!TOKEN_KINDS.every((k) => isCount(usage[k]))) return unpriced("usage token counts are not non-negative integers");
  const webSearches = isCount(modifiers.webSearchRequests) ? modifiers.webSearchRequests : 0;

  const pricing = pricingFor(catalog, model, at, overrides);
  if ("unpriced" in pricing) return unpriced(pricing.unpriced);

  const band = pricing.bands.length === 0 ? null : bandFor(pricing.bands, usage);
  const rates = band ? band.rates : pricing.rates;
  const inEffect = pricing.inEffect;

  const applied: ResolvedMultiplier[] = [];
  const unmatched: Array<{ field: string; value: string }> = [];
  for (const field of MODIFIER_FIELDS) {
    const value = reported(modifiers, field);
    if (value === null) continue;
    const m = inEffect.find((x) => x.field === field && x.value === value);
    if (m) applied.push(m);
    else if (!NEUTRAL[field].includes(value)) unmatched.push({ field, value });
  }

  const fees: Array<ResolvedFee & { count: number }> = [];
  if (webSearches > 0) {
    const fee = pricing.entry?.fees.find((f) => f.kind === "web_search");
    if (fee) fees.push({ ...fee, count: webSearches });
    else unmatched.push({ field: "web_search_requests", value: String(webSearches) });
  }

  let totalMicros: number | null = null;
  if (applied.length === 0) {
    let feeScaled = 0; // fees in µ$ × 10^6, the per-MTok denominator
    for (const f of fees) feeScaled += f.count * f.perThousandMicros * (MICROS_PER_MTOK / 1000);
    totalMicros = Number.isSafeInteger(feeScaled) ? plainTotal(usage, rates, feeScaled) : null;
  }
  const factors: string[] = [];
  if (totalMicros === null || explain) {
    // Common denominator: 10^6 (per MTok) × every applied factor's denominator.
    const denominator = applied.reduce((d, m) => d * m.factor.den, 1_000_000n);
    let sum = 0n;
    for (const kind of TOKEN_KINDS) {
      let num = 1n;
      let den = 1n;
      let scale = 1n; // the other factors' denominators, to reach the common one
      for (const m of applied) {
        if (m.appliesTo.includes(kind)) {
          num *= m.factor.num;
          den *= m.factor.den;
        } else {
          scale *= m.factor.den;
        }
      }
      const product = BigInt(usage[kind]) * bigRates(rates)[kind];
      sum += applied.length === 0 ? product : product * num * scale;
      factors.push(factorText(num, den));
    }
    for (const f of fees) sum += BigInt(f.count) * BigInt(f.perThousandMicros) * (denominator / 1000n);
    const total = (sum + denominator / 2n) / denominator;
    if (total > BigInt(Number.MAX_SAFE_INTEGER)) return unpriced("cost out of range");
    totalMicros = Number(total);
  }
  if (!explain) return { priced: true, costMicros: totalMicros, explanation: null };
  return {
    priced: true,
    costMicros: totalMicros,
    explanation: {
      entryId: pricing.entryId,
      sourceUrl: pricing.sourceUrl,
      band: band ? `prompt > ${band.thresholdTokens} tokens` : null,
      lines: TOKEN_KINDS.map((kind, i) => ({ kind, tokens: usage[kind], ratePerMTokMicros: rates[kind], factor: factors[i] ?? "1" })),
      multipliers: applied.map((m) => ({ field: m.field, value: m.value, factor: m.factorText, appliesTo: m.appliesTo })),
      fees: fees.map((f) => ({ kind: f.kind, count: f.count, perThousandMicros: f.perThousandMicros })),
      totalMicros,
      effectiveFrom: pricing.entry?.effectiveFrom ?? null,
      secondary: pricing.entry?.secondary ?? false,
      unmatchedModifiers: unmatched,
    },
  };
}

/** Prices one request against a given catalog (the shipped one unless a caller brings its own). */
export function priceWithCatalog(catalog: PriceCatalog, req: Omit<PricingRequest, "provider">, overrides?: PriceOverrides): PricedRequest {
  return evaluate(catalog, req, overrides, true) as PricedRequest;
}

/** Prices one request. Never throws on odd input: unknown models come back `priced: false`. */
export function priceRequest(req: PricingRequest, overrides?: PriceOverrides): PricedRequest {
  try {
    return priceWithCatalog(shippedCatalog, req, overrides);
  } catch (err) {
    // Only reachable on input the types rule out (e.g. a non-object usage from untyped code).
    return unpriced(`could not price: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** A request's cost as the record path needs it: priced like priceRequest, explained only for tenant overrides. */
export type RecordedPrice =
  | { priced: true; costMicros: number; explanation: CostExplanation | null }
  | { priced: false; costMicros: 0; explanation: null; reason: string };

/**
 * The same computation as priceRequest; the explanation is built only when a tenant override
 * priced the request. A catalog price's explanation is a pure function of the request (model,
 * start, usage, modifiers) and is recomputed from the stored event (ledger explanationOf), so the
 * hot path neither builds nor carries it.
 */
export function costOfRequest(req: PricingRequest, overrides?: PriceOverrides): RecordedPrice {
  try {
    const explain = findOverride(overrides, req.model) !== undefined;
    return evaluate(shippedCatalog, req, overrides, explain);
  } catch (err) {
    return unpriced(`could not price: ${err instanceof Error ? err.message : String(err)}`) as RecordedPrice;
  }
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
 * Hours in [fromMs, toMs) whose base rates (lookupRates().base) may differ from the hour before's,
 * for any model: the first hour starting at or after each catalog entry's effectiveFrom. Overrides
 * carry no dates, so they add none. Usage summed over hours between two of these (per model) and
 * priced at its first hour costs the same as priced hour by hour.
 */
export function baseRateChangeHours(fromMs: number, toMs: number): number[] {
  const hours = new Set<number>();
  for (const entries of shippedCatalog.models.values()) {
    for (const e of entries) {
      const hour = Math.ceil(e.effectiveFromMs / HOUR_MS) * HOUR_MS;
      if (hour > fromMs && hour < toMs) hours.add(hour);
    }
  }
  return [...hours].sort((a, b) => a - b);
}

/**
 * The highest rates a request to this model could be billed at (top band, dearest multiplier the
 * model has), for admission's worst-case reservation. Null when the model is not priced.
 * Per token kind: the highest band rate × for each reported field the largest factor (≥ 1) in
 * effect at `at` that applies to the kind; fields stack. Rounded up, so it never under-reserves.
 */
export function lookupRates(
  provider: ProviderName,
  model: string,
  at: number,
  overrides?: PriceOverrides,
): LookedUpRates | null {
  void provider; // model ids are unique across providers; the served model decides
  if (findOverride(overrides, model)) return ratesIn(pricingFor(shippedCatalog, model, at, overrides));
  // A catalog price: the same for the whole catalog period (the relay asks up to four times a request).
  const period = catalogPeriod(shippedCatalog, model, at);
  const hit = catalogRates.get(period);
  if (hit !== undefined) return hit;
  const rates = ratesIn(pricingFor(shippedCatalog, model, at, overrides));
  if (rates) {
    Object.freeze(rates.base);
    Object.freeze(rates.worstCase);
    Object.freeze(rates);
  }
  catalogRates.set(period, rates);
  return rates;
}

export interface LookedUpRates {
  base: BaseRates;
  worstCase: BaseRates;
}

/** lookupRates of catalog prices, per catalog period (shared, frozen). */
const catalogRates = new WeakMap<CatalogPeriod, LookedUpRates | null>();

function ratesIn(pricing: Pricing | { unpriced: string }): LookedUpRates | null {
  if ("unpriced" in pricing) return null;
  const inEffect = pricing.inEffect;
  const worst = (kind: TokenKind): number => {
    const top = Math.max(pricing.rates[kind], ...pricing.bands.map((b) => b.rates[kind]));
    let num = 1n;
    let den = 1n;
    for (const field of MODIFIER_FIELDS) {
      let best = { num: 1n, den: 1n };
      for (const m of inEffect) {
        if (m.field === field && m.appliesTo.includes(kind) && m.factor.num * best.den > best.num * m.factor.den) best = m.factor;
      }
      num *= best.num;
      den *= best.den;
    }
    return Number((BigInt(top) * num + den - 1n) / den);
  };
  const worstCase = { input: worst("input"), output: worst("output"), cacheWrite5m: worst("cacheWrite5m"), cacheWrite1h: worst("cacheWrite1h"), cacheRead: worst("cacheRead") };
  return { base: { ...pricing.rates }, worstCase };
}
