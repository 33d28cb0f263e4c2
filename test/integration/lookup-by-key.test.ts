/** POST /api/lookup {key}: the same answer as GET by API ID, found by the secret; limits with live use. */
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { GET, POST } from "~/app/api/lookup/route";
import { generateApiKey } from "~/keys";
import { admit } from "~/ledger";
import { db } from "~/infra/db";
import { loadKeyLimits } from "~/keys/server";
import { redis } from "~/infra/redis";
import { commitEvents } from "~/ledger/flush";
import { toStoredEvent } from "~/ledger/record";
import { requestEvent } from "../helpers/events";
import { createTenantWithKey } from "../helpers/fixtures-db";

const ip = () => `192.0.2.${1 + Math.floor(Math.random() * 250)}`;

function post(body: unknown): Promise<Response> {
  return POST(
    new Request("http://localhost/api/lookup", {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": ip() },
      body: JSON.stringify(body),
    }),
  );
}

afterAll(async () => {
  await db.$disconnect();
  redis.disconnect();
});

describe("POST /api/lookup", () => {
  it("finds the key by its secret and answers exactly like GET by API ID, limits included", async () => {
    const { tenant, key, secret } = await createTenantWithKey("bykey");
    await db.apiKey.update({
      where: { id: key.id },
      data: { rateWindowMinutes: 1, rateMaxRequests: 1, dailyCostMicros: 2_500_000n, expiresAt: new Date("2031-01-01T00:00:00Z") },
    });
    const hourStart = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
    await db.usageHourly.create({
      data: { apiKeyId: key.id, tenantId: tenant.id, model: "claude-sonnet-4-5", hourStart, requests: 2n, costMicros: 777n },
    });
    const limits = await loadKeyLimits(key.id);
    if (!limits) throw new Error("no key");
    expect((await admit(limits, `r-${randomUUID()}`, 0)).ok).toBe(true);

    const res = await post({ key: secret });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown> & {
      apiId: string;
      limits: { name: string; used: number; max: number; resetsInSec: number | null; maxUsd?: string }[];
      today: { totals: { costMicros: number }; models: { model: string }[] };
      thisMonth: { totals: { costMicros: number } };
      expiresAt: string;
    };
    expect(body.apiId).toBe(key.id);
    expect(body.expiresAt).toBe("2031-01-01T00:00:00.000Z");
    expect(body.today.totals.costMicros).toBe(777);
    expect(body.thisMonth.totals.costMicros).toBe(777);
    expect(body.today.models.map((m) => m.model)).toEqual(["claude-sonnet-4-5"]);
    const rate = body.limits.find((l) => l.name === "rate_requests");
    expect(rate).toMatchObject({ used: 1, max: 1 });
    expect(rate?.resetsInSec).toBeGreaterThan(0);
    expect(body.limits.find((l) => l.name === "cost_daily")).toMatchObject({ max: 2_500_000, used: 777, maxUsd: "2.500000" });

    const viaGet = (await (
      await GET(new Request(`http://localhost/api/lookup?id=${key.id}`, { headers: { "x-forwarded-for": ip() } }))
    ).json()) as Record<string, unknown>;
    // The same answer, except that only the holder of the secret sees the key's people and sessions.
    expect(viaGet.attribution).toBeUndefined();
    expect(body.attribution).toEqual({ from: expect.any(String), people: [], sessions: [] });
    const strip = (o: Record<string, unknown>) => ({ ...o, asOf: "", limits: "", attribution: undefined });
    expect(strip(viaGet)).toEqual(strip(body));
  });

  it("answers an unknown or revoked key with the same empty shape and a null apiId", async () => {
    const unknown = (await (await post({ key: generateApiKey().secret })).json()) as Record<string, unknown>;
    const { key, secret } = await createTenantWithKey("revoked");
    await db.apiKey.update({ where: { id: key.id }, data: { revokedAt: new Date() } });
    const revoked = (await (await post({ key: secret })).json()) as Record<string, unknown>;
    expect(unknown.apiId).toBeNull();
    expect({ ...revoked, asOf: "" }).toEqual({ ...unknown, asOf: "" });
    expect(revoked.limits).toEqual([]);
    expect(revoked.found).toBe(false);
    expect(revoked.attribution).toBeNull();
    expect(Object.keys(revoked).sort()).toEqual(
      ["apiId", "asOf", "attribution", "expiresAt", "found", "limits", "models", "thisMonth", "timeZone", "today", "totals"].sort(),
    );
  });

  it("gives the key holder the key's people and sessions, narrowed by endUserId / sessionId", async () => {
    const { tenant, key, secret } = await createTenantWithKey("bykey-people");
    const other = await createTenantWithKey("bykey-people-other");
    const now = Date.now();
    const events = [
      requestEvent(tenant.id, key.id, { endUserId: "alice", sessionId: "s-1", startedAt: now - 5000 }),
      requestEvent(tenant.id, key.id, { endUserId: "alice", sessionId: "s-1", startedAt: now - 4000 }),
      requestEvent(tenant.id, key.id, { endUserId: "bob", sessionId: "s-2", startedAt: now - 3000 }),
      // Another tenant's alice is not this key's alice.
      requestEvent(other.tenant.id, other.key.id, { endUserId: "alice", sessionId: "s-1", startedAt: now - 3000 }),
    ];
    await commitEvents(db, events.map((e) => toStoredEvent(e)), 0);
    type Attribution = { people: Array<{ endUserId: string; requests: number; costUsd: string }>; sessions: Array<{ sessionId: string; requests: number; durationMs: number }> };
    const all = ((await (await post({ key: secret })).json()) as { attribution: Attribution }).attribution;
    expect(all.people.map((p) => [p.endUserId, p.requests, p.costUsd])).toEqual([
      ["alice", 2, "0.031614"],
      ["bob", 1, "0.015807"],
    ]);
    expect(all.sessions.map((s) => [s.sessionId, s.requests, s.durationMs])).toEqual([
      ["s-2", 1, 120],
      ["s-1", 2, 1120],
    ]);
    const bob = ((await (await post({ key: secret, endUserId: "bob" })).json()) as { attribution: Attribution }).attribution;
    expect(bob.people.map((p) => p.endUserId)).toEqual(["bob"]);
    expect(bob.sessions.map((s) => s.sessionId)).toEqual(["s-2"]);
    const one = ((await (await post({ key: secret, sessionId: "s-1" })).json()) as { attribution: Attribution }).attribution;
    expect(one.sessions.map((s) => s.sessionId)).toEqual(["s-1"]);
    expect((await post({ key: secret, endUserId: "not valid" })).status).toBe(400);
  });

  it("refuses a body without a Metergate key with 400", async () => {
    expect((await post({ key: "sk-not-ours" })).status).toBe(400);
    expect((await post({})).status).toBe(400);
    const raw = await POST(new Request("http://localhost/api/lookup", { method: "POST", body: "not json" }));
    expect(raw.status).toBe(400);
  });
});
