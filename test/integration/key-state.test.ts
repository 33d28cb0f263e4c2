/**
 * The admission script against real Redis: key-state markers (revoked, rotated, suspended) and
 * the unbilled mode used by count_tokens and models.
 */
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { admit, markKeyActive, markKeyRotated, markTenantSuspended, recordRequest, unlimited, type KeyLimits } from "~/ledger";
import { db } from "~/infra/db";
import { redis } from "~/infra/redis";
import { createTenantWithKey } from "../helpers/fixtures-db";

async function limitsFor(over: Partial<KeyLimits>): Promise<KeyLimits> {
  const { tenant, key } = await createTenantWithKey("key-state");
  return { ...unlimited(key.id, tenant.id), ...over };
}

const ref = (l: KeyLimits) => ({ apiKeyId: l.apiKeyId, tenantId: l.tenantId });

afterAll(async () => {
  await db.$disconnect();
  redis.disconnect();
});

describe("key state in the admission script", () => {
  it("refuses a revoked key until it is reactivated", async () => {
    const l = await limitsFor({});
    await markKeyActive(ref(l), false);
    expect(await admit(l, randomUUID(), 0)).toMatchObject({ ok: false, reason: "revoked", status: 401 });
    expect(await admit(l, randomUUID(), 0, {}, { unbilled: true })).toMatchObject({ ok: false, reason: "revoked", status: 401 });
    await markKeyActive(ref(l), true);
    expect(await admit(l, randomUUID(), 0)).toMatchObject({ ok: true });
  });

  it("after a rotation, admits only the new secret's hash", async () => {
    const l = await limitsFor({});
    await markKeyRotated(ref(l), "new-hash");
    expect(await admit(l, randomUUID(), 0, {}, { keyHash: "old-hash" })).toMatchObject({ ok: false, reason: "revoked" });
    expect(await admit(l, randomUUID(), 0, {}, { keyHash: "new-hash" })).toMatchObject({ ok: true });
  });

  it("refuses every key of a suspended tenant until it is reinstated", async () => {
    const l = await limitsFor({});
    await markTenantSuspended(l.tenantId, true);
    expect(await admit(l, randomUUID(), 0)).toMatchObject({ ok: false, reason: "suspended", status: 403 });
    await markTenantSuspended(l.tenantId, false);
    expect(await admit(l, randomUUID(), 0)).toMatchObject({ ok: true });
  });
});

describe("unbilled admission", () => {
  it("counts in the request window but takes no lease, reserves nothing and ignores spend caps and concurrency", async () => {
    const l = await limitsFor({ maxConcurrency: 1, dailyCostMicros: 1_000, rateWindowMinutes: 1, rateMaxRequests: 3 });
    const billed = await admit(l, randomUUID(), 900);
    expect(billed.ok).toBe(true);
    // Concurrency full and the cap reserved: billed requests are refused, unbilled ones are not.
    expect(await admit(l, randomUUID(), 900)).toMatchObject({ ok: false, reason: "concurrency" });
    expect(await admit(l, randomUUID(), 0, {}, { unbilled: true })).toMatchObject({ ok: true });
    if (!billed.ok) throw new Error("unreachable");
    expect(await redis.zcard(billed.charge.keys.leases)).toBe(1);
    expect(Object.keys(await redis.hgetall(billed.charge.keys.keyReservations))).toEqual([billed.charge.requestId]);
    // The window holds 1 billed + 1 unbilled (the refused one counted nothing): one more fits.
    expect(await admit(l, randomUUID(), 0, {}, { unbilled: true })).toMatchObject({ ok: true });
    expect(await admit(l, randomUUID(), 0, {}, { unbilled: true })).toMatchObject({ ok: false, reason: "rate_requests", status: 429 });
    await recordRequest(
      {
        id: billed.charge.requestId, apiKeyId: l.apiKeyId, tenantId: l.tenantId, model: "claude-sonnet-4-5", provider: "ANTHROPIC",
        endpoint: "/v1/messages", stream: false, status: 200, usage: { input: 10, output: 10, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 },
        usageSource: "UPSTREAM", startedAt: Date.now(), latencyMs: 1, ttfbMs: 1, clientIp: null, userAgent: null, error: null,
      },
      billed.charge,
    );
    expect(await redis.zcard(billed.charge.keys.leases)).toBe(0);
  });
});
