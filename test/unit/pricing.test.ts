import { describe, expect, it } from "vitest";
import { costOf, findModelPrice, formatMicros, priceTable } from "~/pricing";

const basic = { input: 472, output: 89, cacheWrite5m: 1024, cacheWrite1h: 1024, cacheRead: 10240 };

describe("pricing", () => {
  it("prices the stream-basic fixture for a dated Sonnet 4.5 id exactly", () => {
    // 472×3 + 89×15 + 1024×3.75 + 1024×6 + 10240×0.3 = 15807 micro-dollars
    expect(costOf("claude-sonnet-4-5-20250929", basic)).toEqual({ costMicros: 15807, priced: true });
  });

  it("prices OpenAI chat usage with cached input at the cached rate", () => {
    // gpt-4o: 176×2.5 + 1024×1.25 + 35×10 = 440 + 1280 + 350
    const u = { input: 176, output: 35, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 1024 };
    expect(costOf("gpt-4o-2024-08-06", u)).toEqual({ costMicros: 2070, priced: true });
  });

  it("applies the long-context tier to the whole request above the threshold", () => {
    const u = { input: 210_000, output: 1000, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 };
    // 210000×6 + 1000×22.5
    expect(costOf("claude-sonnet-4-5", u).costMicros).toBe(1_260_000 + 22_500);
    expect(costOf("claude-haiku-4-5", u).costMicros).toBe(210_000 + 5_000);
  });

  it("never guesses: unknown models cost zero and are flagged", () => {
    expect(costOf("claude-imaginary-9", basic)).toEqual({ costMicros: 0, priced: false });
    expect(findModelPrice("gpt-4o-mini-2024-07-18")?.input).toBe(150_000);
  });

  it("rounds half up once, to whole micro-dollars", () => {
    // Haiku 3.5 cache read: 0.08 µ$/token → 7 tokens = 0.56 → 1; 6 tokens = 0.48 → 0
    const z = { input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0 };
    expect(costOf("claude-3-5-haiku", { ...z, cacheRead: 7 }).costMicros).toBe(1);
    expect(costOf("claude-3-5-haiku", { ...z, cacheRead: 6 }).costMicros).toBe(0);
  });

  it("ships a table whose every rate is an integer", () => {
    for (const [model, p] of Object.entries(priceTable.models)) {
      for (const v of [p.input, p.output, p.cacheWrite5m, p.cacheWrite1h, p.cacheRead]) {
        expect(Number.isInteger(v), model).toBe(true);
      }
    }
  });

  it("formats micro-dollars without floating point", () => {
    expect(formatMicros(15807)).toBe("$0.0158");
    expect(formatMicros(15807, 6)).toBe("$0.015807");
    expect(formatMicros(123_456_789_000n, 2)).toBe("$123,456.79");
  });
});
