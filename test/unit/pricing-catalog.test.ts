/**
 * The shipped catalog: every model id the official SDKs know is priced or explicitly not priced,
 * the 22 models of the 2026-11-01 table price historical requests exactly as before, and model
 * names that are Object.prototype keys never resolve to anything.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { TokenUsage } from "~/ledger/types";
import { baseRateChangeHours, costOf, findModelPrice, lookupRates, NO_MODIFIERS, priceRequest, priceTableSchema, type ModelPrice } from "~/pricing";
import { buildCatalog, entryAt, shippedCatalog } from "~/pricing/catalog";
import { catalogListing, formatCatalogListing } from "~/pricing/listing";

const root = path.join(import.meta.dirname, "..", "..");

/** Every string literal of `export type NAME = ...;` in a .d.ts file. */
function unionLiterals(file: string, name: string): string[] {
  const text = readFileSync(path.join(root, "node_modules", file), "utf8");
  const m = new RegExp(`export type ${name} = ([^;]*);`).exec(text);
  if (!m?.[1]) throw new Error(`no type ${name} in ${file}`);
  return [...m[1].matchAll(/'([^']+)'/g)].map((x) => x[1] ?? "");
}

describe("SDK model unions", () => {
  const ids = [
    ...unionLiterals("@anthropic-ai/sdk/resources/messages/messages.d.ts", "Model"),
    ...unionLiterals("openai/resources/shared.d.ts", "ChatModel"),
    ...unionLiterals("openai/resources/shared.d.ts", "ResponsesModel"),
    ...unionLiterals("openai/resources/shared.d.ts", "AllModels"),
  ];
  const gpt6 = ["gpt-6-sol", "gpt-6.1-sol", "gpt-6.2-sol", "gpt-6-astra", "gpt-6-luna"];

  it("reads the unions (guards the extraction itself)", () => {
    expect(ids).toEqual(expect.arrayContaining(["claude-opus-5-5", "claude-sonnet-4-5-20250929", "gpt-5.6-sol", "gpt-3.5-turbo-16k-0613", "gpt-5.1-codex-max"]));
    expect(ids.length).toBeGreaterThan(100);
  });

  it("every SDK model id and the GPT-6.x lineup has a catalog entry in effect now: priced or not priced with a reason", () => {
    const now = Date.now();
    const missing = [...new Set([...ids, ...gpt6])].filter((id) => entryAt(shippedCatalog, id, now) === undefined);
    expect(missing, `no catalog entry for: ${missing.join(", ")}`).toEqual([]);
  });

  it("the GPT-6.x lineup and today's Claude models are priced, not merely listed", () => {
    for (const id of [...gpt6, "claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-5-5", "claude-fable-5-2", "claude-opus-4-8"]) {
      expect(entryAt(shippedCatalog, id, Date.now())?.kind, id).toBe("priced");
    }
  });
});

describe("history: the 22 models of prices.json (2026-11-01)", () => {
  const legacy = priceTableSchema.parse(JSON.parse(readFileSync(path.join(root, "test", "fixtures", "prices-2026-11-01.json"), "utf8")));
  const usages: TokenUsage[] = [
    { input: 472, output: 89, cacheWrite5m: 1024, cacheWrite1h: 1024, cacheRead: 10_240 },
    { input: 210_000, output: 1000, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 },
    { input: 7, output: 3, cacheWrite5m: 1, cacheWrite1h: 1, cacheRead: 7 },
    { input: 123_456, output: 54_321, cacheWrite5m: 9999, cacheWrite1h: 77_777, cacheRead: 1 },
  ];
  // The old cost function, verbatim in substance: one tier by prompt size, one rounding.
  const oldCost = (p: ModelPrice, u: TokenUsage): number => {
    const prompt = u.input + u.cacheWrite5m + u.cacheWrite1h + u.cacheRead;
    const r = p.longContext && prompt > p.longContext.thresholdInputTokens ? p.longContext : p;
    const m = u.input * r.input + u.output * r.output + u.cacheWrite5m * r.cacheWrite5m + u.cacheWrite1h * r.cacheWrite1h + u.cacheRead * r.cacheRead;
    return Math.floor((m + 500_000) / 1_000_000);
  };

  it("has 22 models and each prices historical and current requests the same as before", () => {
    expect(Object.keys(legacy.models)).toHaveLength(22);
    for (const [model, p] of Object.entries(legacy.models)) {
      for (const at of [Date.parse("2025-03-01"), Date.parse("2026-11-01"), Date.now()]) {
        for (const usage of usages) {
          const r = priceRequest({ provider: p.provider === "anthropic" ? "ANTHROPIC" : "OPENAI", model, at, usage, modifiers: NO_MODIFIERS });
          expect(r.costMicros, `${model} at ${new Date(at).toISOString()}`).toBe(oldCost(p, usage));
        }
      }
      expect(findModelPrice(model)).toEqual(p);
    }
  });
});

describe("lookups cannot hit Object.prototype", () => {
  const names = ["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf", "constructor-20250101"];
  const u: TokenUsage = { input: 1000, output: 1000, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 };

  it("model names that are prototype keys come back unpriced (never NaN, never a throw)", () => {
    for (const model of names) {
      expect(costOf(model, u), model).toEqual({ costMicros: 0, priced: false });
      expect(priceRequest({ provider: "OPENAI", model, at: Date.now(), usage: u, modifiers: NO_MODIFIERS })).toMatchObject({ priced: false, costMicros: 0 });
      expect(lookupRates("OPENAI", model, Date.now())).toBeNull();
      expect(findModelPrice(model)).toBeUndefined();
    }
  });

  it("overrides built as plain objects (as toPriceOverrides does) are read by own properties only", () => {
    const price: ModelPrice = { provider: "openai", input: 1_000_000, output: 1_000_000, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 };
    const overrides: Record<string, ModelPrice> = {};
    overrides["gpt-private"] = price;
    overrides["__proto__"] = price; // on a plain object this sets the prototype, not a key
    for (const model of names) {
      expect(costOf(model, u, overrides), model).toEqual({ costMicros: 0, priced: false });
      expect(findModelPrice(model, overrides)).toBeUndefined();
    }
    expect(costOf("gpt-private", u, overrides)).toEqual({ costMicros: 2000, priced: true });
    // Values of the modifiers that are prototype keys match nothing either.
    const r = priceRequest({ provider: "ANTHROPIC", model: "claude-opus-5-5", at: Date.now(), usage: u, modifiers: { ...NO_MODIFIERS, speed: "constructor", serviceTier: "__proto__" } });
    expect(r.costMicros).toBe(4000 + 20_000);
  });
});

describe("catalog listing", () => {
  it("lists every entry with its rates and source, and every not-priced model with its reason", () => {
    const rows = catalogListing(shippedCatalog);
    expect(rows.length).toBe(shippedCatalog.data.entries.length);
    expect(rows.find((r) => r.model === "claude-haiku-5-5")).toMatchObject({
      priced: true,
      rates: "in $0.10 / out $0.50 / 5m $0.125 / 1h $0.20 / read $0.01",
      bands: ["input+cacheRead+cacheWrite5m+cacheWrite1h > 100000: in $0.50 / out $2.50 / 5m $0.625 / 1h $1.00 / read $0.05"],
      sourceUrl: "https://platform.claude.com/docs/en/models/haiku-5-5/overview",
    });
    expect(rows.find((r) => r.model === "claude-mythos-preview")).toMatchObject({ priced: false, notPricedReason: expect.stringMatching(/invitation-only/) });
    for (const r of rows) expect(r.sourceUrl).toMatch(/^https:\/\//);
    const text = formatCatalogListing(shippedCatalog);
    expect(text).toContain("| claude-opus-5-5 | anthropic | 2026-09-22 |");
    expect(text).toContain("Not priced:");
  });
});

describe("catalog validation at load", () => {
  const rates = { input: 1, output: 1, cacheWrite5m: 1, cacheWrite1h: 1, cacheRead: 1 };
  const entry = (over: Record<string, unknown> = {}) => ({
    model: "m-1",
    provider: "openai",
    effectiveFrom: "2026-01-01",
    sourceUrl: "https://example.test/",
    readOn: "2026-12-01",
    rates,
    ...over,
  });
  const catalog = (entries: unknown[], modifierSets: Record<string, unknown> = {}) => ({
    unit: "micro-dollars per million tokens",
    readOn: "2026-12-01",
    modifierSets,
    entries,
  });
  const fast = (factor: string, extra: Record<string, unknown> = {}) => ({ field: "service_tier", value: "fast", factor, appliesTo: ["input"], ...extra });

  it("accepts a well-formed catalog, including a multiplier that changes at a date", () => {
    const c = buildCatalog(catalog([entry({ multipliers: [fast("3", { effectiveUntil: "2027-03-01" }), fast("6", { effectiveFrom: "2027-03-01" })] })]));
    expect(c.models.get("m-1")?.length).toBe(1);
  });

  it.each([
    ["a non-integer rate", [entry({ rates: { ...rates, input: 0.5 } })]],
    ["a negative rate", [entry({ rates: { ...rates, output: -1 } })]],
    ["a float factor", [entry({ multipliers: [fast("1.1e0")] })]],
    ["two multipliers for one value at once", [entry({ multipliers: [fast("2"), fast("3", { effectiveFrom: "2027-01-01" })] })]],
    ["an id claimed by two models", [entry(), entry({ model: "m-2", aliases: ["m-1"] })]],
    ["two entries of a model from the same date", [entry(), entry()]],
    ["an unknown modifier set", [entry({ use: ["nope"] })]],
    ["a model id that is not plain", [entry({ model: "__proto__" })]],
    ["an unknown field", [entry({ ratez: rates })]],
    ["a bad date", [entry({ effectiveFrom: "2026-13-45" })]],
  ])("rejects %s", (_, entries) => {
    expect(() => buildCatalog(catalog(entries))).toThrow();
  });
});

describe("base-rate change hours (cache economics sums usage between them)", () => {
  it("a model's base rates move only at a change hour, and change hours are whole hours", () => {
    const HOUR = 3_600_000;
    const from = Date.UTC(2026, 8, 1);
    const to = Date.UTC(2026, 11, 15);
    const changes = new Set(baseRateChangeHours(from, to));
    // The shipped catalog has entries that begin in this window, so the check is not vacuous.
    expect(changes.size).toBeGreaterThan(0);
    const models = [...shippedCatalog.models.keys()];
    const base = (model: string, at: number) => JSON.stringify(lookupRates("ANTHROPIC", model, at)?.base ?? null);
    let before = models.map((m) => base(m, from));
    for (let h = from + HOUR; h < to; h += HOUR) {
      const now = models.map((m) => base(m, h));
      if (now.some((b, i) => b !== before[i])) expect(changes.has(h), new Date(h).toISOString()).toBe(true);
      before = now;
    }
    for (const h of changes) expect(h % HOUR).toBe(0);
  });
});
