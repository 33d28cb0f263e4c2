/** CSV exports: session and tenant membership required; rows and costs equal what the pages show. */
import { randomUUID } from "node:crypto";
import type { Session } from "next-auth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";
import { db } from "~/infra/db";
import { exportRequestLog, exportUsage } from "~/server/export/csv";
import { redis } from "~/infra/redis";
import { parseCsvRows } from "../helpers/cost-surfaces";
import { createTenantWithKey } from "../helpers/fixtures-db";

function sessionOf(user: { id: string; email: string }): Session {
  return { user, expires: new Date(Date.now() + 3_600_000).toISOString() };
}

let tenantId: string;
let keyId: string;
let viewer: Session;
let outsider: Session;

beforeAll(async () => {
  const { tenant, key } = await createTenantWithKey("csv");
  tenantId = tenant.id;
  keyId = key.id;
  const v = await db.user.create({ data: { email: `v-${randomUUID()}@example.com`, passwordHash: "x" }, select: { id: true, email: true } });
  await db.membership.create({ data: { userId: v.id, tenantId, role: "VIEWER" } });
  viewer = sessionOf(v);
  const other = await createTenantWithKey("csv-other");
  const o = await db.user.create({ data: { email: `o-${randomUUID()}@example.com`, passwordHash: "x" }, select: { id: true, email: true } });
  await db.membership.create({ data: { userId: o.id, tenantId: other.tenant.id, role: "OWNER" } });
  outsider = sessionOf(o);
  const now = Date.now();
  await db.requestLog.createMany({
    data: Array.from({ length: 1203 }, (_, i) => ({
      id: `csv-${keyId}-${String(i).padStart(5, "0")}`,
      apiKeyId: keyId,
      tenantId,
      createdAt: new Date(now - i * 1000),
      model: "claude-sonnet-4-5",
      provider: "ANTHROPIC" as const,
      endpoint: "/v1/messages",
      stream: true,
      status: i === 0 ? 500 : 200,
      inputTokens: 10,
      outputTokens: 5,
      costMicros: 1234n,
      latencyMs: 100,
      error: i === 0 ? 'upstream said "no", twice' : null,
    })),
  });
  const hourStart = new Date(Math.floor(now / 3_600_000) * 3_600_000);
  await db.usageHourly.create({
    data: { apiKeyId: keyId, tenantId, model: "claude-sonnet-4-5", hourStart, requests: 3n, inputTokens: 30n, costMicros: 15_807n },
  });
});

afterAll(async () => {
  await db.$disconnect();
  redis.disconnect();
});

const url = (path: string) => new Request(`http://localhost/api/export/${tenantId}/${path}`);


describe("request log CSV", () => {
  it("refuses a signed-out caller, another tenant's member, and another tenant's key", async () => {
    expect((await exportRequestLog(url(`requests?keyId=${keyId}`), tenantId, null)).status).toBe(401);
    expect((await exportRequestLog(url(`requests?keyId=${keyId}`), tenantId, outsider)).status).toBe(403);
    const foreign = await createTenantWithKey("csv-foreign");
    expect((await exportRequestLog(url(`requests?keyId=${foreign.key.id}`), tenantId, viewer)).status).toBe(404);
    expect((await exportRequestLog(url("requests?keyId=nope"), tenantId, viewer)).status).toBe(400);
  });

  it("streams every row (past one page) with the same costs as the request log procedure", async () => {
    const res = await exportRequestLog(url(`requests?keyId=${keyId}`), tenantId, viewer);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/csv");
    expect(res.headers.get("content-disposition")).toContain("attachment");
    const rows = parseCsvRows(await res.text());
    const [header, ...data] = rows;
    expect(header?.[0]).toBe("time");
    expect(data).toHaveLength(1203);
    const col = (name: string) => header!.indexOf(name);
    expect(data[0]![col("status")]).toBe("500");
    expect(data[0]![col("error")]).toBe('upstream said "no", twice');
    expect(data[0]![col("cost_micros")]).toBe("1234");
    expect(data[0]![col("cost_usd")]).toBe("0.001234");
    const caller = createCaller(createTRPCContext({ headers: new Headers(), session: viewer }));
    const page = await caller.apiKey.requestLog({ tenantId, keyId, limit: 5 });
    expect(data.slice(0, 5).map((r) => [r[col("request_id")], Number(r[col("cost_micros")])])).toEqual(
      page.rows.map((r) => [r.id, r.costMicros]),
    );
  });

  it("applies the status filter", async () => {
    const res = await exportRequestLog(url(`requests?keyId=${keyId}&statusClass=5xx`), tenantId, viewer);
    expect(parseCsvRows(await res.text())).toHaveLength(2);
  });
});

describe("usage CSV", () => {
  it("refuses a signed-out caller and another tenant's member", async () => {
    expect((await exportUsage(url("usage"), tenantId, null)).status).toBe(401);
    expect((await exportUsage(url("usage"), tenantId, outsider)).status).toBe(403);
  });

  it("has one row per day and model, costs equal to the usage procedure", async () => {
    const res = await exportUsage(url(`usage?keyId=${keyId}&days=7`), tenantId, viewer);
    expect(res.status).toBe(200);
    const [header, ...data] = parseCsvRows(await res.text());
    expect(data).toHaveLength(1);
    const row = Object.fromEntries(header!.map((h, i) => [h, data[0]![i]]));
    expect(row).toMatchObject({ model: "claude-sonnet-4-5", requests: "3", cost_micros: "15807", cost_usd: "0.015807" });
    const caller = createCaller(createTRPCContext({ headers: new Headers(), session: viewer }));
    const usage = await caller.apiKey.usage({ tenantId, keyId, days: 7 });
    expect(usage.totals.costMicros).toBe(15_807);
    const tenantWide = parseCsvRows(await (await exportUsage(url("usage?days=7"), tenantId, viewer)).text());
    expect(tenantWide).toHaveLength(2);
  });
});
