/**
 * The record path's pricing shortcuts change no number: the catalog period memo keeps effective
 * dates (entries and dated multipliers, in any order of request times), the Number fast path
 * equals the BigInt computation exactly, and costOfRequest explains only tenant overrides.
 */
import { describe, expect, it } from "vitest";
import type { TokenUsage } from "~/ledger/types";
import { costOfRequest, NO_MODIFIERS, priceRequest, shippedCatalog, type BillingModifiers, type PriceOverrides } from "~/pricing";

const ZERO: TokenUsage = { input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 };

function both(model: string, at: number, usage: Partial<TokenUsage>, modifiers: Partial<BillingModifiers> = {}, overrides?: PriceOverrides) {
  const req = { provider: "OPENAI" as const, model, at, usage: { ...ZERO, ...usage }, modifiers: { ...NO_MODIFIERS, ...modifiers } };
  return { explained: priceRequest(req, overrides), recorded: costOfRequest(req, overrides) };
}

describe("catalog period memo", () => {
  it("prices each request with the entry in effect at its own start, whatever order they come in", () => {
    const before = Date.parse("2026-10-06T12:00:00Z");
    const after = Date.parse("2026-10-08T12:00:00Z");
    const read = { cacheRead: 1_000_000 };
    // Sonnet 5.5 reads: $0.20 before 2026-10-07, $0.10 from it; alternate so the memo must switch.
    for (const [at, micros] of [[after, 100_000], [before, 200_000], [after, 100_000], [before, 200_000]] as const) {
      expect(both("claude-sonnet-5-5", at, read).recorded.costMicros).toBe(micros);
      expect(both("claude-sonnet-5-5-20260928", at, read).recorded.costMicros).toBe(micros);
    }
  });

  it("switches a dated multiplier at its boundary (ultrafast 3x, then 6x from 2027-03-01)", () => {
    const o = { input: 1000, output: 1000 };
    const lastOf3x = Date.parse("2027-02-28T23:59:59.999Z");
    const firstOf6x = Date.parse("2027-03-01T00:00:00Z");
    for (const [at, micros] of [[firstOf6x, 72_000], [lastOf3x, 36_000], [firstOf6x, 72_000]] as const) {
      expect(both("gpt-6.2-sol", at, o, { serviceTier: "ultrafast" }).recorded.costMicros).toBe(micros);
    }
  });

  it("knows an id before its first entry from an unknown id", () => {
    const r = both("claude-sonnet-5-5", Date.parse("2020-01-01T00:00:00Z"), { input: 1 }).recorded;
    expect(r).toMatchObject({ priced: false, costMicros: 0 });
    expect(!r.priced && r.reason).toMatch(/in effect at 2020-01-01/);
    expect(both("no-such-model", Date.now(), { input: 1 }).recorded).toMatchObject({ priced: false, reason: "no price for no-such-model" });
  });
});

describe("costOfRequest", () => {
  // Deterministic pseudo-random usages (LCG), from tiny to the clamp limit, over every priced entry.
  let seed = 42;
  const rnd = (max: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return Math.floor((seed / 2 ** 31) * max);
  };
  const sizes = [10, 1_000, 300_000, 100_000_000];

  it("gives exactly priceRequest's cost for every priced catalog entry, with and without modifiers", () => {
    let compared = 0;
    for (const list of shippedCatalog.models.values()) {
      for (const entry of list) {
        if (entry.kind !== "priced") continue;
        const at = entry.effectiveFromMs + 1;
        for (const size of sizes) {
          const usage = { input: rnd(size), output: rnd(size), cacheWrite5m: rnd(size), cacheWrite1h: rnd(size), cacheRead: rnd(size) };
          for (const modifiers of [{}, { serviceTier: "batch" }, { speed: "fast", inferenceGeo: "us" }, { webSearchRequests: rnd(50) + 1 }]) {
            const { explained, recorded } = both(entry.model, at, usage, modifiers);
            expect(recorded.costMicros, `${entry.id} ${JSON.stringify(usage)} ${JSON.stringify(modifiers)}`).toBe(explained.costMicros);
            expect(recorded.priced).toBe(explained.priced);
            compared++;
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(100);
  });

  it("rounds half up once, like the BigInt path (0.5 µ$ up, 0.499999 down)", () => {
    // 1 token at 500,000 µ$/MTok is 0.5 µ$; at 499,999 just under it.
    const rates = { input: 500_000, output: 499_999, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 };
    const overrides: PriceOverrides = { "half-model": { provider: "openai", ...rates } };
    expect(both("half-model", Date.now(), { input: 1 }, {}, overrides).recorded.costMicros).toBe(1);
    expect(both("half-model", Date.now(), { output: 1 }, {}, overrides).recorded.costMicros).toBe(0);
    expect(both("half-model", Date.now(), { input: 3 }, {}, overrides).recorded.costMicros).toBe(2); // 1.5 → 2
  });

  it("explains tenant overrides only (catalog prices are re-explained from the stored event)", () => {
    const overrides: PriceOverrides = { "gpt-4o": { provider: "openai", input: 1_000_000, output: 2_000_000, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 } };
    const withOverride = both("gpt-4o", Date.now(), { input: 10, output: 10 }, {}, overrides);
    expect(withOverride.recorded).toMatchObject({ priced: true, costMicros: 30, explanation: { entryId: "override:gpt-4o", totalMicros: 30 } });
    const catalog = both("gpt-4o", Date.now(), { input: 10, output: 10 });
    expect(catalog.recorded).toMatchObject({ priced: true, explanation: null });
    expect(catalog.explained.priced && catalog.explained.explanation.totalMicros).toBe(catalog.recorded.costMicros);
  });
});
