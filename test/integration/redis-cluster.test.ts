/** The ledger and quota scripts on a real 3-node Redis Cluster: every script stays in one slot. */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admit, flushOnce, recordRequest, usageRows, type KeyLimits } from "~/ledger";
import { db } from "~/infra/db";
import { redis } from "~/infra/redis";
import { createTenantWithKey } from "../helpers/fixtures-db";
import { startLocalCluster, type LocalCluster } from "../helpers/redis-cluster";

let cluster: LocalCluster;

beforeAll(async () => {
  cluster = await startLocalCluster();
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  await db.$disconnect();
  redis.disconnect();
});

describe("Redis Cluster", () => {
  it("admits, records, shows live usage and flushes exactly across tenants on different nodes", async () => {
    const tenants = await Promise.all(Array.from({ length: 6 }, () => createTenantWithKey("cluster")));
    for (const { tenant, key } of tenants) {
      const limits: KeyLimits = {
        apiKeyId: key.id, tenantId: tenant.id, timeZone: "UTC", rateWindowMinutes: 1, rateMaxRequests: 5,
        rateMaxTokens: null, rateMaxCostMicros: null, maxConcurrency: 2, dailyCostMicros: 1_000_000,
        weeklyCostMicros: null, monthlyCostMicros: null, totalCostMicros: null, totalTokens: null,
        weeklyResetDay: 1, weeklyResetHour: 0, expiresAfterFirstUseDays: null, tenantMonthlyBudgetMicros: 5_000_000,
      };
      const admissions = await Promise.all(Array.from({ length: 10 }, () => admit(limits, randomUUID(), 100, { redis: cluster.client })));
      const ok = admissions.filter((a) => a.ok);
      expect(ok).toHaveLength(2); // concurrency 2
      for (const a of ok) {
        if (!a.ok) continue;
        await recordRequest(
          {
            id: a.charge.requestId, apiKeyId: key.id, tenantId: tenant.id, model: "claude-sonnet-4-5", provider: "ANTHROPIC",
            endpoint: "/v1/messages", stream: true, status: 200,
            usage: { input: 472, output: 89, cacheWrite5m: 1024, cacheWrite1h: 1024, cacheRead: 10240 },
            usageSource: "UPSTREAM", startedAt: Date.now(), latencyMs: 3, ttfbMs: 1, clientIp: null, userAgent: null, error: null,
          },
          a.charge,
          { redis: cluster.client },
        );
      }
    }
    const from = new Date(Date.now() - 3_600_000);
    const to = new Date(Date.now() + 3_600_000);
    for (const { tenant } of tenants) {
      const live = await usageRows({ tenantId: tenant.id, from, to }, { redis: cluster.client });
      expect(live.reduce((s, r) => s + r.requests, 0)).toBe(2);
    }
    const r = await flushOnce({ redis: cluster.client });
    expect(r.inserted).toBe(12);
    for (const { tenant } of tenants) {
      const rows = await db.usageHourly.findMany({ where: { tenantId: tenant.id } });
      expect(rows.reduce((s, x) => s + Number(x.costMicros), 0)).toBe(2 * 15807);
      const live = await usageRows({ tenantId: tenant.id, from, to }, { redis: cluster.client });
      expect(live.reduce((s, x) => s + x.requests, 0)).toBe(2);
    }
  }, 60_000);
});
