import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { admit, recordRequest, unlimited, type KeyLimits, type RequestEvent } from "~/ledger";
import { weekPeriod } from "~/ledger/periods";
import { db } from "~/infra/db";
import { redis } from "~/infra/redis";
import { createTenantWithKey } from "../helpers/fixtures-db";



async function limitsFor(over: Partial<KeyLimits>): Promise<KeyLimits> {
  const { tenant, key } = await createTenantWithKey("quota");
  return { ...unlimited(key.id, tenant.id), ...over };
}

/** A Sonnet 4.5 request costing exactly 15807 µ$ (the stream-basic fixture). */
function usageEvent(l: KeyLimits, startedAt: number): RequestEvent {
  return {
    id: randomUUID(), apiKeyId: l.apiKeyId, tenantId: l.tenantId, model: "claude-sonnet-4-5", provider: "ANTHROPIC",
    endpoint: "/v1/messages", stream: false, status: 200,
    usage: { input: 472, output: 89, cacheWrite5m: 1024, cacheWrite1h: 1024, cacheRead: 10240 },
    usageSource: "UPSTREAM", startedAt, latencyMs: 5, ttfbMs: 1, clientIp: null, userAgent: null, error: null,
  };
}

afterAll(async () => {
  await db.$disconnect();
  redis.disconnect();
});

describe("quota admission (real Redis)", () => {
  it("admits exactly 10 of 100 concurrent requests against 10 requests per window", async () => {
    const l = await limitsFor({ rateWindowMinutes: 1, rateMaxRequests: 10 });
    const results = await Promise.all(Array.from({ length: 100 }, () => admit(l, randomUUID(), 0)));
    expect(results.filter((r) => r.ok)).toHaveLength(10);
    const refused = results.find((r) => !r.ok);
    expect(refused).toMatchObject({ ok: false, reason: "rate_requests", status: 429 });
    if (refused && !refused.ok) expect(refused.retryAfterSec).toBeGreaterThanOrEqual(1);
  });

  it("rolls the window over with the clock", async () => {
    let now = Date.UTC(2026, 10, 23, 10, 0, 30);
    const l = await limitsFor({ rateWindowMinutes: 2, rateMaxRequests: 2 });
    const clock = { now: () => now };
    expect((await admit(l, randomUUID(), 0, clock)).ok).toBe(true);
    now += 60_000;
    expect((await admit(l, randomUUID(), 0, clock)).ok).toBe(true);
    const refused = await admit(l, randomUUID(), 0, clock);
    expect(refused).toMatchObject({ ok: false, reason: "rate_requests", retryAfterSec: 30 });
    now += 30_000; // the first minute's bucket leaves the window
    expect((await admit(l, randomUUID(), 0, clock)).ok).toBe(true);
  });

  it("holds concurrency leases, frees them on record and after their TTL", async () => {
    let now = Date.now();
    const l = await limitsFor({ maxConcurrency: 3 });
    const clock = { now: () => now };
    const admitted = await Promise.all(Array.from({ length: 5 }, () => admit(l, randomUUID(), 0, clock)));
    expect(admitted.filter((a) => a.ok)).toHaveLength(3);
    const first = admitted.find((a) => a.ok);
    if (!first?.ok) throw new Error("unreachable");
    await recordRequest(usageEvent(l, now), first.charge);
    expect((await admit(l, randomUUID(), 0, clock)).ok).toBe(true);
    expect(await admit(l, randomUUID(), 0, clock)).toMatchObject({ ok: false, reason: "concurrency", status: 429 });
    now += 16 * 60_000; // a crashed process's leases expire
    expect((await admit(l, randomUUID(), 0, clock)).ok).toBe(true);
  });

  it("stops a daily cost cap at the documented point: spent + reserved + estimate > cap", async () => {
    const l = await limitsFor({ dailyCostMicros: 50_000 });
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) {
      const a = await admit(l, randomUUID(), 3_000);
      outcomes.push(a.ok ? "ok" : a.reason);
      if (a.ok) await recordRequest(usageEvent(l, Date.now()), a.charge);
    }
    // Spent before each: 0, 15807, 31614, then 47421 + 3000 > 50000 → refused.
    expect(outcomes).toEqual(["ok", "ok", "ok", "cost_daily", "cost_daily", "cost_daily"]);
    const refused = await admit(l, randomUUID(), 0);
    // Estimate 0: 47421 ≤ 50000 still admits one more; that is the documented overshoot.
    expect(refused.ok).toBe(true);
  });

  it("refuses with 402 and a retry-after until the next period for spend caps", async () => {
    const l = await limitsFor({ monthlyCostMicros: 10 });
    const a = await admit(l, randomUUID(), 0);
    if (!a.ok) throw new Error("first request should pass");
    await recordRequest(usageEvent(l, Date.now()), a.charge);
    const r = await admit(l, randomUUID(), 0);
    expect(r).toMatchObject({ ok: false, reason: "cost_monthly", status: 402 });
    if (!r.ok) expect(r.retryAfterSec).toBeGreaterThan(0);
  });

  it("enforces the tenant's monthly budget across its keys", async () => {
    const l = await limitsFor({ tenantMonthlyBudgetMicros: 20_000 });
    const a = await admit(l, randomUUID(), 0);
    if (!a.ok) throw new Error("first request should pass");
    await recordRequest(usageEvent(l, Date.now()), a.charge);
    const second = await db.apiKey.create({
      data: { tenantId: l.tenantId, name: "second", keyHash: randomUUID(), keyPrefix: "mg-x" },
    });
    const r = await admit({ ...l, apiKeyId: second.id }, randomUUID(), 5_000);
    expect(r).toMatchObject({ ok: false, reason: "tenant_budget", status: 402 });
  });

  it("re-seeds a wiped spend counter from the ledger instead of resetting it to zero", async () => {
    const l = await limitsFor({ totalCostMicros: 40_000 });
    for (let i = 0; i < 2; i++) {
      const a = await admit(l, randomUUID(), 0);
      if (!a.ok) throw new Error("should pass");
      await recordRequest(usageEvent(l, Date.now()), a.charge);
    }
    const wiped = await redis.keys(`${process.env.REDIS_PREFIX}*:k:${l.apiKeyId}:c:*`);
    expect(wiped.length).toBeGreaterThan(0);
    await redis.del(...wiped);
    // 31614 spent (seeded from the unflushed deltas) + 10000 estimate > 40000
    expect(await admit(l, randomUUID(), 10_000)).toMatchObject({ ok: false, reason: "cost_total" });
  });

  it("expires a key N days after its first use", async () => {
    let now = Date.now();
    const l = await limitsFor({ expiresAfterFirstUseDays: 2 });
    const clock = { now: () => now };
    expect((await admit(l, randomUUID(), 0, clock)).ok).toBe(true);
    now += 2 * 86_400_000 - 1000;
    expect((await admit(l, randomUUID(), 0, clock)).ok).toBe(true);
    now += 2000;
    expect(await admit(l, randomUUID(), 0, clock)).toMatchObject({ ok: false, reason: "expired", status: 403 });
  });

  it("honours the weekly reset day and hour in the tenant's time zone", () => {
    // Monday 2026-11-23 08:00 UTC is 16:00 in Shanghai; reset Monday 09:00 Shanghai = 01:00 UTC.
    const p = weekPeriod(Date.UTC(2026, 10, 23, 8), "Asia/Shanghai", 1, 9);
    expect(new Date(p.startMs).toISOString()).toBe("2026-11-23T01:00:00.000Z");
    expect(new Date(p.endMs).toISOString()).toBe("2026-11-30T01:00:00.000Z");
    // Just before the reset hour, the week is still the previous one.
    const before = weekPeriod(Date.UTC(2026, 10, 23, 0, 59), "Asia/Shanghai", 1, 9);
    expect(new Date(before.startMs).toISOString()).toBe("2026-11-16T01:00:00.000Z");
    const ny = weekPeriod(Date.UTC(2026, 10, 23, 8), "America/New_York", 0, 0);
    expect(new Date(ny.startMs).toISOString()).toBe("2026-11-22T05:00:00.000Z");
  });
});
