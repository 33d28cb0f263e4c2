/**
 * Converts LiteLLM's `model_prices_and_context_window.json` (dollars per token, as JSON numbers)
 * into flat prices (integer micro-dollars per million tokens), exactly, and adds prices from it or
 * from a catalog-format file to the effective-dated catalog as new entries (mergeIntoCatalog).
 *
 * A price of $3.75 per million tokens is 3.75e-06 $/token in LiteLLM and 3 750 000 µ$/Mtok here:
 * the conversion is a multiplication by 10^12. Done in floating point it is not exact
 * (3.75e-06 * 1e12 = 3750000.0000000005), so values are read as decimals (the shortest 15-digit
 * form of the double, which recovers what the file's author wrote), shifted by 12 places in
 * integer arithmetic and rounded once, half up.
 *
 * Pure: no I/O. scripts/prices-update.ts does the reading and writing.
 */
import { z } from "zod";
import {
  bandsOf,
  buildCatalog,
  catalogSchema,
  entryAt,
  instantMs,
  notPricedEntrySchema,
  pricedEntrySchema,
  ratesOf,
  type Band,
  type CatalogData,
  type CatalogEntryData,
  type RateSet,
} from "./catalog";
import { modelPriceSchema, type ModelPrice } from "./table";

// ---------------------------------------------------------------------------------------------
// Exact decimals: value = n × 10^e
// ---------------------------------------------------------------------------------------------

export interface Decimal {
  n: bigint;
  e: number;
}

const DECIMAL_RE = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** Parses a JSON number or a decimal string exactly; null for anything else (NaN, "", objects). */
export function parseDecimal(value: unknown): Decimal | null {
  let text: string;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return null;
    // 15 significant digits always round-trip the decimal a human wrote, and drop float noise.
    text = value.toPrecision(15);
  } else if (typeof value === "string") {
    text = value.trim();
  } else {
    return null;
  }
  const m = DECIMAL_RE.exec(text);
  if (!m) return null;
  const [, sign = "", int = "", frac = "", exp = "0"] = m;
  if (int.length + frac.length === 0) return null;
  const n = BigInt(`${sign === "-" ? "-" : ""}${int}${frac}` || "0");
  return { n, e: Number(exp) - frac.length };
}

export function mulDecimal(a: Decimal, b: Decimal): Decimal {
  return { n: a.n * b.n, e: a.e + b.e };
}

/** Rounds n × 10^e to an integer, half up (away from zero for the .5 case; values here are ≥ 0). */
export function roundDecimal(d: Decimal): bigint {
  if (d.e >= 0) return d.n * 10n ** BigInt(d.e);
  const div = 10n ** BigInt(-d.e);
  const neg = d.n < 0n;
  const abs = neg ? -d.n : d.n;
  const q = (abs + div / 2n) / div;
  return neg ? -q : q;
}

const MULT = {
  x1: { n: 1n, e: 0 },
  x1_25: { n: 125n, e: -2 },
  x2: { n: 2n, e: 0 },
  x0_1: { n: 1n, e: -1 },
} satisfies Record<string, Decimal>;

/** Dollars per token (LiteLLM) → integer micro-dollars per million tokens, exact, half up. */
export function dollarsPerTokenToMicrosPerMillion(value: number | string): number {
  const d = parseDecimal(value);
  if (!d) throw new RangeError(`not a decimal number: ${String(value)}`);
  return decimalToMicrosPerMillion(d);
}

function decimalToMicrosPerMillion(d: Decimal): number {
  const r = roundDecimal({ n: d.n, e: d.e + 12 });
  if (r > BigInt(Number.MAX_SAFE_INTEGER) || r < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError("price out of range");
  }
  return Number(r);
}

// ---------------------------------------------------------------------------------------------
// Entries
// ---------------------------------------------------------------------------------------------

/** The LiteLLM fields we read; every other field is ignored. */
export interface LiteLLMEntry {
  litellm_provider?: unknown;
  mode?: unknown;
  input_cost_per_token?: unknown;
  output_cost_per_token?: unknown;
  cache_creation_input_token_cost?: unknown;
  cache_creation_input_token_cost_above_1hr?: unknown;
  cache_read_input_token_cost?: unknown;
  input_cost_per_token_above_200k_tokens?: unknown;
  output_cost_per_token_above_200k_tokens?: unknown;
  [field: string]: unknown;
}

export type Provider = ModelPrice["provider"];
export type IssueLevel = "warning" | "corrected";

export interface ConvertIssue {
  model: string;
  level: IssueLevel;
  message: string;
}

export interface ConvertOptions {
  providers?: readonly Provider[];
  /** LiteLLM modes kept. "responses" holds chat models served only on /v1/responses (e.g. codex). */
  modes?: readonly string[];
}

export interface ConvertResult {
  models: Record<string, ModelPrice>;
  skipped: Array<{ model: string; reason: string }>;
  issues: ConvertIssue[];
}

class EntryError extends Error {}

const LONG_CONTEXT_RE = /^input_cost_per_token_above_(\d+)k_tokens$/;
const DATE_SUFFIX = /-(\d{8}|\d{4}-\d{2}-\d{2})$/;

function readDecimal(entry: LiteLLMEntry, field: string): Decimal | undefined {
  const v = entry[field];
  if (v === undefined || v === null) return undefined;
  const d = parseDecimal(v);
  if (!d) throw new EntryError(`${field} is not a number (${JSON.stringify(v)})`);
  if (d.n < 0n) throw new EntryError(`${field} is negative (${String(v)})`);
  return d;
}

interface Rates {
  input: number;
  output: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
}

/**
 * One tier (base or long context). Missing cache rates follow the provider's terms:
 * Anthropic 5m write 1.25× input, 1h write 2× input, read 0.1× input; OpenAI has no cache
 * write charge (writes cost plain input) and a model without a listed cached rate bills
 * cached tokens as input.
 */
function tierRates(
  model: string,
  provider: Provider,
  input: Decimal,
  output: Decimal,
  given: { w5m?: Decimal; w1h?: Decimal; read?: Decimal },
  issues: ConvertIssue[],
  tier: string,
): Rates {
  const def =
    provider === "anthropic"
      ? { w5m: mulDecimal(input, MULT.x1_25), w1h: mulDecimal(input, MULT.x2), read: mulDecimal(input, MULT.x0_1) }
      : { w5m: input, w1h: input, read: input };
  if (provider === "openai" && given.read === undefined) {
    issues.push({ model, level: "warning", message: `${tier}no cached-input rate; cache reads billed as input` });
  }
  const rates: Rates = {
    input: decimalToMicrosPerMillion(input),
    output: decimalToMicrosPerMillion(output),
    cacheWrite5m: decimalToMicrosPerMillion(given.w5m ?? def.w5m),
    cacheWrite1h: decimalToMicrosPerMillion(given.w1h ?? def.w1h),
    cacheRead: decimalToMicrosPerMillion(given.read ?? def.read),
  };
  // Plausibility. Values that cannot be right are replaced by the provider's rule and reported;
  // merely unusual ones are kept and reported.
  if (rates.cacheRead > rates.input) {
    const fixed = decimalToMicrosPerMillion(def.read);
    issues.push({
      model,
      level: "corrected",
      message: `${tier}cache read ${rates.cacheRead} > input ${rates.input} µ$/Mtok (known-wrong pattern); using ${fixed}`,
    });
    rates.cacheRead = fixed;
  }
  if (provider === "anthropic" && rates.cacheWrite1h < rates.cacheWrite5m) {
    const fixed = decimalToMicrosPerMillion(def.w1h);
    issues.push({
      model,
      level: "corrected",
      message: `${tier}1h cache write ${rates.cacheWrite1h} < 5m cache write ${rates.cacheWrite5m} (known-wrong pattern); using 2× input = ${fixed}`,
    });
    rates.cacheWrite1h = fixed;
  }
  if (provider === "anthropic" && rates.cacheWrite5m < rates.input) {
    issues.push({ model, level: "warning", message: `${tier}5m cache write ${rates.cacheWrite5m} < input ${rates.input}: suspicious` });
  }
  if (rates.output < rates.input) {
    issues.push({ model, level: "warning", message: `${tier}output ${rates.output} < input ${rates.input}: suspicious` });
  }
  for (const [k, v] of Object.entries(rates)) {
    if (v === 0 && (k === "input" || k === "output")) {
      issues.push({ model, level: "warning", message: `${tier}${k} price rounds to 0 µ$/Mtok` });
    }
  }
  return rates;
}

/** Converts one LiteLLM entry (already known to be of a kept provider). Throws EntryError to skip. */
export function convertEntry(model: string, provider: Provider, entry: LiteLLMEntry, issues: ConvertIssue[]): ModelPrice {
  const input = readDecimal(entry, "input_cost_per_token");
  const output = readDecimal(entry, "output_cost_per_token");
  if (!input) throw new EntryError("no input_cost_per_token");
  if (!output) throw new EntryError("no output_cost_per_token");
  if (input.n === 0n && output.n === 0n) throw new EntryError("input and output prices are 0 (placeholder?)");

  const base = tierRates(
    model,
    provider,
    input,
    output,
    {
      w5m: readDecimal(entry, "cache_creation_input_token_cost"),
      w1h: readDecimal(entry, "cache_creation_input_token_cost_above_1hr"),
      read: readDecimal(entry, "cache_read_input_token_cost"),
    },
    issues,
    "",
  );
  const price: ModelPrice = { provider, ...base };

  const tiers = Object.keys(entry)
    .map((k) => LONG_CONTEXT_RE.exec(k)?.[1])
    .filter((k): k is string => k !== undefined && entry[`input_cost_per_token_above_${k}k_tokens`] != null)
    .map(Number)
    .sort((a, b) => a - b);
  const k = tiers[0];
  if (k !== undefined) {
    if (tiers.length > 1) {
      issues.push({ model, level: "warning", message: `several long-context tiers (${tiers.join("k, ")}k); only ${k}k kept` });
    }
    const lcInput = readDecimal(entry, `input_cost_per_token_above_${k}k_tokens`);
    let lcOutput = readDecimal(entry, `output_cost_per_token_above_${k}k_tokens`);
    if (lcInput) {
      if (!lcOutput) {
        issues.push({ model, level: "warning", message: `long-context tier without output price; using the base output price` });
        lcOutput = output;
      }
      const lc = tierRates(
        model,
        provider,
        lcInput,
        lcOutput,
        {
          w5m: readDecimal(entry, `cache_creation_input_token_cost_above_${k}k_tokens`),
          w1h: readDecimal(entry, `cache_creation_input_token_cost_above_1hr_above_${k}k_tokens`),
          read: readDecimal(entry, `cache_read_input_token_cost_above_${k}k_tokens`),
        },
        issues,
        `long context >${k}k: `,
      );
      if (lc.input < base.input || lc.output < base.output) {
        issues.push({ model, level: "warning", message: `long-context tier cheaper than the base tier: suspicious` });
      }
      price.longContext = { thresholdInputTokens: k * 1000, ...lc };
    }
  }
  return modelPriceSchema.parse(price);
}

function samePrice(a: ModelPrice, b: ModelPrice): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(p: ModelPrice): ModelPrice {
  const { provider, input, output, cacheWrite5m, cacheWrite1h, cacheRead, longContext } = p;
  const out: ModelPrice = { provider, input, output, cacheWrite5m, cacheWrite1h, cacheRead };
  if (longContext) {
    const { thresholdInputTokens: t, input: i, output: o, cacheWrite5m: w5, cacheWrite1h: w1, cacheRead: r } = longContext;
    out.longContext = { thresholdInputTokens: t, input: i, output: o, cacheWrite5m: w5, cacheWrite1h: w1, cacheRead: r };
  }
  return out;
}

/** Model id as clients send it: "anthropic/claude-x" → "claude-x"; null when not a plain model id. */
function modelId(key: string, provider: Provider): string | null {
  const id = key.startsWith(`${provider}/`) ? key.slice(provider.length + 1) : key;
  return /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id) ? id : null;
}

/**
 * Converts a whole LiteLLM file: keeps chat models of the kept providers, converts each,
 * and drops dated ids whose undated alias has the very same prices (costOf folds the date).
 */
export function convertLiteLLM(raw: unknown, opts: ConvertOptions = {}): ConvertResult {
  const providers = opts.providers ?? ["anthropic", "openai"];
  const modes = opts.modes ?? ["chat", "responses"];
  const result: ConvertResult = { models: {}, skipped: [], issues: [] };
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new TypeError("not a LiteLLM price file: expected a JSON object keyed by model id");
  }
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (key === "sample_spec" || value === null || typeof value !== "object") continue;
    const entry = value as LiteLLMEntry;
    const provider = providers.find((p) => p === entry.litellm_provider);
    if (!provider) continue; // other providers: silently out of scope
    if (!modes.includes(String(entry.mode ?? "chat"))) continue; // embeddings, images, audio…
    const id = modelId(key, provider);
    if (!id) {
      result.skipped.push({ model: key, reason: "not a plain model id (fine-tune template or routed name)" });
      continue;
    }
    const issues: ConvertIssue[] = [];
    try {
      const price = convertEntry(id, provider, entry, issues);
      const prev = result.models[id];
      if (prev && !samePrice(prev, price)) {
        issues.push({ model: id, level: "warning", message: `listed twice with different prices (${key}); last one kept` });
      }
      result.models[id] = price;
      result.issues.push(...issues);
    } catch (err) {
      if (!(err instanceof EntryError || err instanceof RangeError)) throw err;
      result.skipped.push({ model: key, reason: err.message });
    }
  }
  for (const id of Object.keys(result.models)) {
    const base = id.replace(DATE_SUFFIX, "");
    const undated = result.models[base];
    const dated = result.models[id];
    if (base !== id && undated && dated && samePrice(undated, dated)) {
      delete result.models[id];
      result.skipped.push({ model: id, reason: `same prices as ${base} (dates are folded when pricing)` });
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Adding to the catalog (both input formats)
// ---------------------------------------------------------------------------------------------

/** A price to add: from a LiteLLM conversion (rates and band only) or a catalog-format entry. */
export type PriceProposal =
  | { origin: "litellm"; model: string; provider: Provider; rates: RateSet; bands: Band[] }
  | { origin: "catalog"; entry: CatalogEntryInput };

/** The catalog's own entry format, where effectiveFrom, readOn and sourceUrl may be left to the command line. */
const optionalMeta = { effectiveFrom: true, readOn: true, sourceUrl: true } as const;
const catalogFileSchema = z.strictObject({
  unit: z.literal("micro-dollars per million tokens").optional(),
  readOn: z.string().optional(),
  modifierSets: catalogSchema.shape.modifierSets.optional(),
  entries: z.array(z.union([pricedEntrySchema.partial(optionalMeta), notPricedEntrySchema.partial(optionalMeta)])),
});
export type CatalogEntryInput = z.infer<typeof catalogFileSchema>["entries"][number];

/** True for a file in the catalog's own format (an object with an `entries` array). */
export function isCatalogFormat(raw: unknown): boolean {
  return raw !== null && typeof raw === "object" && !Array.isArray(raw) && Array.isArray((raw as { entries?: unknown }).entries);
}

/** Validates a catalog-format file (throws a ZodError naming the bad entry). */
export function proposalsFromCatalogFile(raw: unknown): { proposals: PriceProposal[]; modifierSets: CatalogData["modifierSets"] } {
  const file = catalogFileSchema.parse(raw);
  return { proposals: file.entries.map((entry) => ({ origin: "catalog", entry })), modifierSets: file.modifierSets ?? {} };
}

/** Converts a LiteLLM file (see convertLiteLLM) into proposals. */
export function proposalsFromLiteLLM(raw: unknown, opts: ConvertOptions = {}): { proposals: PriceProposal[]; converted: ConvertResult } {
  const converted = convertLiteLLM(raw, opts);
  const proposals: PriceProposal[] = Object.entries(converted.models).map(([model, p]) => ({
    origin: "litellm",
    model,
    provider: p.provider,
    rates: ratesOf(p),
    bands: bandsOf(p),
  }));
  return { proposals, converted };
}

type FieldChange = { from: number | null; to: number | null };

export interface CatalogAddition {
  model: string;
  effectiveFrom: string;
  /** The entry it follows (model@effectiveFrom), null for a new model. */
  follows: string | null;
  /** Rate changes against the entry it follows (flat fields, e.g. "cacheRead", "band>200000.input"). */
  changes: Record<string, FieldChange>;
  entry: CatalogEntryData;
}

export interface CatalogMergeResult {
  data: CatalogData;
  added: CatalogAddition[];
  /** Proposals whose prices equal the entry already in effect: nothing added. */
  unchanged: string[];
  /** Dated ids whose undated model has the very same prices (dates are folded when pricing). */
  folded: string[];
  /** In the catalog but not in the file (LiteLLM): kept as they are. */
  notInFile: string[];
  skipped: Array<{ model: string; reason: string }>;
  warnings: ConvertIssue[];
}

export interface MergeOptions {
  /** When new entries take effect (ISO date or instant, UTC); a catalog-format entry may carry its own. */
  effectiveFrom: string;
  /** When the source was read (YYYY-MM-DD). */
  readOn: string;
  /** Source of entries that do not name one (e.g. the LiteLLM file). */
  sourceUrl: string;
  /** Modifier sets a catalog-format file brings along. */
  modifierSets?: CatalogData["modifierSets"];
}

/** What decides a price; two entries with equal keys bill every request the same. */
function pricingKey(e: CatalogEntryData): string {
  if (!("rates" in e)) return JSON.stringify({ notPriced: true });
  const bands = [...e.bands].sort((a, b) => a.thresholdTokens - b.thresholdTokens);
  return JSON.stringify({ rates: ratesOf(e.rates), bands, use: e.use, multipliers: e.multipliers, fees: e.fees });
}

function flatRates(e: CatalogEntryData): Record<string, number> {
  if (!("rates" in e)) return {};
  const out: Record<string, number> = { ...ratesOf(e.rates) };
  for (const b of e.bands) for (const [k, v] of Object.entries(ratesOf(b.rates))) out[`band>${b.thresholdTokens}.${k}`] = v;
  return out;
}

/**
 * Adds effective-dated entries for the proposals whose prices differ from the entry in effect at
 * their effectiveFrom; never overwrites or removes an entry. A proposal dated at or before the
 * model's latest entry is skipped (it would re-price history). LiteLLM proposals keep the
 * previous entry's aliases, multipliers and fees (LiteLLM has none of those) and its band when
 * the file has none, and are marked secondary.
 */
export function mergeIntoCatalog(current: CatalogData, proposals: readonly PriceProposal[], opts: MergeOptions): CatalogMergeResult {
  const catalog = buildCatalog(current);
  const dataById = new Map<string, CatalogEntryData>(current.entries.map((e) => [`${e.model}@${e.effectiveFrom}`, e]));
  const result: CatalogMergeResult = { data: current, added: [], unchanged: [], folded: [], notInFile: [], skipped: [], warnings: [] };
  const seen = new Set<string>();
  const modifierSets = { ...current.modifierSets };
  let setsAdded = false;
  for (const [name, set] of Object.entries(opts.modifierSets ?? {})) {
    const existing = Object.hasOwn(modifierSets, name) ? modifierSets[name] : undefined;
    if (existing && JSON.stringify(existing) !== JSON.stringify(set)) {
      result.skipped.push({ model: `modifier set ${name}`, reason: "differs from the catalog's set of that name; rename it" });
      continue;
    }
    if (!existing) setsAdded = true;
    modifierSets[name] = set;
  }

  const sorted = [...proposals].sort((a, b) => proposalModel(a).localeCompare(proposalModel(b)));
  for (const p of sorted) {
    const id = proposalModel(p);
    const effectiveFrom = (p.origin === "catalog" ? p.entry.effectiveFrom : undefined) ?? opts.effectiveFrom;
    const at = instantMs(effectiveFrom);
    if (!Number.isFinite(at)) {
      result.skipped.push({ model: id, reason: `effectiveFrom ${effectiveFrom} is not a date` });
      continue;
    }
    // The canonical model: exact id or alias; a dated id folds onto its undated model only when
    // the prices agree, otherwise it becomes a model of its own.
    const canonical = catalog.ids.get(id);
    if (canonical === undefined) {
      const base = id.replace(DATE_SUFFIX, "");
      const baseModel = base !== id ? catalog.ids.get(base) : undefined;
      const baseEntry = baseModel ? entryAt(catalog, baseModel, at) : undefined;
      const baseData = baseEntry ? dataById.get(baseEntry.id) : undefined;
      if (baseData && pricingKey(baseData) === pricingKey(proposedEntry(p, baseData, id, effectiveFrom, opts))) {
        result.folded.push(id);
        continue;
      }
    }
    const model = canonical ?? id;
    if (seen.has(model)) {
      result.skipped.push({ model: id, reason: `listed twice (as ${model}); first one kept` });
      continue;
    }
    seen.add(model);
    const prev = canonical ? entryAt(catalog, canonical, at) : undefined;
    const prevData = prev ? dataById.get(prev.id) : undefined;
    const entry = proposedEntry(p, prevData, model, effectiveFrom, opts);
    if (prevData && pricingKey(prevData) === pricingKey(entry)) {
      result.unchanged.push(model);
      continue;
    }
    const history = canonical ? (catalog.models.get(canonical) ?? []) : [];
    const latest = history[history.length - 1];
    if (latest && latest.effectiveFromMs >= at) {
      result.skipped.push({
        model,
        reason: `effectiveFrom ${effectiveFrom} is not after its latest entry (${latest.effectiveFrom}): adding it would re-price history`,
      });
      continue;
    }
    if (p.origin === "litellm" && prevData && "rates" in prevData && prevData.bands.length > 0 && p.bands.length === 0) {
      result.warnings.push({ model, level: "warning", message: "file has no long-context tier; kept the current band" });
    }
    const changes: Record<string, FieldChange> = {};
    const a = prevData ? flatRates(prevData) : {};
    const b = flatRates(entry);
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const from = a[k] ?? null;
      const to = b[k] ?? null;
      if (from === to) continue;
      changes[k] = { from, to };
      if (from !== null && to !== null && from > 0 && to > 0 && (to / from > LARGE_CHANGE || from / to > LARGE_CHANGE)) {
        result.warnings.push({ model, level: "warning", message: `${k} changes ${from} → ${to} µ$/Mtok (more than ${LARGE_CHANGE}×): verify` });
      }
    }
    if (prevData && prevData.provider !== entry.provider) {
      result.warnings.push({ model, level: "warning", message: `provider changes from ${prevData.provider} to ${entry.provider}` });
    }
    result.added.push({ model, effectiveFrom, follows: prev ? prev.id : null, changes, entry });
  }

  if (proposals.some((p) => p.origin === "litellm")) {
    const inFile = new Set(sorted.map(proposalModel).map((id) => catalog.ids.get(id) ?? id));
    result.notInFile = [...catalog.models.keys()].filter((m) => !inFile.has(m)).sort();
  }
  if (result.added.length === 0 && !setsAdded) return result;

  // New entries go right after their model's last entry, so the file reads model by model.
  const entries = [...current.entries];
  for (const { entry } of result.added) {
    let at = -1;
    entries.forEach((e, i) => {
      if (e.model === entry.model) at = i;
    });
    if (at < 0) entries.push(entry);
    else entries.splice(at + 1, 0, entry);
  }
  result.data = catalogSchema.parse({
    ...current,
    readOn: result.added.length > 0 ? opts.readOn : current.readOn,
    modifierSets,
    entries,
  });
  return result;
}

/** Ratio beyond which a price change of an existing model is flagged for a human look. */
const LARGE_CHANGE = 2;

function proposalModel(p: PriceProposal): string {
  return p.origin === "litellm" ? p.model : p.entry.model;
}

function proposedEntry(
  p: PriceProposal,
  prev: CatalogEntryData | undefined,
  model: string,
  effectiveFrom: string,
  opts: MergeOptions,
): CatalogEntryData {
  const aliases = [...new Set([...(prev?.aliases ?? []), ...(p.origin === "catalog" ? (p.entry.aliases ?? []) : [])])];
  if (p.origin === "catalog") {
    const e = p.entry;
    const meta = { effectiveFrom, readOn: e.readOn ?? opts.readOn, sourceUrl: e.sourceUrl ?? opts.sourceUrl };
    const parsed = "rates" in e ? pricedEntrySchema.parse({ ...e, ...meta, model, aliases }) : notPricedEntrySchema.parse({ ...e, ...meta, model, aliases });
    return parsed;
  }
  const prevPriced = prev && "rates" in prev ? prev : undefined;
  return pricedEntrySchema.parse({
    model,
    aliases,
    provider: p.provider,
    effectiveFrom,
    rates: p.rates,
    bands: p.bands.length > 0 ? p.bands : (prevPriced?.bands ?? []),
    use: prevPriced?.use ?? [],
    multipliers: prevPriced?.multipliers ?? [],
    fees: prevPriced?.fees ?? [],
    sourceUrl: opts.sourceUrl,
    readOn: opts.readOn,
    secondary: true,
    note: prevPriced
      ? `Rates from LiteLLM (secondary); multipliers and fees carried over from ${prevPriced.model}@${prevPriced.effectiveFrom}.`
      : "Added from LiteLLM (secondary): no multipliers or per-call fees known for it.",
  });
}
