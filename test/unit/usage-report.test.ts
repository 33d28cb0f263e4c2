import { describe, expect, it } from "vitest";
import type { UsageRow } from "~/ledger";
import { microsToUsd } from "~/server/api/lib/lookup-json";
import { dayKey, lastDays, startOfDay } from "~/lib/time";
import { buildUsageReport } from "~/server/api/lib/usage-report";

function row(model: string, hourIso: string, over: Partial<UsageRow> = {}): UsageRow {
  return {
    apiKeyId: "k",
    tenantId: "t",
    model,
    hourStart: new Date(hourIso),
    requests: 1,
    inputTokens: 10,
    outputTokens: 5,
    cacheWrite5mTokens: 2,
    cacheWrite1hTokens: 1,
    cacheReadTokens: 100,
    costMicros: 7,
    errorCount: 0,
    estimatedCount: 0,
    latencyMsSum: 50,
    reasoningTokens: 0,
    webSearchRequests: 0,
    unpricedCount: 0,
    ...over,
  };
}

describe("time ranges", () => {
  it("covers today and the days before, today included even before noon", () => {
    const now = new Date("2026-11-23T09:30:00Z");
    const range = lastDays(7, "UTC", now);
    expect(range.days).toEqual(["2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23"]);
    expect(range.from.toISOString()).toBe("2026-11-17T00:00:00.000Z");
    expect(range.to.toISOString()).toBe("2026-11-23T10:00:00.000Z");
  });

  it("starts days at local midnight in the tenant's zone", () => {
    const now = new Date("2026-11-23T02:00:00Z"); // 2026-11-23 10:00 in Shanghai
    expect(dayKey(now, "Asia/Shanghai")).toBe("2026-11-23");
    expect(startOfDay(now, "Asia/Shanghai").toISOString()).toBe("2026-11-22T16:00:00.000Z");
    expect(startOfDay(new Date("2026-07-01T12:00:00Z"), "America/New_York").toISOString()).toBe("2026-07-01T04:00:00.000Z");
  });

  it("has 23 or 25 hours on DST change days but never skips or repeats a date", () => {
    const range = lastDays(3, "Europe/Berlin", new Date("2026-10-26T12:00:00Z"));
    expect(range.days).toEqual(["2026-10-24", "2026-10-25", "2026-10-26"]);
  });
});

describe("usage report", () => {
  it("sums rows into totals, per-model rows (by cost) and a zero-filled daily series", () => {
    const rows = [
      row("a", "2026-11-22T10:00:00Z"),
      row("b", "2026-11-22T11:00:00Z", { costMicros: 100, requests: 2 }),
      row("a", "2026-11-23T01:00:00Z", { errorCount: 1 }),
    ];
    const report = buildUsageReport(rows, ["2026-11-21", "2026-11-22", "2026-11-23"], "UTC");
    expect(report.totals).toMatchObject({ requests: 4, inputTokens: 30, costMicros: 114, errorCount: 1, cacheReadTokens: 300 });
    expect(report.byModel.map((m) => [m.model, m.costMicros, m.requests])).toEqual([
      ["b", 100, 2],
      ["a", 14, 2],
    ]);
    expect(report.daily.map((d) => [d.day, d.requests])).toEqual([
      ["2026-11-21", 0],
      ["2026-11-22", 3],
      ["2026-11-23", 1],
    ]);
  });

  it("formats micro-dollars as exact decimal dollars", () => {
    expect(microsToUsd(15807)).toBe("0.015807");
    expect(microsToUsd(12_345_678)).toBe("12.345678");
    expect(microsToUsd(0)).toBe("0.000000");
  });
});
