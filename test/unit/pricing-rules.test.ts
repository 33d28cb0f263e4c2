/**
 * One test per pricing rule, with worked numbers from the providers' pages (read 2026-12-01):
 * Anthropic https://platform.claude.com/docs/en/about-claude/pricing and the model pages,
 * OpenAI https://developers.openai.com/api/docs/models/<id>. Rates are $ per MTok; 1 token at
 * $1/MTok is 1 µ$, so "tokens × $rate" below reads directly in micro-dollars.
 */
import { describe, expect, it } from "vitest";
import type { TokenUsage } from "~/ledger/types";
import { costOf, lookupRates, NO_MODIFIERS, priceRequest, shippedCatalog, type BillingModifiers, type PricedRequest } from "~/pricing";

const ZERO: TokenUsage = { input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 };
const DEC_1 = Date.parse("2026-12-01T12:00:00Z");

function price(
  model: string,
  usage: Partial<TokenUsage>,
  modifiers: Partial<BillingModifiers> = {},
  at = DEC_1,
  provider: "ANTHROPIC" | "OPENAI" = model.startsWith("claude") ? "ANTHROPIC" : "OPENAI",
): PricedRequest {
  return priceRequest({ provider, model, at, usage: { ...ZERO, ...usage }, modifiers: { ...NO_MODIFIERS, ...modifiers } });
}

function cost(...args: Parameters<typeof price>): number {
  const r = price(...args);
  if (!r.priced) throw new Error(`not priced: ${r.reason}`);
  // The explanation recomputes the total by hand.
  expect(r.explanation.totalMicros).toBe(r.costMicros);
  return r.costMicros;
}

describe("standard rates", () => {
  it("Opus 5.5: $4 in, $20 out, $5 5m write, $8 1h write, $0.20 read", () => {
    // 1000×4 + 500×20 + 2000×5 + 1000×8 + 10000×0.20 = 4000 + 10000 + 10000 + 8000 + 2000
    const r = price("claude-opus-5-5", { input: 1000, output: 500, cacheWrite5m: 2000, cacheWrite1h: 1000, cacheRead: 10_000 });
    expect(r.costMicros).toBe(34_000);
    expect(r.priced && r.explanation).toMatchObject({
      entryId: "claude-opus-5-5@2026-09-22",
      sourceUrl: "https://platform.claude.com/docs/en/models/opus-5-5/overview",
      band: null,
      multipliers: [],
      fees: [],
      lines: [
        { kind: "input", tokens: 1000, ratePerMTokMicros: 4_000_000, factor: "1" },
        { kind: "output", tokens: 500, ratePerMTokMicros: 20_000_000, factor: "1" },
        { kind: "cacheWrite5m", tokens: 2000, ratePerMTokMicros: 5_000_000, factor: "1" },
        { kind: "cacheWrite1h", tokens: 1000, ratePerMTokMicros: 8_000_000, factor: "1" },
        { kind: "cacheRead", tokens: 10_000, ratePerMTokMicros: 200_000, factor: "1" },
      ],
    });
  });

  it("Fable 5.1 cache reads are 0.025x input ($0.25 against $10)", () => {
    expect(cost("claude-fable-5-1", { input: 1000, cacheRead: 100_000 })).toBe(10_000 + 25_000);
  });

  it("Codex's default gpt-6.1-sol and Claude Code's default claude-opus-5-5 are priced, not $0", () => {
    expect(costOf("gpt-6.1-sol", { ...ZERO, input: 100_000, output: 10_000 })).toEqual({ costMicros: 200_000 + 100_000, priced: true });
    expect(costOf("claude-opus-5-5", { ...ZERO, input: 1_000_000 })).toEqual({ costMicros: 4_000_000, priced: true });
  });
});

describe("prompt-length bands", () => {
  it("Haiku 5.5: a prompt over 100,000 tokens (input + cache reads + writes) pays 5x on every token, output included", () => {
    // At 100,000 exactly: 60000×0.10 + 40000×0.01 + 1000×0.50 = 6000 + 400 + 500
    expect(cost("claude-haiku-5-5", { input: 60_000, cacheRead: 40_000, output: 1000 })).toBe(6900);
    // One more prompt token: 60000×0.50 + 40001×0.05 + 1000×2.50 = 30000 + 2000.05 + 2500 → 34500
    const r = price("claude-haiku-5-5", { input: 60_000, cacheRead: 40_001, output: 1000 });
    expect(r.costMicros).toBe(34_500);
    expect(r.priced && r.explanation.band).toBe("prompt > 100000 tokens");
    expect(r.priced && r.explanation.lines.find((l) => l.kind === "output")?.ratePerMTokMicros).toBe(2_500_000);
    // Cache writes count toward the prompt too: 100,001 written tokens cross the line.
    expect(cost("claude-haiku-5-5", { cacheWrite5m: 100_001 })).toBe(62_501); // 100001 × 0.625 = 62500.625
  });

  it("gpt-6.2-sol above 272K input tokens: input and cache x2, output x1.5 for the whole request", () => {
    // 272,000 (200,000 uncached + 72,000 cached): 200000×2 + 72000×0.10 + 10000×10 = 400000 + 7200 + 100000
    expect(cost("gpt-6.2-sol", { input: 200_000, cacheRead: 72_000, output: 10_000 })).toBe(507_200);
    // 272,001: 200000×4 + 72001×0.20 + 10000×15 = 800000 + 14400.2 + 150000 → 964400
    const r = price("gpt-6.2-sol", { input: 200_000, cacheRead: 72_001, output: 10_000 });
    expect(r.costMicros).toBe(964_400);
    expect(r.priced && r.explanation.band).toBe("prompt > 272000 tokens");
  });

  it("Sonnet 4.5's historical 200K band still applies; Sonnet 4.6 and later are flat", () => {
    expect(cost("claude-sonnet-4-5", { input: 210_000, output: 1000 })).toBe(1_260_000 + 22_500);
    expect(cost("claude-sonnet-4-6", { input: 210_000, output: 1000 })).toBe(630_000 + 15_000);
  });
});

describe("multipliers keyed by what the response reports", () => {
  const u = { input: 1000, output: 500, cacheWrite5m: 2000, cacheWrite1h: 1000, cacheRead: 10_000 }; // 34,000 µ$ on Opus 5.5

  it("Anthropic fast mode: 2x on every token kind of Opus 5.5 (usage.speed = fast)", () => {
    const r = price("claude-opus-5-5", u, { speed: "fast" });
    expect(r.costMicros).toBe(68_000);
    expect(r.priced && r.explanation.multipliers).toEqual([
      { field: "speed", value: "fast", factor: "2", appliesTo: ["input", "output", "cacheWrite5m", "cacheWrite1h", "cacheRead"] },
    ]);
    expect(cost("claude-opus-5-5", u, { speed: "standard" })).toBe(34_000);
    // 6x was Opus 4.6's fast rate: 1000×5×6 = 30000
    expect(cost("claude-opus-4-6", { input: 1000 }, { speed: "fast" })).toBe(30_000);
  });

  it('inference_geo "us" costs 1.1x on every token kind (Opus 4.6 and later); "global" costs nothing extra', () => {
    // Sonnet 5.5: (1000×2 + 100×10) × 1.1 = 3300
    expect(cost("claude-sonnet-5-5", { input: 1000, output: 100 }, { inferenceGeo: "us" })).toBe(3300);
    expect(cost("claude-sonnet-5-5", { input: 1000, output: 100 }, { inferenceGeo: "global" })).toBe(3000);
    // Stacks with fast mode: 34000 × 2 × 1.1
    const r = price("claude-opus-5-5", u, { speed: "fast", inferenceGeo: "US" });
    expect(r.costMicros).toBe(74_800);
    expect(r.priced && r.explanation.lines[0]?.factor).toBe("2.2");
  });

  it("Anthropic batch: 50 % (service_tier = batch), cache prices stacking with it", () => {
    // (1000×4 + 500×20 + 2000×5 + 1000×8 + 10000×0.20) × 0.5
    expect(cost("claude-opus-5-5", u, { serviceTier: "batch" })).toBe(17_000);
    // Batch stacks with fast mode and the US geo: 34000 × 0.5 × 2 × 1.1
    expect(cost("claude-opus-5-5", u, { serviceTier: "batch", speed: "fast", inferenceGeo: "us" })).toBe(37_400);
    // "priority" is a commitment tier billed by contract: standard rates, and shown as unmatched.
    const r = price("claude-opus-5-5", u, { serviceTier: "priority" });
    expect(r.costMicros).toBe(34_000);
    expect(r.priced && r.explanation.unmatchedModifiers).toEqual([{ field: "service_tier", value: "priority" }]);
  });

  it("OpenAI flex and batch: 50 %, priority (fast) 2x, on every token kind of gpt-6.2-sol", () => {
    const o = { input: 1000, output: 1000, cacheRead: 1000, cacheWrite5m: 1000 }; // 2000 + 10000 + 100 + 2500 = 14600
    expect(cost("gpt-6.2-sol", o)).toBe(14_600);
    expect(cost("gpt-6.2-sol", o, { serviceTier: "flex" })).toBe(7300);
    expect(cost("gpt-6.2-sol", o, { serviceTier: "batch" })).toBe(7300);
    expect(cost("gpt-6.2-sol", o, { serviceTier: "priority" })).toBe(29_200);
    expect(cost("gpt-6.2-sol", o, { serviceTier: "default" })).toBe(14_600);
  });

  it("OpenAI ultrafast: 3x through 2027-02-28, 6x from 2027-03-01 (the multiplier itself is dated)", () => {
    const o = { input: 1000, output: 1000 }; // 12000 standard
    expect(cost("gpt-6.2-sol", o, { serviceTier: "ultrafast" }, Date.parse("2027-02-28T23:59:59Z"))).toBe(36_000);
    expect(cost("gpt-6.2-sol", o, { serviceTier: "ultrafast" }, Date.parse("2027-03-01T00:00:00Z"))).toBe(72_000);
    // gpt-6.1-sol's ultrafast is a flat 6x (its page has no 3x period).
    expect(cost("gpt-6.1-sol", o, { serviceTier: "ultrafast" })).toBe(72_000);
  });

  it("bills the tier reported, whatever was requested, and names tiers it has no rule for", () => {
    const r = price("gpt-6.2-sol", { input: 1000 }, { serviceTier: "scale" });
    expect(r.costMicros).toBe(2000);
    expect(r.priced && r.explanation.unmatchedModifiers).toEqual([{ field: "service_tier", value: "scale" }]);
  });
});

describe("per-call fees", () => {
  it("web search: $10 per 1,000 searches on top of tokens; web fetch has no fee", () => {
    // Opus 5.5: 1000×4 + 100×20 = 6000, plus 3 × $0.01 = 30000
    const r = price("claude-opus-5-5", { input: 1000, output: 100 }, { webSearchRequests: 3, webFetchRequests: 5 });
    expect(r.costMicros).toBe(36_000);
    expect(r.priced && r.explanation.fees).toEqual([{ kind: "web_search", count: 3, perThousandMicros: 10_000_000 }]);
    // Fees are not multiplied by batch or fast.
    expect(cost("claude-opus-5-5", { input: 1000 }, { webSearchRequests: 1, speed: "fast" })).toBe(8000 + 10_000);
  });
});

describe("served-model billing", () => {
  it("prices the model that served (dated ids resolve to their entry)", () => {
    const usage = { input: 472, output: 89, cacheWrite5m: 1024, cacheWrite1h: 1024, cacheRead: 10_240 };
    const served = price("claude-sonnet-4-5-20250929", usage);
    expect(served.costMicros).toBe(15_807);
    expect(served.priced && served.explanation.entryId).toBe("claude-sonnet-4-5@1970-01-01");
    // Requested Opus 5.5, served Sonnet 4.5: the served model's price, not the requested one's.
    expect(price("claude-opus-5-5", usage).costMicros).not.toBe(15_807);
    expect(price("gpt-6.1-sol-2026-09-29", { input: 1000 }).costMicros).toBe(2000);
  });
});

describe("OpenAI cache writes", () => {
  it("gpt-6.2-sol: 30-minute writes $2.50 (cacheWrite5m), 12-hour writes $5 (cacheWrite1h), cached input $0.10", () => {
    expect(cost("gpt-6.2-sol", { cacheWrite5m: 10_000 })).toBe(25_000);
    expect(cost("gpt-6.2-sol", { cacheWrite1h: 10_000 })).toBe(50_000);
    expect(cost("gpt-6.2-sol", { cacheRead: 10_000 })).toBe(1000);
  });
});

describe("OpenAI prompt cache retention (what the request asked for)", () => {
  it("24h costs the same as the default and says so in the explanation; in_memory is the default; other values are named", () => {
    // gpt-6.2-sol: 1000 written × $2.50 + 1000 in × $2 = 4500 µ$, whatever the retention.
    const u = { input: 1000, cacheWrite5m: 1000 };
    expect(cost("gpt-6.2-sol", u)).toBe(4500);
    const extended = price("gpt-6.2-sol", u, { promptCacheRetention: "24h" });
    expect(extended.costMicros).toBe(4500);
    expect(extended.priced && extended.explanation.multipliers).toEqual([
      { field: "prompt_cache_retention", value: "24h", factor: "1", appliesTo: ["cacheWrite5m"] },
    ]);
    const inMemory = price("gpt-6.2-sol", u, { promptCacheRetention: "in_memory" });
    expect(inMemory.priced && [inMemory.costMicros, inMemory.explanation.multipliers, inMemory.explanation.unmatchedModifiers]).toEqual([4500, [], []]);
    const odd = price("gpt-6.2-sol", u, { promptCacheRetention: "48h" });
    expect(odd.priced && [odd.costMicros, odd.explanation.unmatchedModifiers]).toEqual([4500, [{ field: "prompt_cache_retention", value: "48h" }]]);
    // Stacks with the tier like any multiplier (× 1 × 0.5).
    expect(cost("gpt-6.2-sol", u, { promptCacheRetention: "24h", serviceTier: "batch" })).toBe(2250);
    // Every priced OpenAI entry has the rule (so 24h is explained, not "unmatched"); no Anthropic entry does.
    for (const list of shippedCatalog.models.values()) {
      for (const e of list) {
        if (e.kind !== "priced") continue;
        const has = e.multipliers.some((m) => m.field === "prompt_cache_retention" && m.value === "24h" && m.factorText === "1");
        expect(has, e.id).toBe(e.provider === "openai");
      }
    }
  });
});

describe("effective dates", () => {
  it("Sonnet 5.5 cache reads: $0.20 per MTok on 2026-10-06, $0.10 on 2026-10-08", () => {
    const before = price("claude-sonnet-5-5", { cacheRead: 1_000_000 }, {}, Date.parse("2026-10-06T12:00:00Z"));
    const after = price("claude-sonnet-5-5", { cacheRead: 1_000_000 }, {}, Date.parse("2026-10-08T12:00:00Z"));
    expect(before.costMicros).toBe(200_000);
    expect(after.costMicros).toBe(100_000);
    expect(before.priced && before.explanation.entryId).toBe("claude-sonnet-5-5@2026-09-28");
    expect(after.priced && after.explanation.entryId).toBe("claude-sonnet-5-5@2026-10-07");
  });

  it("a request before a model's first entry is not priced (never an older or newer model's rates)", () => {
    const r = price("claude-opus-5-5", { input: 1000 }, {}, Date.parse("2026-09-01"));
    expect(r).toMatchObject({ priced: false, costMicros: 0, reason: expect.stringMatching(/in effect at 2026-09-01/) });
  });
});

describe("rounding", () => {
  it("rates below a micro-dollar per token are exact and the request is rounded once, half up", () => {
    // gpt-6-luna cached input $0.01/MTok = 0.01 µ$/token: 49 → 0.49 → 0, 50 → 0.5 → 1
    expect(cost("gpt-6-luna", { cacheRead: 49 })).toBe(0);
    expect(cost("gpt-6-luna", { cacheRead: 50 })).toBe(1);
    // 50 cached (0.5 µ$) + 5 input (5 × 0.10 = 0.5 µ$) = 1.0 → 1; rounding per line would give 2.
    expect(cost("gpt-6-luna", { cacheRead: 50, input: 5 })).toBe(1);
    // With an exact factor: 1 input token of Sonnet 5.5 in the US = 2 × 1.1 = 2.2 → 2; 5 tokens = 11 exactly.
    expect(cost("claude-sonnet-5-5", { input: 1 }, { inferenceGeo: "us" })).toBe(2);
    expect(cost("claude-sonnet-5-5", { input: 5 }, { inferenceGeo: "us" })).toBe(11);
  });
});

describe("never NaN, never a throw", () => {
  it("odd usage comes back unpriced with a reason", () => {
    expect(price("claude-opus-5-5", { input: -1 })).toMatchObject({ priced: false, costMicros: 0 });
    expect(price("claude-opus-5-5", { input: 1.5 })).toMatchObject({ priced: false, costMicros: 0 });
    expect(price("claude-opus-5-5", { input: Number.NaN })).toMatchObject({ priced: false, costMicros: 0 });
    expect(price("claude-opus-5-5", { input: 1 }, {}, Number.NaN)).toMatchObject({ priced: false, costMicros: 0 });
    expect(price("claude-opus-5-5", { input: 1000 }, { webSearchRequests: Number.NaN })).toMatchObject({ priced: true, costMicros: 4000 });
  });

  it("explicitly not-priced models say why", () => {
    expect(price("claude-mythos-preview", { input: 1 })).toMatchObject({ priced: false, reason: expect.stringMatching(/not priced: invitation-only/) });
    expect(price("gpt-4o-audio-preview-2024-12-17", { input: 1 })).toMatchObject({ priced: false, reason: expect.stringMatching(/audio/) });
  });
});

describe("lookupRates", () => {
  it("gives base rates and the worst case: top band × the dearest multiplier of each field", () => {
    const opus = lookupRates("ANTHROPIC", "claude-opus-5-5", DEC_1);
    expect(opus?.base).toEqual({ input: 4_000_000, output: 20_000_000, cacheWrite5m: 5_000_000, cacheWrite1h: 8_000_000, cacheRead: 200_000 });
    // fast 2x × US 1.1x; batch (0.5) never raises the worst case
    expect(opus?.worstCase).toEqual({ input: 8_800_000, output: 44_000_000, cacheWrite5m: 11_000_000, cacheWrite1h: 17_600_000, cacheRead: 440_000 });
    // Haiku 5.5: the >100K band (5x) × US 1.1x
    expect(lookupRates("ANTHROPIC", "claude-haiku-5-5", DEC_1)?.worstCase.input).toBe(550_000);
    // gpt-6.2-sol: long-context × ultrafast, 3x now and 6x after 2027-02-28
    expect(lookupRates("OPENAI", "gpt-6.2-sol", DEC_1)?.worstCase).toMatchObject({ input: 12_000_000, output: 45_000_000 });
    expect(lookupRates("OPENAI", "gpt-6.2-sol", Date.parse("2027-03-01"))?.worstCase).toMatchObject({ input: 24_000_000, output: 90_000_000 });
    expect(lookupRates("OPENAI", "gpt-4o-audio-preview", DEC_1)).toBeNull();
  });
});

describe("tenant overrides", () => {
  const override = { provider: "anthropic" as const, input: 1_000_000, output: 2_000_000, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 };

  it("take precedence over the catalog; the provider's multipliers and fees still apply", () => {
    const overrides = { "claude-opus-5-5": override };
    const r = priceRequest(
      { provider: "ANTHROPIC", model: "claude-opus-5-5", at: DEC_1, usage: { ...ZERO, input: 1000, output: 1000 }, modifiers: { ...NO_MODIFIERS, speed: "fast" } },
      overrides,
    );
    expect(r.costMicros).toBe((1000 + 2000) * 2);
    expect(r.priced && r.explanation).toMatchObject({ entryId: "override:claude-opus-5-5", sourceUrl: null });
    expect(lookupRates("ANTHROPIC", "claude-opus-5-5-20260922", DEC_1, overrides)?.base.input).toBe(1_000_000);
    // An override prices a model the catalog does not know.
    expect(costOf("claude-private-1", { ...ZERO, input: 1000 }, { "claude-private-1": override })).toEqual({ costMicros: 1000, priced: true });
  });
});
