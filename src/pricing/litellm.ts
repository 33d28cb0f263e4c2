/**
 * Converts LiteLLM's `model_prices_and_context_window.json` (dollars per token, as JSON numbers)
 * into Metergate's price table (integer micro-dollars per million tokens), exactly.
 *
 * A price of $3.75 per million tokens is 3.75e-06 $/token in LiteLLM and 3 750 000 µ$/Mtok here:
 * the conversion is a multiplication by 10^12. Done in floating point it is not exact
 * (3.75e-06 * 1e12 = 3750000.0000000005), so values are read as decimals (the shortest 15-digit
 * form of the double, which recovers what the file's author wrote), shifted by 12 places in
 * integer arithmetic and rounded once, half up.
 *
 * Pure: no I/O. scripts/prices-update.ts does the reading and writing.
 */
import { modelPriceSchema, priceTableSchema, type ModelPrice, type PriceTable } from "./index";

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
// Merge
// ---------------------------------------------------------------------------------------------

type FieldChange = { from: number | null; to: number | null };

export interface PriceDiff {
  added: Array<{ model: string } & ModelPrice>;
  updated: Array<{ model: string; changes: Record<string, FieldChange> }>;
  unchanged: number;
  /** In the current table but not in the file: kept as they are. */
  notInFile: string[];
  /** Dated ids not added because their undated alias in the table has the very same prices. */
  folded: string[];
  warnings: ConvertIssue[];
}

function flat(p: ModelPrice): Record<string, number> {
  const out: Record<string, number> = {
    input: p.input,
    output: p.output,
    cacheWrite5m: p.cacheWrite5m,
    cacheWrite1h: p.cacheWrite1h,
    cacheRead: p.cacheRead,
  };
  if (p.longContext) {
    for (const [k, v] of Object.entries(p.longContext)) out[`longContext.${k}`] = v;
  }
  return out;
}

/** Ratio beyond which a price change of an existing model is flagged for a human look. */
const LARGE_CHANGE = 2;

/**
 * Merges converted prices over the current table: existing entries updated, new ones added,
 * entries absent from the file kept; a new dated id whose undated alias has the same prices is
 * not added (costOf folds the date). A long-context tier present in the table but absent from
 * the file is kept (the file omitting a tier is more likely than the provider dropping it).
 */
export function mergePriceTable(
  current: PriceTable,
  incoming: Record<string, ModelPrice>,
  meta: { version: string; source?: string },
): { table: PriceTable; diff: PriceDiff } {
  const diff: PriceDiff = { added: [], updated: [], unchanged: 0, notInFile: [], folded: [], warnings: [] };
  const models: Record<string, ModelPrice> = {};
  for (const [model, old] of Object.entries(current.models)) {
    const next = incoming[model];
    if (!next) {
      models[model] = old;
      diff.notInFile.push(model);
      continue;
    }
    const merged = canonical(next);
    if (old.longContext && !merged.longContext) {
      merged.longContext = old.longContext;
      diff.warnings.push({ model, level: "warning", message: "file has no long-context tier; kept the current one" });
    }
    if (old.provider !== merged.provider) {
      diff.warnings.push({ model, level: "warning", message: `provider changes from ${old.provider} to ${merged.provider}` });
    }
    models[model] = merged;
    const a = flat(old);
    const b = flat(merged);
    const changes: Record<string, FieldChange> = {};
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const from = a[k] ?? null;
      const to = b[k] ?? null;
      if (from === to) continue;
      changes[k] = { from, to };
      if (from !== null && to !== null && from > 0 && (to / from > LARGE_CHANGE || from / to > LARGE_CHANGE)) {
        diff.warnings.push({ model, level: "warning", message: `${k} changes ${from} → ${to} µ$/Mtok (more than ${LARGE_CHANGE}×): verify` });
      }
    }
    if (Object.keys(changes).length > 0) diff.updated.push({ model, changes });
    else diff.unchanged++;
  }
  for (const model of Object.keys(incoming).sort()) {
    if (Object.hasOwn(current.models, model)) continue;
    const price = canonical(incoming[model] as ModelPrice);
    const base = model.replace(DATE_SUFFIX, "");
    const alias = base !== model ? models[base] : undefined;
    if (alias && samePrice(alias, price)) {
      diff.folded.push(model);
      continue;
    }
    models[model] = price;
    diff.added.push({ model, ...price });
  }
  // Nothing changed: keep the table's version and source so the file stays byte-identical.
  const changed = diff.added.length > 0 || diff.updated.length > 0;
  const source = changed ? (meta.source ?? current.source) : current.source;
  const table = priceTableSchema.parse({
    version: changed ? meta.version : current.version,
    unit: "micro-dollars per million tokens",
    ...(source ? { source } : {}),
    models,
  });
  return { table, diff };
}
