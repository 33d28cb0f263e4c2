/** One money format, URL state codecs, readable refusals and stable sorting of the portal (issue 17). */
import { describe, expect, it } from "vitest";
import { columnCostDecimals, costDecimals, exactUsd } from "~/lib/money";
import { createFormatters, createT } from "~/i18n/messages";
import { jsonCodec, rangeCodec, readParam, enumCodec, pageCodec, sortCodec } from "~/components/url-params";
import { readableRequestError } from "~/components/requests/request-error";
import { zeroBasedTicks } from "~/components/dashboard/chart-utils";
import { explanationWords } from "~/components/requests/explanation-words";
import { ENGLISH_EXPLANATION_WORDS, explanationParts } from "~/pricing/explanation-text";
import { REFUSAL_REASONS } from "~/relay/errors";
import { nextSort, sortRows } from "~/components/sortable";
import { requestLogFilterSchema } from "~/ledger/request-log-filter";
import { z } from "zod";
import type { RangeInput } from "~/server/api/lib/overview";

const WEEK: RangeInput = { kind: "7d" };

describe("money format", () => {
  it("one column, one number of decimals: the most any cell needs", () => {
    const f = createFormatters("en");
    // The admin column of the issue: "$277.07 / $2.2288 / $0.410982".
    const column = [277_070_000, 2_228_800, 410_982];
    const digits = columnCostDecimals(column);
    expect(column.map((m) => f.cost(m, digits))).toEqual(["$277.070000", "$2.228800", "$0.410982"]);
    // The limit bar of the issue: "$0.158070 / $5.0000".
    const bar = columnCostDecimals([158_070, 5_000_000]);
    expect(`${f.cost(158_070, bar)} / ${f.cost(5_000_000, bar)}`).toBe("$0.158070 / $5.000000");
    expect(columnCostDecimals([])).toBe(2);
    expect(columnCostDecimals([0, 150_000_000])).toBe(2);
  });

  it("a single amount keeps the one rule; the hover title is exact", () => {
    expect([0, 999_999, 1_000_000, 99_999_999, 100_000_000].map(costDecimals)).toEqual([2, 6, 4, 4, 2]);
    expect(createFormatters("en").cost(2_228_800)).toBe("$2.2288");
    expect(exactUsd(158_070)).toBe("$0.15807");
    expect(exactUsd(277_070_000n)).toBe("$277.07");
  });

  it("request times are to the second with the zone", () => {
    const f = createFormatters("en");
    expect(f.dateTimeSeconds(new Date("2026-12-01T12:03:07Z"))).toMatch(/12:03:07.*UTC/);
    expect(createFormatters("zh-CN").dateTimeSeconds(new Date("2026-12-01T12:03:07Z"))).toMatch(/12:03:07/);
  });
});

describe("URL state codecs", () => {
  it("range: presets and custom ranges round-trip; junk is the default", () => {
    const ranges: RangeInput[] = [{ kind: "30d" }, { kind: "today" }, { kind: "custom", from: "2026-11-01", to: "2026-11-30" }];
    for (const r of ranges) {
      expect(rangeCodec.parse(rangeCodec.format(r))).toEqual(r);
    }
    expect(readParam<RangeInput>(rangeCodec.format({ kind: "month" }), rangeCodec, WEEK)).toEqual({ kind: "month" });
    expect(readParam<RangeInput>("90y", rangeCodec, WEEK)).toEqual({ kind: "7d" });
    expect(readParam<RangeInput>(["30d", "7d"], rangeCodec, WEEK)).toEqual({ kind: "30d" });
    expect(readParam<"hour" | "day" | undefined>(undefined, enumCodec(["hour", "day"]), undefined)).toBeUndefined();
    expect(pageCodec.parse("0")).toBeUndefined();
    expect(pageCodec.parse("3")).toBe(3);
  });

  it("a filter object travels whole through its own schema, dates as ISO text", () => {
    const codec = jsonCodec(requestLogFilterSchema.extend({ from: z.coerce.date().optional(), to: z.coerce.date().optional() }));
    const filter = { statusClass: "refused" as const, model: "gpt-4o", from: new Date("2026-11-30T10:00:00Z") };
    expect(codec.parse(codec.format(filter))).toEqual(filter);
    expect(codec.parse('{"statusClass":"nope"}')).toBeUndefined();
    expect(codec.parse("not json")).toBeUndefined();
  });
});

describe("readable request errors", () => {
  const t = createT("en");
  it("names the limit of a refusal; other errors are as recorded", () => {
    expect(readableRequestError(t, "quota: rate_requests")).toBe("Refused: the limit “Requests in window” was reached");
    expect(readableRequestError(t, "quota: cost_daily")).toBe("Refused: the limit “Daily cost” was reached");
    expect(readableRequestError(t, "quota: revoked")).toBe("Refused: the key was revoked");
    expect(readableRequestError(t, "quota: something_new")).toBe("quota: something_new");
    expect(readableRequestError(t, "upstream 529 overloaded_error")).toBe("upstream 529 overloaded_error");
    expect(readableRequestError(t, null)).toBeNull();
    expect(readableRequestError(createT("zh-CN"), "quota: rate_requests")).toContain("窗口内请求数");
  });

  it("every refusal the relay records reads as words, in both languages", () => {
    for (const locale of ["en", "zh-CN"] as const) {
      const t = createT(locale);
      for (const reason of REFUSAL_REASONS) {
        const text = readableRequestError(t, `quota: ${reason}`);
        expect(text, `${locale} ${reason}`).not.toMatch(/quota:|_/);
      }
    }
  });
});

describe("sortable tables", () => {
  it("sorts by a column, flips on a second click, keeps ties in order", () => {
    const rows = [
      { name: "b", cost: 2 },
      { name: "a", cost: 2 },
      { name: "c", cost: 5 },
    ];
    const value = (r: (typeof rows)[number], key: "name" | "cost") => r[key];
    expect(sortRows(rows, { key: "cost", dir: "desc" }, value).map((r) => r.name)).toEqual(["c", "b", "a"]);
    expect(sortRows(rows, { key: "name", dir: "asc" }, value).map((r) => r.name)).toEqual(["a", "b", "c"]);
    expect(nextSort({ key: "cost", dir: "desc" }, "cost")).toEqual({ key: "cost", dir: "asc" });
    expect(nextSort({ key: "cost", dir: "desc" }, "name", "asc")).toEqual({ key: "name", dir: "asc" });
    const codec = sortCodec(["name", "cost"]);
    expect(codec.parse("name.asc")).toEqual({ key: "name", dir: "asc" });
    expect(codec.format({ key: "cost", dir: "desc" })).toBe("cost");
    expect(codec.parse("evil")).toBeUndefined();
  });
});

describe("chart axes", () => {
  it("ticks from zero, evenly spaced and round, the top one at or above the data", () => {
    expect(zeroBasedTicks(10, { integer: true })).toEqual([0, 5, 10]);
    expect(zeroBasedTicks(7, { integer: true })).toEqual([0, 3, 6, 9]);
    expect(zeroBasedTicks(1, { integer: true })).toEqual([0, 1]);
    // The cost axis of the review: $0, $0.025, $0.063 before.
    expect(zeroBasedTicks(63_228)).toEqual([0, 25_000, 50_000, 75_000]);
    expect(zeroBasedTicks(10_000)).toEqual([0, 5_000, 10_000]);
    expect(zeroBasedTicks(0)).toEqual([0, 1]);
    for (const max of [3, 17, 99, 1234, 987_654]) {
      const ticks = zeroBasedTicks(max);
      expect(ticks[0]).toBe(0);
      expect(ticks.at(-1)!).toBeGreaterThanOrEqual(max);
      const steps = new Set(ticks.slice(1).map((v, i) => Number((v - ticks[i]!).toPrecision(9))));
      expect(steps.size).toBe(1);
    }
  });
});

describe("cost explanation words", () => {
  it("the portal's English words are the CSV's, and 中文 has its own", () => {
    expect(explanationWords(createT("en"))).toEqual(ENGLISH_EXPLANATION_WORDS);
    const zh = explanationWords(createT("zh-CN"));
    const parts = explanationParts(
      {
        entryId: "claude-sonnet-4-5@2025-09-29",
        sourceUrl: null,
        band: null,
        lines: [{ kind: "cacheRead", tokens: 10, ratePerMTokMicros: 300_000 }],
        multipliers: [],
        fees: [],
        totalMicros: 3,
      } as unknown as Parameters<typeof explanationParts>[0],
      zh,
    );
    expect(parts.map((p) => p.label)).toEqual(["价格", "档位", "缓存读取", "合计"]);
    expect(parts.at(-1)!.detail).toBe("$0.000003 (只在最后一次舍入到微美元)");
  });
});
