/**
 * The price catalog: effective-dated entries per model, validated at load.
 *
 * An entry is in effect from its `effectiveFrom` until the next entry of the same model begins
 * (a request is priced with the entry in effect at its start time; history is never re-priced).
 * Rates are integer micro-dollars per million tokens (µ$/MTok), which is exact down to
 * $0.000001 per MTok. Token kinds, per provider:
 *
 *   input         billed (uncached) input tokens
 *   output        output tokens, reasoning/thinking included
 *   cacheRead     Anthropic cache hits and refreshes; OpenAI cached input
 *   cacheWrite5m  Anthropic 5-minute cache write; OpenAI standard-retention cache write (30 minutes)
 *   cacheWrite1h  Anthropic 1-hour cache write; OpenAI extended-retention cache write (12 hours)
 *
 * A band (prompt-length tier) applies its full rate set to the whole request, output included,
 * when the sum of its counted kinds exceeds the threshold. Multipliers are keyed by what the
 * response reports (`speed`, `inference_geo`, `service_tier`) or the request's
 * `prompt_cache_retention`, carry an exact factor and the
 * kinds they apply to, and may themselves be effective-dated. Fees are per call (per 1,000).
 * "Not priced" entries say why a model has no price, so no model id is silently $0.
 */
import { z } from "zod";
import type { TokenUsage } from "~/ledger/types";
import shippedData from "./catalog.json" with { type: "json" };
import { DATE_SUFFIX, type ModelPrice, type PriceTable } from "./table";

export const TOKEN_KINDS = ["input", "output", "cacheWrite5m", "cacheWrite1h", "cacheRead"] as const satisfies ReadonlyArray<
  keyof TokenUsage
>;
export type TokenKind = (typeof TOKEN_KINDS)[number];
/** The kinds that make up a prompt (everything sent to the model). */
export const PROMPT_KINDS = ["input", "cacheRead", "cacheWrite5m", "cacheWrite1h"] as const satisfies readonly TokenKind[];

/**
 * What a multiplier may be keyed by: what the response reports (speed, inference_geo,
 * service_tier), or, for OpenAI's prompt_cache_retention, what the request asked for (the
 * response does not say it on every endpoint).
 */
export const MODIFIER_FIELDS = ["speed", "inference_geo", "service_tier", "prompt_cache_retention"] as const;
export type ModifierField = (typeof MODIFIER_FIELDS)[number];

export const CATALOG_UNIT = "micro-dollars per million tokens";

// ---------------------------------------------------------------------------------------------
// Exact factors
// ---------------------------------------------------------------------------------------------

export interface Rational {
  num: bigint;
  den: bigint;
}

const FACTOR_RE = /^(\d{1,6})(?:\.(\d{1,6}))?$|^(\d{1,9})\/([1-9]\d{0,8})$/;

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function reduce(r: Rational): Rational {
  const g = gcd(r.num, r.den);
  return g > 1n ? { num: r.num / g, den: r.den / g } : r;
}

/** "1.1" → 11/10, "0.5" → 1/2, "3/2" → 3/2. Throws on anything else (validated at load). */
export function parseFactor(text: string): Rational {
  const m = FACTOR_RE.exec(text);
  if (!m) throw new RangeError(`not an exact factor: ${text}`);
  if (m[3] !== undefined && m[4] !== undefined) return reduce({ num: BigInt(m[3]), den: BigInt(m[4]) });
  const frac = m[2] ?? "";
  return reduce({ num: BigInt(`${m[1] ?? "0"}${frac}`), den: 10n ** BigInt(frac.length) });
}

/** Exact decimal when the denominator allows it ("2.2"), else "a/b". */
export function formatRational(r: Rational): string {
  const { num, den } = reduce(r);
  let d = den;
  let twos = 0;
  let fives = 0;
  while (d % 2n === 0n) (d /= 2n), twos++;
  while (d % 5n === 0n) (d /= 5n), fives++;
  if (d !== 1n) return `${num}/${den}`;
  const places = Math.max(twos, fives);
  const scaled = (num * 10n ** BigInt(places)) / den;
  if (places === 0) return scaled.toString();
  const s = scaled.toString().padStart(places + 1, "0");
  return `${s.slice(0, -places)}.${s.slice(-places)}`.replace(/\.?0+$/, "");
}

// ---------------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------------

const INSTANT_RE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?Z)?$/;

/** Dates are UTC: "2026-10-07" is 2026-10-07T00:00:00Z. */
export function instantMs(text: string): number {
  return Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text);
}

const instantSchema = z
  .string()
  .regex(INSTANT_RE, "expected YYYY-MM-DD or an ISO instant in UTC")
  .refine((s) => Number.isFinite(instantMs(s)), "not a valid date");
const daySchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "expected YYYY-MM-DD");
const rate = z.number().int().nonnegative().max(1e12);
const kind = z.enum(TOKEN_KINDS);
const modelIdSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, "not a plain model id");
const urlSchema = z.string().url();

export const rateSetSchema = z.strictObject({
  input: rate,
  output: rate,
  cacheWrite5m: rate,
  cacheWrite1h: rate,
  cacheRead: rate,
});
export type RateSet = z.infer<typeof rateSetSchema>;

export const multiplierSchema = z.strictObject({
  field: z.enum(MODIFIER_FIELDS),
  /** The value as the response reports it (compared case-insensitively). */
  value: z.string().min(1).max(64),
  factor: z.string().regex(FACTOR_RE, 'expected an exact factor such as "2", "1.1" or "3/2"'),
  appliesTo: z.array(kind).min(1),
  effectiveFrom: instantSchema.optional(),
  /** Exclusive. */
  effectiveUntil: instantSchema.optional(),
  note: z.string().optional(),
});
export type Multiplier = z.infer<typeof multiplierSchema>;

export const feeSchema = z.strictObject({
  kind: z.literal("web_search"),
  perThousandMicros: rate,
});
export type Fee = z.infer<typeof feeSchema>;

export const bandSchema = z.strictObject({
  /** Strictly more than this many counted tokens selects the band. */
  thresholdTokens: z.number().int().positive(),
  countedKinds: z.array(kind).min(1),
  rates: rateSetSchema,
});
export type Band = z.infer<typeof bandSchema>;

const modifierSetSchema = z.strictObject({
  sourceUrl: urlSchema,
  multipliers: z.array(multiplierSchema).default([]),
  fees: z.array(feeSchema).default([]),
});

const entryCommon = {
  model: modelIdSchema,
  /** Other ids that name the same model (dated snapshots, older names). */
  aliases: z.array(modelIdSchema).default([]),
  provider: z.enum(["anthropic", "openai"]),
  effectiveFrom: instantSchema,
  sourceUrl: urlSchema,
  /** When the source was read. */
  readOn: daySchema,
  note: z.string().optional(),
};

export const pricedEntrySchema = z.strictObject({
  ...entryCommon,
  rates: rateSetSchema,
  bands: z.array(bandSchema).default([]),
  /** Names of shared modifier sets (catalog.modifierSets). */
  use: z.array(z.string()).default([]),
  multipliers: z.array(multiplierSchema).default([]),
  fees: z.array(feeSchema).default([]),
  /** True when a figure comes only from a secondary source (not the provider's own page). */
  secondary: z.boolean().default(false),
});

export const notPricedEntrySchema = z.strictObject({
  ...entryCommon,
  /** Why this model has no price. */
  notPriced: z.string().min(1),
});

export const catalogEntrySchema = z.union([pricedEntrySchema, notPricedEntrySchema]);
export type PricedEntryData = z.infer<typeof pricedEntrySchema>;
export type NotPricedEntryData = z.infer<typeof notPricedEntrySchema>;
export type CatalogEntryData = z.infer<typeof catalogEntrySchema>;

export const catalogSchema = z
  .strictObject({
    unit: z.literal(CATALOG_UNIT),
    readOn: daySchema,
    modifierSets: z.record(z.string(), modifierSetSchema).default({}),
    entries: z.array(catalogEntrySchema),
  })
  .superRefine((c, ctx) => {
    const owner = new Map<string, string>();
    const starts = new Map<string, Set<number>>();
    c.entries.forEach((e, i) => {
      for (const id of [e.model, ...e.aliases]) {
        const prev = owner.get(id);
        if (prev !== undefined && prev !== e.model) {
          ctx.addIssue({ code: "custom", path: ["entries", i], message: `${id} already names ${prev}` });
        }
        owner.set(id, e.model);
      }
      const seen = starts.get(e.model) ?? new Set<number>();
      const t = instantMs(e.effectiveFrom);
      if (seen.has(t)) ctx.addIssue({ code: "custom", path: ["entries", i], message: `two ${e.model} entries from ${e.effectiveFrom}` });
      seen.add(t);
      starts.set(e.model, seen);
      if (!("rates" in e)) return;
      for (const name of e.use) {
        if (!Object.hasOwn(c.modifierSets, name)) {
          ctx.addIssue({ code: "custom", path: ["entries", i, "use"], message: `unknown modifier set ${name}` });
        }
      }
      // One multiplier per reported value at any instant, so pricing never has to choose.
      const all = [...e.use.flatMap((name) => (Object.hasOwn(c.modifierSets, name) ? (c.modifierSets[name]?.multipliers ?? []) : [])), ...e.multipliers];
      all.forEach((a, j) => {
        const span = (m: Multiplier) => [m.effectiveFrom ? instantMs(m.effectiveFrom) : -Infinity, m.effectiveUntil ? instantMs(m.effectiveUntil) : Infinity] as const;
        const [af, au] = span(a);
        if (af >= au) ctx.addIssue({ code: "custom", path: ["entries", i], message: `${a.field}=${a.value}: effectiveUntil is not after effectiveFrom` });
        for (const b of all.slice(j + 1)) {
          const [bf, bu] = span(b);
          if (a.field === b.field && a.value.toLowerCase() === b.value.toLowerCase() && af < bu && bf < au) {
            ctx.addIssue({ code: "custom", path: ["entries", i], message: `two ${a.field}=${a.value} multipliers in effect at once` });
          }
        }
      });
      const thresholds = e.bands.map((b) => b.thresholdTokens);
      if (new Set(thresholds).size !== thresholds.length) {
        ctx.addIssue({ code: "custom", path: ["entries", i, "bands"], message: "two bands with the same threshold" });
      }
    });
  });
export type CatalogData = z.infer<typeof catalogSchema>;

// ---------------------------------------------------------------------------------------------
// Resolved form (what pricing reads)
// ---------------------------------------------------------------------------------------------

export interface ResolvedMultiplier {
  field: ModifierField;
  value: string;
  factorText: string;
  factor: Rational;
  appliesTo: readonly TokenKind[];
  fromMs: number;
  untilMs: number;
  sourceUrl: string;
}

export interface ResolvedFee extends Fee {
  sourceUrl: string;
}

interface ResolvedCommon {
  /** model@effectiveFrom */
  id: string;
  model: string;
  aliases: readonly string[];
  provider: "anthropic" | "openai";
  effectiveFrom: string;
  effectiveFromMs: number;
  sourceUrl: string;
  readOn: string;
  note: string | undefined;
}

export interface ResolvedPricedEntry extends ResolvedCommon {
  kind: "priced";
  rates: RateSet;
  /** Ascending threshold. */
  bands: readonly Band[];
  multipliers: readonly ResolvedMultiplier[];
  fees: readonly ResolvedFee[];
  secondary: boolean;
}

export interface ResolvedNotPricedEntry extends ResolvedCommon {
  kind: "notPriced";
  reason: string;
}

export type ResolvedEntry = ResolvedPricedEntry | ResolvedNotPricedEntry;

export interface PriceCatalog {
  readonly data: CatalogData;
  /** Canonical model → its entries, ascending effectiveFrom. */
  readonly models: ReadonlyMap<string, readonly ResolvedEntry[]>;
  /** Every id (model and aliases) → canonical model. */
  readonly ids: ReadonlyMap<string, string>;
}

function resolveMultiplier(m: Multiplier, sourceUrl: string): ResolvedMultiplier {
  return {
    field: m.field,
    value: m.value.toLowerCase(),
    factorText: m.factor,
    factor: parseFactor(m.factor),
    appliesTo: m.appliesTo,
    fromMs: m.effectiveFrom ? instantMs(m.effectiveFrom) : Number.NEGATIVE_INFINITY,
    untilMs: m.effectiveUntil ? instantMs(m.effectiveUntil) : Number.POSITIVE_INFINITY,
    sourceUrl,
  };
}

function resolveEntry(e: CatalogEntryData, data: CatalogData): ResolvedEntry {
  const common: ResolvedCommon = {
    id: `${e.model}@${e.effectiveFrom}`,
    model: e.model,
    aliases: e.aliases,
    provider: e.provider,
    effectiveFrom: e.effectiveFrom,
    effectiveFromMs: instantMs(e.effectiveFrom),
    sourceUrl: e.sourceUrl,
    readOn: e.readOn,
    note: e.note,
  };
  if (!("rates" in e)) return { ...common, kind: "notPriced", reason: e.notPriced };
  const sets = e.use.map((name) => {
    const set = data.modifierSets[name];
    if (!set) throw new Error(`unknown modifier set ${name}`); // unreachable after validation
    return set;
  });
  return {
    ...common,
    kind: "priced",
    rates: e.rates,
    bands: [...e.bands].sort((a, b) => a.thresholdTokens - b.thresholdTokens),
    multipliers: [
      ...sets.flatMap((s) => s.multipliers.map((m) => resolveMultiplier(m, s.sourceUrl))),
      ...e.multipliers.map((m) => resolveMultiplier(m, e.sourceUrl)),
    ],
    fees: [...sets.flatMap((s) => s.fees.map((f) => ({ ...f, sourceUrl: s.sourceUrl }))), ...e.fees.map((f) => ({ ...f, sourceUrl: e.sourceUrl }))],
    secondary: e.secondary,
  };
}

/** Validates catalog data (throws a ZodError naming the bad entry) and indexes it. */
export function buildCatalog(raw: unknown): PriceCatalog {
  const data = catalogSchema.parse(raw);
  const models = new Map<string, ResolvedEntry[]>();
  const ids = new Map<string, string>();
  for (const e of data.entries) {
    const list = models.get(e.model) ?? [];
    list.push(resolveEntry(e, data));
    models.set(e.model, list);
    for (const id of [e.model, ...e.aliases]) ids.set(id, e.model);
  }
  for (const list of models.values()) list.sort((a, b) => a.effectiveFromMs - b.effectiveFromMs);
  return { data, models, ids };
}

export const shippedCatalog: PriceCatalog = buildCatalog(shippedData);

/**
 * The canonical model a client's id names: exact id or alias, then without a date suffix
 * ("claude-sonnet-4-5-20250929", "gpt-4o-2024-08-06"). Map lookups only, so ids such as
 * "constructor" or "__proto__" find nothing.
 */
export function resolveModel(catalog: PriceCatalog, model: string): string | undefined {
  const exact = catalog.ids.get(model);
  if (exact !== undefined) return exact;
  const base = model.replace(DATE_SUFFIX, "");
  return base !== model ? catalog.ids.get(base) : undefined;
}

/** The entry of a model in effect at `at` (epoch ms), if any. */
export function entryAt(catalog: PriceCatalog, model: string, at: number): ResolvedEntry | undefined {
  const canonical = resolveModel(catalog, model);
  const list = canonical === undefined ? undefined : catalog.models.get(canonical);
  if (!list) return undefined;
  let found: ResolvedEntry | undefined;
  for (const e of list) {
    if (e.effectiveFromMs <= at) found = e;
    else break;
  }
  return found;
}

export function multiplierInEffect(m: ResolvedMultiplier, at: number): boolean {
  return m.fromMs <= at && at < m.untilMs;
}

// ---------------------------------------------------------------------------------------------
// Bridges to the flat shape (overrides, LiteLLM, older callers)
// ---------------------------------------------------------------------------------------------

export function ratesOf(p: ModelPrice | RateSet): RateSet {
  return { input: p.input, output: p.output, cacheWrite5m: p.cacheWrite5m, cacheWrite1h: p.cacheWrite1h, cacheRead: p.cacheRead };
}

/** A flat price's long-context tier as a band (its threshold counts the whole prompt). */
export function bandsOf(p: ModelPrice): Band[] {
  if (!p.longContext) return [];
  const { thresholdInputTokens, ...rates } = p.longContext;
  return [{ thresholdTokens: thresholdInputTokens, countedKinds: [...PROMPT_KINDS], rates: ratesOf(rates) }];
}

/** The flat view of a priced entry: base rates and its first band as the long-context tier. */
export function toModelPrice(e: ResolvedPricedEntry): ModelPrice {
  const out: ModelPrice = { provider: e.provider, ...e.rates };
  const band = e.bands[0];
  if (band) out.longContext = { thresholdInputTokens: band.thresholdTokens, ...band.rates };
  return out;
}

/** The entries in effect at `at`, as the flat price table older callers read. */
export function priceTableAt(catalog: PriceCatalog, at: number): PriceTable {
  const models: Record<string, ModelPrice> = {};
  for (const model of [...catalog.models.keys()].sort()) {
    const e = entryAt(catalog, model, at);
    if (e?.kind === "priced") models[model] = toModelPrice(e);
  }
  return {
    version: catalog.data.readOn,
    unit: CATALOG_UNIT,
    source: "src/pricing/catalog.json (effective-dated); this flat view holds the entries in effect when it was made",
    models,
  };
}

const tableCatalogs = new WeakMap<PriceTable, PriceCatalog>();

/** A catalog holding one always-in-effect entry per model of a flat table (for callers that pass a table). */
export function catalogFromPriceTable(table: PriceTable): PriceCatalog {
  const cached = tableCatalogs.get(table);
  if (cached) return cached;
  const entries: CatalogEntryData[] = Object.entries(table.models)
    .filter(([model]) => modelIdSchema.safeParse(model).success)
    .map(([model, p]) => ({
      model,
      aliases: [],
      provider: p.provider,
      effectiveFrom: "1970-01-01",
      sourceUrl: "urn:metergate:price-table",
      readOn: "1970-01-01",
      rates: ratesOf(p),
      bands: bandsOf(p),
      use: [],
      multipliers: [],
      fees: [],
      secondary: false,
    }));
  const catalog = buildCatalog({ unit: CATALOG_UNIT, readOn: "1970-01-01", modifierSets: {}, entries });
  tableCatalogs.set(table, catalog);
  return catalog;
}

// ---------------------------------------------------------------------------------------------
// Serialization (catalog.json is written by prices:update; stable, diff-friendly layout)
// ---------------------------------------------------------------------------------------------

/** JSON with small leaf objects and arrays on one line, so each rate set or multiplier reads as a row. */
export function serializeCatalog(data: CatalogData): string {
  const leaf = (v: unknown): boolean =>
    v === null ||
    typeof v !== "object" ||
    (Array.isArray(v) ? v.every((x) => x === null || typeof x !== "object") : Object.values(v).every((x) => leaf(x) && !(x !== null && typeof x === "object" && !Array.isArray(x))));
  const inline = (v: unknown): string => {
    if (v === null || typeof v !== "object") return JSON.stringify(v);
    if (Array.isArray(v)) return `[${v.map(inline).join(", ")}]`;
    return `{ ${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${inline(x)}`).join(", ")} }`;
  };
  const write = (v: unknown, indent: string): string => {
    if (v === null || typeof v !== "object") return JSON.stringify(v);
    const one = inline(v);
    if (leaf(v) && indent.length + one.length <= 150) return one;
    const next = `${indent}  `;
    if (Array.isArray(v)) return v.length === 0 ? "[]" : `[\n${v.map((x) => next + write(x, next)).join(",\n")}\n${indent}]`;
    const fields = Object.entries(v).filter(([, x]) => x !== undefined);
    return `{\n${fields.map(([k, x]) => `${next}${JSON.stringify(k)}: ${write(x, next)}`).join(",\n")}\n${indent}}`;
  };
  return `${write(data, "")}\n`;
}
