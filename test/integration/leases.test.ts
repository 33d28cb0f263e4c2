/**
 * Record vs orphan sweep on real Redis: whichever claims the lease first records the request,
 * the other does nothing; a repeated record (a retried write that had in fact succeeded) adds
 * neither pending usage nor cap charges twice.
 */
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { admit, flushOnce, LeaseHeartbeat, recordRequest, sweepOrphans, unlimited, type LeaseDraft, type QuotaCharge } from "~/ledger";
import { shardOf } from "~/ledger/redis-keys";
import { db } from "~/infra/db";
import { redis } from "~/infra/redis";
import { requestEvent, STREAM_BASIC_COST_MICROS } from "../helpers/events";
import { createTenantWithKey } from "../helpers/fixtures-db";

afterAll(async () => {
  await db.$disconnect();
  redis.disconnect();
});

const TTL = 15_000;

async function admitted(tenantId: string, apiKeyId: string, startedAt: number) {
  const limits = { ...unlimited(apiKeyId, tenantId), totalCostMicros: 1_000_000_000 };
  const id = randomUUID();
  const draft: LeaseDraft = {
    request: { id, apiKeyId, tenantId, model: "claude-sonnet-4-5", provider: "ANTHROPIC", endpoint: "/v1/messages", stream: true, startedAt, clientIp: null, userAgent: null },
    usage: { input: 1000, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 },
    costMicros: 3000,
    priced: true,
  };
  const a = await admit(limits, id, 0, { now: () => startedAt }, { lease: draft });
  if (!a.ok) throw new Error("not admitted");
  return { id, charge: a.charge };
}

async function totalCost(apiKeyId: string): Promise<number> {
  const keys = await redis.keys(`${process.env.REDIS_PREFIX}*:k:${apiKeyId}:c:total`);
  return Number(await redis.get(keys[0]!));
}

const event = (tenantId: string, apiKeyId: string, id: string, startedAt: number) => requestEvent(tenantId, apiKeyId, { id, startedAt });

describe("leases", () => {
  it("a recorded request is never swept", async () => {
    const { tenant, key } = await createTenantWithKey("lease-a");
    const t = Date.now();
    const { id, charge } = await admitted(tenant.id, key.id, t);
    await recordRequest(event(tenant.id, key.id, id, t), charge);
    expect(await sweepOrphans(shardOf(tenant.id), { now: t + TTL + 1 })).toMatchObject({ orphaned: 0 });
    await flushOnce();
    const rows = await db.requestLog.findMany({ where: { tenantId: tenant.id } });
    expect(rows.map((r) => r.flags)).toEqual([[]]);
    expect(await totalCost(key.id)).toBe(STREAM_BASIC_COST_MICROS);
  });

  it("a lease filed in the v1 format (every charge key spelled out) is still swept and charged", async () => {
    const { tenant, key } = await createTenantWithKey("lease-v1");
    const t = Date.now() - 2 * TTL;
    const { id, charge } = await admitted(tenant.id, key.id, t);
    const infoKey = charge.keys.leaseInfo;
    const v2 = JSON.parse((await redis.hget(infoKey, id))!) as { v: number; draft: unknown; periods: unknown };
    expect(v2.v).toBe(2);
    expect(JSON.stringify(v2)).not.toContain(charge.keys.leases);
    const { epoch: _epoch, ...v1Charge } = charge;
    await redis.hset(infoKey, id, JSON.stringify({ v: 1, draft: v2.draft, charge: v1Charge }));
    expect(await sweepOrphans(shardOf(tenant.id), { now: t + TTL + 1 })).toMatchObject({ orphaned: 1 });
    await flushOnce();
    const rows = await db.requestLog.findMany({ where: { tenantId: tenant.id } });
    expect(rows).toMatchObject([{ id, flags: ["orphaned"], costMicros: 3000n }]);
    expect(await totalCost(key.id)).toBe(3000);
    expect(await redis.zscore(charge.keys.leases, id)).toBeNull();
  });

  it("a swept request's late record is not applied: billed once, as orphaned", async () => {
    const { tenant, key } = await createTenantWithKey("lease-b");
    const t = Date.now() - 2 * TTL;
    const { id, charge } = await admitted(tenant.id, key.id, t);
    expect(await sweepOrphans(shardOf(tenant.id), { now: t + TTL + 1 })).toMatchObject({ orphaned: 1 });
    expect(await sweepOrphans(shardOf(tenant.id), { now: t + TTL + 2 })).toMatchObject({ orphaned: 0 });
    await recordRequest(event(tenant.id, key.id, id, t), charge);
    await flushOnce();
    const rows = await db.requestLog.findMany({ where: { tenantId: tenant.id } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id, flags: ["orphaned"], status: 499, inputTokens: 1000, costMicros: 3000n });
    expect(await totalCost(key.id)).toBe(3000);
  });

  it("record and sweep racing on many expired leases: each request exactly once", async () => {
    const { tenant, key } = await createTenantWithKey("lease-race");
    const t = Date.now() - 2 * TTL;
    const leases: Array<{ id: string; charge: QuotaCharge }> = [];
    for (let i = 0; i < 40; i++) leases.push(await admitted(tenant.id, key.id, t));
    await Promise.all([
      ...leases.map((l) => recordRequest(event(tenant.id, key.id, l.id, t), l.charge)),
      sweepOrphans(shardOf(tenant.id), { now: t + TTL + 1 }),
      sweepOrphans(shardOf(tenant.id), { now: t + TTL + 1 }),
    ]);
    await flushOnce();
    const rows = await db.requestLog.findMany({ where: { tenantId: tenant.id } });
    expect(rows).toHaveLength(40);
    const orphaned = rows.filter((r) => r.flags.includes("orphaned")).length;
    expect(await totalCost(key.id)).toBe(orphaned * 3000 + (40 - orphaned) * STREAM_BASIC_COST_MICROS);
  });

  it("a repeated record (a retried write that had succeeded) adds nothing twice", async () => {
    const { tenant, key } = await createTenantWithKey("lease-dup");
    const t = Date.now();
    const { id, charge } = await admitted(tenant.id, key.id, t);
    await recordRequest(event(tenant.id, key.id, id, t), charge);
    await recordRequest(event(tenant.id, key.id, id, t), charge);
    expect(await totalCost(key.id)).toBe(STREAM_BASIC_COST_MICROS);
    const pending = await redis.hgetall(`${process.env.REDIS_PREFIX}{s${shardOf(tenant.id)}}:t:${tenant.id}:pending`);
    expect(Object.entries(pending).find(([f]) => f.endsWith("\trequests"))?.[1]).toBe("1");
    await flushOnce();
    expect(await db.requestLog.count({ where: { tenantId: tenant.id } })).toBe(1);
  });

  it("the heartbeat keeps a lease past its TTL and reports leases that are gone", async () => {
    const { tenant, key } = await createTenantWithKey("lease-beat");
    const t = Date.now();
    const { id, charge } = await admitted(tenant.id, key.id, t);
    const lost: string[] = [];
    const beat = new LeaseHeartbeat({ now: () => t + 10_000, ttlMs: TTL, onLost: (ids) => lost.push(...ids) });
    beat.track(charge);
    await beat.beat(); // renewed to t + 25 s
    expect(await sweepOrphans(shardOf(tenant.id), { now: t + TTL + 1 })).toMatchObject({ orphaned: 0 });
    expect(await sweepOrphans(shardOf(tenant.id), { now: t + 25_001 })).toMatchObject({ orphaned: 1 });
    await beat.beat();
    expect(lost).toEqual([id]);
    beat.stop();
  });
});
