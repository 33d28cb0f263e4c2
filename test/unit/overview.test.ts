import { describe, expect, it } from "vitest";
import type { UsageRow } from "~/ledger";
import { buildOverview, OTHER_MODELS, resolveRange } from "~/server/api/lib/overview";
import { localMidnight } from "~/lib/time";
import { negotiateLocale, resolveLocale } from "~/i18n";
import { createFormatters, createT } from "~/i18n/messages";
import { en } from "~/i18n/en";
import { zhCN } from "~/i18n/zh-CN";

function row(model: string, hourIso: string, over: Partial<UsageRow> = {}): UsageRow {
  return {
    apiKeyId: "k1",
    tenantId: "t",
    model,
    hourStart: new Date(hourIso),
    requests: 1,
    inputTokens: 10,
    outputTokens: 5,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    cacheReadTokens: 0,
    costMicros: 100,
    errorCount: 0,
    estimatedCount: 0,
    latencyMsSum: 50,
    reasoningTokens: 0,
    webSearchRequests: 0,
    unpricedCount: 0,
    ...over,
  };
}

const noKeys = () => Promise.resolve([]);

describe("overview ranges", () => {
  const now = new Date("2026-03-10T15:20:00Z");

  it("today: from local midnight to the end of the current hour", () => {
    const r = resolveRange({ kind: "today" }, "Asia/Shanghai", now);
    expect(r.from.toISOString()).toBe("2026-03-09T16:00:00.000Z");
    expect(r.to.toISOString()).toBe("2026-03-10T16:00:00.000Z");
    expect(r.dayCount).toBe(1);
  });

  it("7 days and this month, in the tenant's zone", () => {
    expect(resolveRange({ kind: "7d" }, "UTC", now).from.toISOString()).toBe("2026-03-04T00:00:00.000Z");
    expect(resolveRange({ kind: "month" }, "America/New_York", now).from.toISOString()).toBe("2026-03-01T05:00:00.000Z");
  });

  it("custom ranges cover whole days, in either order, and at most 366 days", () => {
    const r = resolveRange({ kind: "custom", from: "2026-03-08", to: "2026-03-01" }, "UTC", now);
    expect(r.from.toISOString()).toBe("2026-03-01T00:00:00.000Z");
    expect(r.to.toISOString()).toBe("2026-03-09T00:00:00.000Z");
    expect(r.dayCount).toBe(8);
    expect(() => resolveRange({ kind: "custom", from: "2024-01-01", to: "2026-01-01" }, "UTC", now)).toThrow(RangeError);
  });

  it("finds local midnight across a DST change", () => {
    // Europe/Berlin springs forward on 2026-03-29.
    expect(localMidnight("2026-03-29", "Europe/Berlin").toISOString()).toBe("2026-03-28T23:00:00.000Z");
    expect(localMidnight("2026-03-30", "Europe/Berlin").toISOString()).toBe("2026-03-29T22:00:00.000Z");
  });
});

describe("buildOverview", () => {
  const range = { from: new Date("2026-03-08T00:00:00Z"), to: new Date("2026-03-10T00:00:00Z"), dayCount: 2 };

  it("sums ledger costs into day buckets, zero-filled, and names the top keys", async () => {
    const rows = [
      row("a", "2026-03-08T01:00:00Z", { costMicros: 300 }),
      row("b", "2026-03-08T05:00:00Z", { costMicros: 200, apiKeyId: "k2" }),
      row("a", "2026-03-09T23:00:00Z", { costMicros: 1, errorCount: 1 }),
    ];
    const o = await buildOverview(rows, range, "UTC", "day", async (ids) =>
      ids.map((id) => ({ id, name: `name-${id}`, keyPrefix: "mg-abc", revokedAt: null })),
    );
    expect(o.series.map((p) => p.bucket)).toEqual(["2026-03-08", "2026-03-09"]);
    expect(o.series.map((p) => p.costMicros)).toEqual([500, 1]);
    expect(o.totals.costMicros).toBe(501);
    expect(o.models).toEqual(["a", "b"]);
    expect(o.series[0]!.modelCost).toEqual([300, 200]);
    expect(o.topKeys.map((k) => [k.apiKeyId, k.name, k.costMicros])).toEqual([
      ["k1", "name-k1", 301],
      ["k2", "name-k2", 200],
    ]);
  });

  it("hour buckets in the zone; models beyond the chart's limit are summed as other", async () => {
    const rows = ["m1", "m2", "m3", "m4", "m5", "m6", "m7"].map((m, i) => row(m, "2026-03-08T10:00:00Z", { costMicros: 100 - i }));
    const o = await buildOverview(rows, range, "Asia/Shanghai", "hour", noKeys);
    expect(o.models).toEqual(["m1", "m2", "m3", "m4", "m5", OTHER_MODELS]);
    const point = o.series.find((p) => p.bucket === "2026-03-08T18")!;
    expect(point.modelCost).toEqual([100, 99, 98, 97, 96, 95 + 94]);
    expect(point.costMicros).toBe(point.modelCost.reduce((a, b) => a + b, 0));
  });
});

describe("i18n", () => {
  it("has a Chinese message for every English key and no other", () => {
    expect(Object.keys(zhCN).sort()).toEqual(Object.keys(en).sort());
  });

  it("keeps every placeholder of the English message in the translation", () => {
    const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(en) as (keyof typeof en)[]) expect([key, names(zhCN[key])]).toEqual([key, names(en[key])]);
  });

  it("negotiates the locale: cookie first, then Accept-Language by quality, else English", () => {
    expect(resolveLocale("zh-CN", "en-US")).toBe("zh-CN");
    expect(resolveLocale("fr", "fr-FR,zh;q=0.8,en;q=0.5")).toBe("zh-CN");
    expect(resolveLocale(undefined, "en-GB,zh-CN;q=0.9")).toBe("en");
    expect(negotiateLocale("de-DE")).toBe("en");
    expect(negotiateLocale(null)).toBe("en");
    expect(negotiateLocale("zh-TW")).toBe("en");
  });

  it("fills placeholders and formats numbers per locale", () => {
    expect(createT("en")("usage.stat.errors", { count: 1234 })).toBe("Errors: 1,234");
    expect(createT("zh-CN")("common.page", { page: 2 })).toBe("第 2 页");
    expect(createFormatters("zh-CN").cost(1_234_567)).toBe("$1.2346");
    expect(createFormatters("en").cost(0)).toBe("$0.00");
  });
});
