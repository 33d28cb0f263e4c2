/**
 * One cost function, one number: the dashboard, the public lookup, both CSV exports and the request
 * log give the same cost for the same usage, equal to the pricing module's cost of each request.
 */
import { randomUUID } from "node:crypto";
import type { Session } from "next-auth";
import { afterAll, describe, expect, it } from "vitest";
import { flushOnce, recordRequest, type RequestEvent } from "~/ledger";
import { NO_MODIFIERS, priceRequest } from "~/pricing/request";
import { lookupKeyUsage } from "~/server/api/lib/key-lookup";
import { createCaller } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";
import { db } from "~/infra/db";
import { exportRequestLog, exportUsage } from "~/server/export/csv";
import { redis } from "~/infra/redis";
import { createTenantWithKey } from "../helpers/fixtures-db";

afterAll(async () => {
  await db.$disconnect();
  redis.disconnect();
});

/** Sums one column of a CSV body (no quoted commas in the numeric columns). */
function sumColumn(csv: string, column: string): number {
  const lines = csv.trim().split(/\r?\n/);
  const header = lines[0]!.split(",");
  const at = header.indexOf(column);
  expect(at, `column ${column}`).toBeGreaterThanOrEqual(0);
  return lines.slice(1).reduce((s, l) => s + Number(l.split(",")[at]), 0);
}

describe("the same cost on every surface", () => {
  it("dashboard = lookup = usage CSV = request-log CSV = request log = Σ priceRequest, modified requests included", async () => {
    const { tenant, key } = await createTenantWithKey("costs");
    const owner = await db.user.create({ data: { email: `o-${randomUUID()}@example.com`, passwordHash: "x" } });
    await db.membership.create({ data: { userId: owner.id, tenantId: tenant.id, role: "OWNER" } });
    const session: Session = { user: { id: owner.id, email: owner.email }, expires: new Date(Date.now() + 3_600_000).toISOString() };

    const usages: Array<Pick<RequestEvent, "model" | "usage" | "provider" | "billing" | "requestedModel">> = [
      // Served by another model than requested, fast, in the US, with web searches: priced as reported.
      {
        model: "claude-opus-4-5",
        requestedModel: "claude-sonnet-4-5",
        provider: "ANTHROPIC",
        usage: { input: 1200, output: 300, cacheWrite5m: 0, cacheWrite1h: 2048, cacheRead: 4096 },
        billing: { speed: "fast", inferenceGeo: "us", serviceTier: "priority", webSearchRequests: 3, webFetchRequests: 1 },
      },
      { model: "gpt-5", provider: "OPENAI", usage: { input: 388, output: 35, cacheWrite5m: 300, cacheWrite1h: 0, cacheRead: 512 }, billing: { ...NO_MODIFIERS, serviceTier: "flex" } },
      { model: "claude-sonnet-4-5-20250929", provider: "ANTHROPIC", usage: { input: 472, output: 89, cacheWrite5m: 1024, cacheWrite1h: 1024, cacheRead: 10240 } },
      { model: "claude-haiku-4-5", provider: "ANTHROPIC", usage: { input: 7, output: 3, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 13 } },
      { model: "gpt-4o-2024-08-06", provider: "OPENAI", usage: { input: 176, output: 35, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 1024 } },
      { model: "gpt-4.1-nano", provider: "OPENAI", usage: { input: 1, output: 1, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 1 } },
      { model: "unpriced-model-x", provider: "OPENAI", usage: { input: 100, output: 100, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 } },
    ];
    let expected = 0;
    for (let i = 0; i < 21; i++) {
      const u = usages[i % usages.length]!;
      const startedAt = Date.now();
      expected += priceRequest({ provider: u.provider, model: u.model, at: startedAt, usage: u.usage, modifiers: u.billing ?? NO_MODIFIERS }).costMicros;
      await recordRequest({
        ...u, id: randomUUID(), apiKeyId: key.id, tenantId: tenant.id, endpoint: "/v1/messages", stream: i % 2 === 0,
        status: 200, usageSource: "UPSTREAM", startedAt, latencyMs: 10, ttfbMs: 2, clientIp: null, userAgent: null, error: null,
      });
    }
    await flushOnce();

    const caller = createCaller(createTRPCContext({ headers: new Headers(), session }));
    const dashboard = await caller.usage.overview({ tenantId: tenant.id, range: { kind: "30d" } });
    const lookup = await lookupKeyUsage(key.id);
    const usageCsv = await (await exportUsage(new Request(`http://x/api/export/${tenant.id}/usage?days=30`), tenant.id, session)).text();
    const logCsv = await (await exportRequestLog(new Request(`http://x/api/export/${tenant.id}/requests?keyId=${key.id}`), tenant.id, session)).text();
    const logSum = await db.requestLog.aggregate({ where: { apiKeyId: key.id }, _sum: { costMicros: true } });

    expect({
      dashboard: dashboard.totals.costMicros,
      lookup: lookup.totals.costMicros,
      usageCsv: sumColumn(usageCsv, "cost_micros"),
      requestLogCsv: sumColumn(logCsv, "cost_micros"),
      requestLog: Number(logSum._sum.costMicros),
    }).toEqual({ dashboard: expected, lookup: expected, usageCsv: expected, requestLogCsv: expected, requestLog: expected });
  });
});
