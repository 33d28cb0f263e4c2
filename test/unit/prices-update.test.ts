import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { priceTable } from "~/pricing";
import { buildCatalog, serializeCatalog, shippedCatalog, type CatalogData } from "~/pricing/catalog";
import {
  convertLiteLLM,
  dollarsPerTokenToMicrosPerMillion,
  isCatalogFormat,
  mergeIntoCatalog,
  parseDecimal,
  proposalsFromCatalogFile,
  proposalsFromLiteLLM,
  roundDecimal,
} from "~/pricing/litellm";
import { NO_MODIFIERS, priceWithCatalog } from "~/pricing/request";

const sample: unknown = JSON.parse(
  readFileSync(path.join(import.meta.dirname, "..", "fixtures", "litellm-sample.json"), "utf8"),
);

describe("dollarsPerTokenToMicrosPerMillion", () => {
  it("converts the usual prices exactly", () => {
    expect(dollarsPerTokenToMicrosPerMillion(3e-6)).toBe(3_000_000);
    expect(dollarsPerTokenToMicrosPerMillion(3.75e-6)).toBe(3_750_000);
    expect(dollarsPerTokenToMicrosPerMillion(1.5e-5)).toBe(15_000_000);
    expect(dollarsPerTokenToMicrosPerMillion(8e-8)).toBe(80_000);
    expect(dollarsPerTokenToMicrosPerMillion(1.25e-7)).toBe(125_000);
    expect(dollarsPerTokenToMicrosPerMillion(0)).toBe(0);
  });

  it("is free of float error where naive multiplication is not", () => {
    // 15e-9 * 1e12 = 14999.999999999998 and 30.5e-12 * 1e12 = 30.499999999999996 in floats.
    expect(15e-9 * 1e12).not.toBe(15_000);
    expect(dollarsPerTokenToMicrosPerMillion(15e-9)).toBe(15_000);
    expect(Math.round(3.05e-11 * 1e12)).toBe(30);
    expect(dollarsPerTokenToMicrosPerMillion(3.05e-11)).toBe(31); // 30.5 → half up
    // A double carrying noise from an upstream computation still reads as what was meant.
    expect(dollarsPerTokenToMicrosPerMillion(0.1 * 3e-5)).toBe(3_000_000);
  });

  it("rounds half up once, at whole micro-dollars per million", () => {
    expect(dollarsPerTokenToMicrosPerMillion(2.5e-12)).toBe(3);
    expect(dollarsPerTokenToMicrosPerMillion(2.4e-12)).toBe(2);
    expect(dollarsPerTokenToMicrosPerMillion(1.25e-13)).toBe(0);
    expect(dollarsPerTokenToMicrosPerMillion(5e-13)).toBe(1);
  });

  it("accepts decimal strings, and rejects what is not a number", () => {
    expect(dollarsPerTokenToMicrosPerMillion("0.00000375")).toBe(3_750_000);
    expect(dollarsPerTokenToMicrosPerMillion("3.75E-6")).toBe(3_750_000);
    expect(() => dollarsPerTokenToMicrosPerMillion("abc")).toThrow(RangeError);
    expect(() => dollarsPerTokenToMicrosPerMillion(Number.NaN)).toThrow(RangeError);
    expect(() => dollarsPerTokenToMicrosPerMillion(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(parseDecimal("")).toBeNull();
    expect(parseDecimal(".")).toBeNull();
    expect(parseDecimal(null)).toBeNull();
    expect(roundDecimal({ n: -25n, e: -1 })).toBe(-3n);
  });
});

describe("convertLiteLLM", () => {
  const r = convertLiteLLM(sample);

  it("keeps chat (and responses) models of anthropic and openai only", () => {
    const ids = Object.keys(r.models).sort();
    expect(ids).toEqual(
      [
        "claude-3-haiku-20240307",
        "claude-haiku-4-5",
        "claude-opus-4-1",
        "claude-sonnet-4-5",
        "claude-test-new-1",
        "claude-test-odd-cents",
        "gpt-4.1-mini",
        "gpt-4o",
        "gpt-4o-2024-05-13",
        "gpt-5-codex",
        "gpt-test-suspicious",
      ].sort(),
    );
    expect(ids).not.toContain("text-embedding-3-small");
    expect(ids).not.toContain("azure/gpt-4o");
  });

  it("converts every tier, including long context and the 1h cache write", () => {
    expect(r.models["claude-sonnet-4-5"]).toEqual(priceTable.models["claude-sonnet-4-5"]);
  });

  it("fills missing cache rates by the provider's rules", () => {
    // Anthropic: 1h write missing → 2× input; everything missing → 1.25× / 2× / 0.1×.
    expect(r.models["claude-haiku-4-5"]?.cacheWrite1h).toBe(2_000_000);
    expect(r.models["claude-test-new-1"]).toMatchObject({ cacheWrite5m: 2_500_000, cacheWrite1h: 4_000_000, cacheRead: 200_000 });
    // OpenAI: writes cost input; no cached rate listed → cached tokens billed as input, with a warning.
    expect(r.models["gpt-4o"]).toMatchObject({ cacheWrite5m: 2_500_000, cacheWrite1h: 2_500_000, cacheRead: 1_250_000 });
    expect(r.models["gpt-4o-2024-05-13"]?.cacheRead).toBe(5_000_000);
    expect(r.issues).toContainEqual(expect.objectContaining({ model: "gpt-4o-2024-05-13", level: "warning" }));
  });

  it("keeps listed rates that differ from the usual multipliers (Claude 3 Haiku writes at 1.2×)", () => {
    expect(r.models["claude-3-haiku-20240307"]).toMatchObject({ cacheWrite5m: 300_000, cacheRead: 30_000 });
  });

  it("corrects known-wrong patterns and reports them", () => {
    expect(r.models["claude-opus-4-1"]?.cacheWrite1h).toBe(30_000_000);
    expect(r.models["gpt-test-suspicious"]?.cacheRead).toBe(2_000_000);
    const corrected = r.issues.filter((i) => i.level === "corrected").map((i) => i.model);
    expect(corrected.sort()).toEqual(["claude-opus-4-1", "gpt-test-suspicious"]);
  });

  it("warns on output cheaper than input", () => {
    expect(r.issues).toContainEqual(
      expect.objectContaining({ model: "gpt-test-suspicious", level: "warning", message: expect.stringContaining("output") }),
    );
  });

  it("skips negative, non-numeric and incomplete entries, and fine-tune templates", () => {
    const skipped = Object.fromEntries(r.skipped.map((s) => [s.model, s.reason]));
    expect(skipped["gpt-test-negative"]).toMatch(/negative/);
    expect(skipped["gpt-test-not-a-number"]).toMatch(/not a number/);
    expect(skipped["gpt-test-no-output"]).toMatch(/output_cost_per_token/);
    expect(skipped["ft:gpt-4o-mini-2024-07-18"]).toBeDefined();
    // Dated duplicate of an undated id with identical prices: folded.
    expect(skipped["claude-sonnet-4-5-20250929"]).toMatch(/same prices/);
  });

  it("rejects a file that is not an object", () => {
    expect(() => convertLiteLLM([])).toThrow(TypeError);
  });
});

describe("mergeIntoCatalog (LiteLLM format)", () => {
  const current: CatalogData = shippedCatalog.data;
  const opts = { effectiveFrom: "2026-12-02", readOn: "2026-12-02", sourceUrl: "https://example.test/litellm.json" };
  const { proposals } = proposalsFromLiteLLM(sample);
  const merged = mergeIntoCatalog(current, proposals, opts);

  it("adds effective-dated entries for new models and keeps every existing entry as it was", () => {
    expect(isCatalogFormat(sample)).toBe(false);
    expect(merged.added.map((a) => a.model)).toEqual(["claude-test-new-1", "claude-test-odd-cents", "gpt-test-suspicious"]);
    for (const a of merged.added) {
      expect(a.effectiveFrom).toBe("2026-12-02");
      expect(a.follows).toBeNull();
      expect(a.entry).toMatchObject({ secondary: true, sourceUrl: "https://example.test/litellm.json", readOn: "2026-12-02" });
    }
    expect(merged.data.entries.length).toBe(current.entries.length + 3);
    for (const e of current.entries) expect(merged.data.entries).toContainEqual(e);
    expect(() => buildCatalog(merged.data)).not.toThrow();
    expect(merged.notInFile).toContain("claude-opus-5-5");
  });

  it("adds nothing for unchanged rates, folds dated ids, and leaves the file byte-identical", () => {
    // Same rates as the catalog: claude-sonnet-4-5 (with its band), gpt-4o, gpt-5-codex, the dated gpt-4o-2024-05-13.
    expect(merged.unchanged).toEqual(expect.arrayContaining(["claude-sonnet-4-5", "gpt-4o", "gpt-5-codex", "gpt-4o-2024-05-13", "gpt-4.1-mini"]));
    expect(merged.folded).toEqual(["claude-3-haiku-20240307"]);
    const again = mergeIntoCatalog(merged.data, proposals, { ...opts, effectiveFrom: "2026-12-03", readOn: "2026-12-03" });
    expect(again.added).toEqual([]);
    expect(again.data).toBe(merged.data);
    expect(serializeCatalog(again.data)).toBe(serializeCatalog(merged.data));
  });

  it("adds a changed rate as a new entry from effectiveFrom; earlier requests keep their price", () => {
    const changed = structuredClone(sample) as Record<string, Record<string, unknown>>;
    const mini = changed["gpt-4.1-mini"];
    if (!mini) throw new Error("sample lacks gpt-4.1-mini");
    mini.output_cost_per_token = 1e-5; // $1.60 → $10 per MTok
    const m = mergeIntoCatalog(current, proposalsFromLiteLLM(changed).proposals, opts);
    const added = m.added.find((a) => a.model === "gpt-4.1-mini");
    expect(added).toMatchObject({ follows: "gpt-4.1-mini@1970-01-01", changes: { output: { from: 1_600_000, to: 10_000_000 } } });
    expect(m.warnings).toContainEqual(expect.objectContaining({ model: "gpt-4.1-mini", message: expect.stringMatching(/verify/) }));
    const catalog = buildCatalog(m.data);
    const usage = { input: 0, output: 1_000_000, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 };
    const before = priceWithCatalog(catalog, { model: "gpt-4.1-mini", at: Date.parse("2026-12-01T23:59:59Z"), usage, modifiers: NO_MODIFIERS });
    const after = priceWithCatalog(catalog, { model: "gpt-4.1-mini", at: Date.parse("2026-12-02T00:00:00Z"), usage, modifiers: NO_MODIFIERS });
    expect(before.costMicros).toBe(1_600_000);
    expect(after.costMicros).toBe(10_000_000);
    // The entry it follows keeps its multipliers (batch 50 %).
    const batch = priceWithCatalog(catalog, { model: "gpt-4.1-mini", at: Date.parse("2026-12-03"), usage, modifiers: { ...NO_MODIFIERS, serviceTier: "batch" } });
    expect(batch.costMicros).toBe(5_000_000);
  });

  it("keeps the current band when the file has none", () => {
    const base = priceTable.models["claude-sonnet-4-5"];
    if (!base) throw new Error("catalog lacks claude-sonnet-4-5");
    const { longContext, ...flat } = base;
    expect(longContext).toBeDefined();
    const m = mergeIntoCatalog(
      current,
      [{ origin: "litellm", model: "claude-sonnet-4-5", provider: "anthropic", rates: { input: flat.input, output: flat.output, cacheWrite5m: flat.cacheWrite5m, cacheWrite1h: flat.cacheWrite1h, cacheRead: flat.cacheRead }, bands: [] }],
      opts,
    );
    expect(m.added).toEqual([]);
    expect(m.unchanged).toEqual(["claude-sonnet-4-5"]);
  });
});

describe("mergeIntoCatalog (catalog format)", () => {
  const current: CatalogData = shippedCatalog.data;
  const opts = { effectiveFrom: "2026-12-02", readOn: "2026-12-02", sourceUrl: "https://example.test/catalog.json" };
  const file = {
    modifierSets: {
      "test-fast-3x": { sourceUrl: "https://example.test/fast", multipliers: [{ field: "speed", value: "fast", factor: "3", appliesTo: ["input", "output"] }] },
    },
    entries: [
      // A rate change for an existing model, named by its dated alias.
      {
        model: "claude-opus-4-5-20251101",
        provider: "anthropic",
        rates: { input: 4_000_000, output: 20_000_000, cacheWrite5m: 5_000_000, cacheWrite1h: 8_000_000, cacheRead: 400_000 },
        use: ["anthropic-batch", "anthropic-web-search", "test-fast-3x"],
        sourceUrl: "https://example.test/opus-4-5",
      },
      // A new model with its own effectiveFrom.
      {
        model: "claude-test-9",
        provider: "anthropic",
        effectiveFrom: "2027-01-01",
        rates: { input: 1_000_000, output: 2_000_000, cacheWrite5m: 1_250_000, cacheWrite1h: 2_000_000, cacheRead: 100_000 },
      },
    ],
  };

  it("validates the file and adds entries under the canonical model, with the file's modifier sets", () => {
    expect(isCatalogFormat(file)).toBe(true);
    const { proposals, modifierSets } = proposalsFromCatalogFile(file);
    const m = mergeIntoCatalog(current, proposals, { ...opts, modifierSets });
    expect(m.added.map((a) => [a.model, a.effectiveFrom])).toEqual([
      ["claude-opus-4-5", "2026-12-02"],
      ["claude-test-9", "2027-01-01"],
    ]);
    const catalog = buildCatalog(m.data);
    const usage = { input: 1_000_000, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 };
    const fast = priceWithCatalog(catalog, { model: "claude-opus-4-5-20251101", at: Date.parse("2026-12-05"), usage, modifiers: { ...NO_MODIFIERS, speed: "fast" } });
    expect(fast.costMicros).toBe(12_000_000);
    expect(priceWithCatalog(catalog, { model: "claude-opus-4-5", at: Date.parse("2026-12-01"), usage, modifiers: NO_MODIFIERS }).costMicros).toBe(5_000_000);
    expect(priceWithCatalog(catalog, { model: "claude-test-9", at: Date.parse("2026-12-31"), usage, modifiers: NO_MODIFIERS }).priced).toBe(false);
  });

  it("refuses an entry that would re-price history", () => {
    const { proposals } = proposalsFromCatalogFile({
      entries: [{ model: "claude-sonnet-5-5", provider: "anthropic", effectiveFrom: "2026-10-01", rates: { input: 1, output: 1, cacheWrite5m: 1, cacheWrite1h: 1, cacheRead: 1 } }],
    });
    const m = mergeIntoCatalog(current, proposals, opts);
    expect(m.added).toEqual([]);
    expect(m.skipped).toEqual([{ model: "claude-sonnet-5-5", reason: expect.stringMatching(/re-price history/) }]);
  });

  it("rejects invalid entries with a clear error", () => {
    expect(() => proposalsFromCatalogFile({ entries: [{ model: "x", provider: "anthropic", rates: { input: -1, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 } }] })).toThrow(ZodError);
    expect(() => proposalsFromCatalogFile({ entries: [{ model: "x", provider: "anthropic", rates: { input: 1.5, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 } }] })).toThrow(ZodError);
    const { proposals } = proposalsFromCatalogFile({
      entries: [{ model: "claude-test-10", provider: "anthropic", use: ["no-such-set"], rates: { input: 1, output: 1, cacheWrite5m: 1, cacheWrite1h: 1, cacheRead: 1 } }],
    });
    expect(() => mergeIntoCatalog(current, proposals, opts)).toThrow(/unknown modifier set/);
  });
});
