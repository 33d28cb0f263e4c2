import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { flushOnce, purgeRequestLogs, reconcile, recordRequest, reprice, type RequestEvent } from "~/ledger";
import { priceTable } from "~/pricing";
import { db } from "~/infra/db";
import { redis } from "~/infra/redis";
import { toPriceOverrides } from "~/keys/server";
import { createTenantWithKey } from "../helpers/fixtures-db";

function event(tenantId: string, apiKeyId: string, startedAt = Date.now()): RequestEvent {
  return {
    id: randomUUID(), apiKeyId, tenantId, model: "claude-sonnet-4-5", provider: "ANTHROPIC", endpoint: "/v1/messages",
    stream: false, status: 200, usage: { input: 472, output: 89, cacheWrite5m: 1024, cacheWrite1h: 1024, cacheRead: 10240 },
    usageSource: "UPSTREAM", startedAt, latencyMs: 4, ttfbMs: 1, clientIp: null, userAgent: null, error: null,
  };
}

const mine = (r: { differences: Array<{ apiKeyId: string }> }, apiKeyId: string) => r.differences.filter((d) => d.apiKeyId === apiKeyId);
const window = () => [new Date(Date.now() - 2 * 3_600_000), new Date(Date.now() + 3_600_000)] as const;

afterAll(async () => {
  await db.$disconnect();
  redis.disconnect();
});

describe("ledger maintenance", () => {
  it("reconciles Redis, the request log and the rollups, and reports a tampered rollup", async () => {
    await flushOnce();
    const { tenant, key } = await createTenantWithKey("recon");
    for (let i = 0; i < 5; i++) await recordRequest(event(tenant.id, key.id));
    const before = await reconcile(...window());
    expect(mine(before, key.id)).toEqual([]);
    expect(before.unflushedEvents.requests).toBeGreaterThanOrEqual(5);
    await flushOnce();
    const after = await reconcile(...window());
    expect(mine(after, key.id)).toEqual([]);
    await db.usageHourly.updateMany({ where: { apiKeyId: key.id }, data: { costMicros: { increment: 1 } } });
    const tampered = await reconcile(...window());
    expect(mine(tampered, key.id)).toHaveLength(1);
    expect(mine(tampered, key.id)[0]).toMatchObject({ apiKeyId: key.id, what: "requestLog vs rollups" });
    await db.usageHourly.updateMany({ where: { apiKeyId: key.id }, data: { costMicros: { decrement: 1 } } });
  });

  // Scoped to the test's tenant: doubled prices over a window around now must not reach the
  // requests other test files record at the same time.
  it("reprices logs and rollups after a price change, with a dry run first", async () => {
    const { tenant, key } = await createTenantWithKey("reprice");
    for (let i = 0; i < 3; i++) await recordRequest({ ...event(tenant.id, key.id), endUserId: "alice", sessionId: "s-1" });
    await flushOnce();
    const base = priceTable.models["claude-sonnet-4-5"]!;
    const doubled = { "claude-sonnet-4-5": { ...base, output: base.output * 2 } }; // +89×15 µ$ per request
    const dry = await reprice(...window(), { dryRun: true, overrides: doubled, tenantId: tenant.id });
    expect(dry.requestsRepriced).toBeGreaterThanOrEqual(3);
    const unchanged = await db.usageHourly.findMany({ where: { apiKeyId: key.id } });
    expect(unchanged.reduce((s, r) => s + Number(r.costMicros), 0)).toBe(3 * 15807);
    await reprice(...window(), { dryRun: false, overrides: doubled, tenantId: tenant.id });
    const rows = await db.usageHourly.findMany({ where: { apiKeyId: key.id } });
    expect(rows.reduce((s, r) => s + Number(r.costMicros), 0)).toBe(3 * (15807 + 1335));
    const logs = await db.requestLog.findMany({ where: { apiKeyId: key.id } });
    expect(logs.every((l) => Number(l.costMicros) === 15807 + 1335)).toBe(true);
    // The People and Session rollups follow.
    const people = await db.usageUserDaily.findMany({ where: { apiKeyId: key.id } });
    expect(people.reduce((s, r) => s + Number(r.costMicros), 0)).toBe(3 * (15807 + 1335));
    expect(Number((await db.usageSession.findFirstOrThrow({ where: { apiKeyId: key.id, sessionId: "s-1" } })).costMicros)).toBe(3 * (15807 + 1335));
    expect(mine(await reconcile(...window()), key.id)).toEqual([]);
    await reprice(...window(), { dryRun: false, tenantId: tenant.id }); // back to the shipped table
  });

  it("deletes old request logs in batches and keeps the rollups", async () => {
    const { tenant, key } = await createTenantWithKey("retention");
    const old = Date.now() - 100 * 86_400_000;
    for (let i = 0; i < 7; i++) await recordRequest(event(tenant.id, key.id, old));
    await recordRequest(event(tenant.id, key.id));
    await flushOnce();
    const deleted = await purgeRequestLogs(90, db, 3);
    expect(deleted).toBeGreaterThanOrEqual(7);
    expect(await db.requestLog.count({ where: { apiKeyId: key.id } })).toBe(1);
    const rollups = await db.usageHourly.findMany({ where: { apiKeyId: key.id } });
    expect(rollups.reduce((s, r) => s + Number(r.requests), 0)).toBe(8);
  });

  it("prices a tenant's requests with its own override, at record time and when repricing", async () => {
    const { tenant, key } = await createTenantWithKey("override");
    const base = priceTable.models["claude-sonnet-4-5"]!;
    await db.priceOverride.create({
      data: { tenantId: tenant.id, model: "claude-sonnet-4-5", input: base.input, output: 0, cacheWrite5m: base.cacheWrite5m, cacheWrite1h: base.cacheWrite1h, cacheRead: base.cacheRead },
    });
    const overrides = toPriceOverrides(await db.priceOverride.findMany({ where: { tenantId: tenant.id } }));
    const r = await recordRequest(event(tenant.id, key.id), null, { priceOverrides: overrides });
    expect(r.costMicros).toBe(15807 - 1335); // output free for this tenant
    await flushOnce();
    const report = await reprice(...window(), { dryRun: false, tenantId: tenant.id });
    const rows = await db.usageHourly.findMany({ where: { apiKeyId: key.id } });
    expect(rows.reduce((s, x) => s + Number(x.costMicros), 0)).toBe(15807 - 1335);
    expect(report.dryRun).toBe(false);
  });
});
