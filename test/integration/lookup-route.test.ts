/** GET /api/lookup: validation, the shared answer shape, and the per-IP fixed-window limit. */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET } from "~/app/api/lookup/route";
import { resetEnvCache } from "~/infra/env";
import { db } from "~/infra/db";
import { redis } from "~/infra/redis";
import { createTenantWithKey } from "../helpers/fixtures-db";

function get(query: string, ip: string): Promise<Response> {
  return GET(new Request(`http://localhost/api/lookup${query}`, { headers: { "x-forwarded-for": ip } }));
}

beforeAll(() => {
  process.env.LOOKUP_RATE_LIMIT_PER_MINUTE = "3";
  resetEnvCache();
});

afterAll(async () => {
  delete process.env.LOOKUP_RATE_LIMIT_PER_MINUTE;
  resetEnvCache();
  await db.$disconnect();
  redis.disconnect();
});

describe("GET /api/lookup", () => {
  it("refuses an id that is not a UUID with 400", async () => {
    const res = await get("?id=not-a-uuid", "198.51.100.1");
    expect(res.status).toBe(400);
    expect(await res.json()).toHaveProperty("error");
  });

  it("answers an unknown API ID with the full shape and zeros", async () => {
    const id = randomUUID();
    const res = await get(`?id=${id}`, "198.51.100.2");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = (await res.json()) as { apiId: string; totals: Record<string, unknown>; models: unknown[] };
    expect(body.apiId).toBe(id);
    expect(body.models).toEqual([]);
    expect(body.totals).toMatchObject({ requests: 0, costMicros: 0, costUsd: "0.000000" });
    expect(body).toMatchObject({ found: false, limits: [], expiresAt: null });
  });

  it("answers a revoked API ID exactly like an unknown one (found: false); a live key is found", async () => {
    const { key } = await createTenantWithKey("lookup-revoked");
    await db.apiKey.update({
      where: { id: key.id },
      data: { dailyCostMicros: 5_000_000n, expiresAt: new Date("2031-01-01T00:00:00Z") },
    });
    const live = await get(`?id=${key.id}`, "198.51.100.3");
    expect(((await live.json()) as { found: boolean }).found).toBe(true);
    await db.apiKey.update({ where: { id: key.id }, data: { revokedAt: new Date() } });
    const unknownId = randomUUID();
    const [revoked, unknown] = await Promise.all([get(`?id=${key.id}`, "198.51.100.4"), get(`?id=${unknownId}`, "198.51.100.5")]);
    expect([revoked.status, [...revoked.headers.keys()]]).toEqual([unknown.status, [...unknown.headers.keys()]]);
    const normalized = async (res: Response, id: string) => {
      const body = (await res.json()) as Record<string, unknown>;
      expect(body.apiId).toBe(id);
      return JSON.stringify({ ...body, apiId: "", asOf: "" });
    };
    expect(await normalized(revoked, key.id)).toBe(await normalized(unknown, unknownId));
  });

  it("limits each client IP per minute and says when to retry", async () => {
    const ip = `198.51.100.${10 + Math.floor(Math.random() * 200)}`;
    // Fixed windows are minute-aligned: don't start right before a boundary.
    const msLeft = 60_000 - (Date.now() % 60_000);
    if (msLeft < 2_000) await new Promise((r) => setTimeout(r, msLeft + 50));
    for (let i = 0; i < 3; i++) expect((await get(`?id=${randomUUID()}`, ip)).status).toBe(200);
    const limited = await get(`?id=${randomUUID()}`, ip);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    // Another address is not affected.
    expect((await get(`?id=${randomUUID()}`, "198.51.100.250")).status).toBe(200);
  });
});
