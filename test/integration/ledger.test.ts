import { afterAll, describe, expect, it } from "vitest";
import { flushOnce, recordRequest, usageRows } from "~/ledger";
import { db } from "~/infra/db";
import { redis } from "~/infra/redis";
import { requestEvent } from "../helpers/events";
import { createTenantWithKey } from "../helpers/fixtures-db";

const event = requestEvent;

const range = () => ({ from: new Date(Date.now() - 86_400_000), to: new Date(Date.now() + 86_400_000) });
const sum = (rows: Awaited<ReturnType<typeof usageRows>>, f: "requests" | "costMicros" | "outputTokens") =>
  rows.reduce((s, r) => s + r[f], 0);

afterAll(async () => {
  await db.$disconnect();
  redis.disconnect();
});

describe("ledger", () => {
  it("prices stream-basic usage of claude-sonnet-4-5 at exactly 15807 micro-dollars", async () => {
    const { tenant, key } = await createTenantWithKey();
    const r = await recordRequest(event(tenant.id, key.id));
    expect(r).toEqual({ costMicros: 15807, priced: true });
  });

  it("shows unflushed usage live, flushes it exactly once, and keeps the live total stable", async () => {
    const { tenant, key } = await createTenantWithKey();
    for (let i = 0; i < 25; i++) await recordRequest(event(tenant.id, key.id));
    await recordRequest(event(tenant.id, key.id, { status: 529, usageSource: "ESTIMATED", error: "overloaded" }));

    const live = await usageRows({ tenantId: tenant.id, ...range() });
    expect(sum(live, "requests")).toBe(26);
    expect(sum(live, "costMicros")).toBe(26 * 15807);

    const r = await flushOnce();
    expect(r.inserted).toBeGreaterThanOrEqual(26);
    const stored = await db.usageHourly.findMany({ where: { tenantId: tenant.id } });
    expect(stored.reduce((s, x) => s + Number(x.requests), 0)).toBe(26);
    expect(stored.reduce((s, x) => s + Number(x.costMicros), 0)).toBe(26 * 15807);
    expect(stored.reduce((s, x) => s + Number(x.errorCount), 0)).toBe(1);
    expect(stored.reduce((s, x) => s + Number(x.estimatedCount), 0)).toBe(1);
    expect(await db.requestLog.count({ where: { tenantId: tenant.id } })).toBe(26);

    const after = await usageRows({ tenantId: tenant.id, ...range() });
    expect(sum(after, "requests")).toBe(26);
    expect(sum(after, "outputTokens")).toBe(26 * 89);
    const k = await db.apiKey.findUniqueOrThrow({ where: { id: key.id } });
    expect(k.lastUsedAt).not.toBeNull();

    const again = await flushOnce();
    expect(again.read).toBe(0);
  });

  it("counts nothing twice when the job dies between the Postgres commit and the Redis ack", async () => {
    const { tenant, key } = await createTenantWithKey();
    for (let i = 0; i < 10; i++) await recordRequest(event(tenant.id, key.id));
    await expect(
      flushOnce({
        onStep: (step) => {
          if (step === "committed") throw new Error("crash after commit");
        },
      }),
    ).rejects.toThrow("crash after commit");
    // Postgres has the rows, Redis still has the events and the deltas.
    expect(await db.requestLog.count({ where: { tenantId: tenant.id } })).toBe(10);
    const r = await flushOnce();
    expect(r.inserted).toBe(0);
    expect(r.acked).toBeGreaterThanOrEqual(10);
    const stored = await db.usageHourly.findMany({ where: { tenantId: tenant.id } });
    expect(stored.reduce((s, x) => s + Number(x.requests), 0)).toBe(10);
    const live = await usageRows({ tenantId: tenant.id, ...range() });
    expect(sum(live, "requests")).toBe(10);
  });

  it("prices an unknown model at zero and flags it", async () => {
    const { tenant, key } = await createTenantWithKey();
    const r = await recordRequest(event(tenant.id, key.id, { model: "mystery-model-1" }));
    expect(r).toEqual({ costMicros: 0, priced: false });
    await flushOnce();
    const log = await db.requestLog.findFirstOrThrow({ where: { tenantId: tenant.id } });
    expect(log.priced).toBe(false);
  });
});

describe("usage rows by local day", () => {
  it("aggregates rollups and unflushed deltas into the time zone's calendar days", async () => {
    const { tenant, key } = await createTenantWithKey();
    // 23:30 UTC on Nov 22 is Nov 23 07:30 in Shanghai; 01:00 UTC on Nov 23 too.
    const a = Date.UTC(2026, 10, 22, 23, 30);
    const b = Date.UTC(2026, 10, 23, 1, 0);
    await recordRequest(event(tenant.id, key.id, { startedAt: a }));
    await flushOnce();
    await recordRequest(event(tenant.id, key.id, { startedAt: b })); // stays unflushed
    const q = { tenantId: tenant.id, from: new Date(Date.UTC(2026, 10, 20)), to: new Date(Date.UTC(2026, 10, 25)) };
    const utc = await usageRows({ ...q, dayBucketsIn: "UTC" });
    expect(utc.map((r) => [r.hourStart.toISOString(), r.requests])).toEqual([
      ["2026-11-22T00:00:00.000Z", 1],
      ["2026-11-23T00:00:00.000Z", 1],
    ]);
    const shanghai = await usageRows({ ...q, dayBucketsIn: "Asia/Shanghai" });
    expect(shanghai.map((r) => [r.hourStart.toISOString(), r.requests, r.costMicros])).toEqual([["2026-11-22T16:00:00.000Z", 2, 2 * 15807]]);
    const hourly = await usageRows(q);
    expect(hourly).toHaveLength(2);
    expect(typeof hourly[0]!.requests).toBe("number");
  });

  it("splits a day's bucket at the given hours, for rollups and unflushed deltas alike", async () => {
    const { tenant, key } = await createTenantWithKey();
    // Nov 23 UTC: 02:10 and 05:40 flushed, 09:05 unflushed; split at 05:00 and (outside the day's hours) 12:00.
    const hour = (h: number, m: number) => Date.UTC(2026, 10, 23, h, m);
    await recordRequest(event(tenant.id, key.id, { startedAt: hour(2, 10) }));
    await recordRequest(event(tenant.id, key.id, { startedAt: hour(5, 40) }));
    await flushOnce();
    await recordRequest(event(tenant.id, key.id, { startedAt: hour(9, 5) }));
    const q = { tenantId: tenant.id, from: new Date(Date.UTC(2026, 10, 20)), to: new Date(Date.UTC(2026, 10, 25)), dayBucketsIn: "UTC" };
    const split = await usageRows({ ...q, splitAt: [hour(5, 0), hour(12, 0)] });
    expect(split.map((r) => [r.hourStart.toISOString(), r.requests])).toEqual([
      ["2026-11-23T00:00:00.000Z", 1],
      ["2026-11-23T05:00:00.000Z", 2],
    ]);
    // A split before the day starts leaves the day whole.
    const whole = await usageRows({ ...q, splitAt: [Date.UTC(2026, 10, 21, 7)] });
    expect(whole.map((r) => [r.hourStart.toISOString(), r.requests])).toEqual([["2026-11-23T00:00:00.000Z", 3]]);
  });
});
