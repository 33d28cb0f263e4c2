import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { costOf, priceTable, priceTableSchema } from "~/pricing";
import {
  convertLiteLLM,
  dollarsPerTokenToMicrosPerMillion,
  mergePriceTable,
  parseDecimal,
  roundDecimal,
} from "~/pricing/litellm";

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

describe("mergePriceTable", () => {
  const r = convertLiteLLM(sample);
  const { table, diff } = mergePriceTable(priceTable, r.models, { version: "2026-12-01", source: "test" });

  it("produces a valid table with updated and added entries and keeps the rest", () => {
    expect(priceTableSchema.safeParse(table).success).toBe(true);
    expect(table.version).toBe("2026-12-01");
    for (const m of Object.keys(priceTable.models)) expect(table.models[m]).toBeDefined();
    expect(diff.added.map((a) => a.model)).toEqual([
      "claude-test-new-1",
      "claude-test-odd-cents",
      "gpt-4o-2024-05-13",
      "gpt-5-codex",
      "gpt-test-suspicious",
    ]);
    // claude-3-haiku-20240307 has the same prices as the table's claude-3-haiku: not added.
    expect(diff.folded).toEqual(["claude-3-haiku-20240307"]);
    expect(diff.notInFile).toContain("o3");
  });

  it("reports field changes of existing models and flags large ones", () => {
    const current = structuredClone(priceTable);
    const gpt = current.models["gpt-4.1-mini"];
    if (!gpt) throw new Error("fixture table lacks gpt-4.1-mini");
    gpt.output = 100_000;
    const m = mergePriceTable(current, r.models, { version: "v" });
    expect(m.diff.updated).toEqual([{ model: "gpt-4.1-mini", changes: { output: { from: 100_000, to: 1_600_000 } } }]);
    expect(m.diff.warnings).toContainEqual(expect.objectContaining({ model: "gpt-4.1-mini", message: expect.stringMatching(/verify/) }));
  });

  it("keeps a long-context tier the file lacks", () => {
    const only = { "claude-sonnet-4-5": { ...priceTable.models["claude-sonnet-4-5"]!, longContext: undefined } };
    delete only["claude-sonnet-4-5"].longContext;
    const m = mergePriceTable(priceTable, only, { version: "v" });
    expect(m.table.models["claude-sonnet-4-5"]?.longContext).toEqual(priceTable.models["claude-sonnet-4-5"]?.longContext);
    expect(m.diff.updated).toEqual([]);
  });

  it("leaves version and source alone when nothing changes", () => {
    const m = mergePriceTable(priceTable, { "gpt-4o": priceTable.models["gpt-4o"]! }, { version: "new", source: "new" });
    expect(m.table.version).toBe(priceTable.version);
    expect(m.table.source).toBe(priceTable.source);
  });

  it("prices the same usage the same before and after an update that changes nothing", () => {
    const u = { input: 472, output: 89, cacheWrite5m: 1024, cacheWrite1h: 1024, cacheRead: 10240 };
    expect(costOf("claude-sonnet-4-5-20250929", u, undefined, table)).toEqual(costOf("claude-sonnet-4-5-20250929", u));
  });
});
