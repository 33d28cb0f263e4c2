/**
 * End user and session through the ledger: recorded on the event, carried through Redis into the
 * request log, and added to the People and Session rollups in the flush statement exactly once
 * (a crash between commit and ack adds nothing twice); caps bucket the overflow; tenants never mix.
 */
import { afterAll, describe, expect, it } from "vitest";
import { flushOnce, OTHER_BUCKET, PEOPLE_PER_KEY_DAY, peopleUsage, recordRequest, sessionUsage, SESSIONS_PER_KEY_DAY } from "~/ledger";
import { commitEvents } from "~/ledger/flush";
import { toStoredEvent } from "~/ledger/record";
import { db } from "~/infra/db";
import { redis } from "~/infra/redis";
import { requestEvent, STREAM_BASIC_COST_MICROS as COST } from "../helpers/events";
import { createTenantWithKey } from "../helpers/fixtures-db";

afterAll(async () => {
  await db.$disconnect();
  redis.disconnect();
});

const DAY = 86_400_000;
const range = () => ({ from: new Date(Date.now() - DAY), to: new Date(Date.now() + DAY) });

describe("attribution in the ledger", () => {
  it("stores end user and session on the row and in both rollups, once", async () => {
    const { tenant, key } = await createTenantWithKey();
    const t0 = Date.now() - 60_000;
    const events = [
      requestEvent(tenant.id, key.id, { endUserId: "alice", sessionId: "s-a", startedAt: t0, latencyMs: 1000 }),
      requestEvent(tenant.id, key.id, { endUserId: "alice", sessionId: "s-a", startedAt: t0 + 10_000, latencyMs: 2000 }),
      requestEvent(tenant.id, key.id, { endUserId: "bob", sessionId: "s-b", startedAt: t0 + 5_000 }),
      requestEvent(tenant.id, key.id, { startedAt: t0 + 6_000 }),
    ];
    for (const e of events) await recordRequest(e);
    // A crash after the commit: the retried flush re-reads the events and must add nothing.
    await expect(flushOnce({ onStep: (s) => { if (s === "committed") throw new Error("crash"); } })).rejects.toThrow();
    await flushOnce();

    const logged = await db.requestLog.findMany({ where: { tenantId: tenant.id }, orderBy: { createdAt: "asc" } });
    expect(logged.map((r) => [r.endUserId, r.sessionId])).toEqual([
      ["alice", "s-a"],
      ["bob", "s-b"],
      [null, null],
      ["alice", "s-a"],
    ]);

    const people = await peopleUsage({ tenantId: tenant.id, ...range(), limit: 50 });
    expect(people.total).toBe(3);
    const byId = new Map(people.people.map((p) => [p.endUserId, p]));
    expect(byId.get("alice")).toMatchObject({ requests: 2, costMicros: 2 * COST, outputTokens: 2 * 89, keys: 1 });
    expect(byId.get("bob")).toMatchObject({ requests: 1, costMicros: COST });
    expect(byId.get("")).toMatchObject({ requests: 1, costMicros: COST });
    expect(byId.get("alice")!.lastSeenAt.getTime()).toBe(t0 + 12_000);

    const sessions = await sessionUsage({ tenantId: tenant.id, ...range(), limit: 50 });
    expect(sessions.sessions.map((s) => [s.sessionId, s.endUserId, s.requests, s.costMicros, s.durationMs])).toEqual([
      ["s-a", "alice", 2, 2 * COST, 12_000],
      ["s-b", "bob", 1, COST, 120],
    ]);
    // Filters: by key, by user.
    expect((await sessionUsage({ tenantId: tenant.id, endUserId: "bob", ...range(), limit: 50 })).sessions.map((s) => s.sessionId)).toEqual(["s-b"]);
    const page1 = await sessionUsage({ tenantId: tenant.id, apiKeyId: key.id, ...range(), limit: 1 });
    const page2 = await sessionUsage({ tenantId: tenant.id, apiKeyId: key.id, ...range(), limit: 1, cursor: page1.nextCursor });
    expect([...page1.sessions, ...page2.sessions].map((s) => s.sessionId)).toEqual(["s-a", "s-b"]);
    expect(page2.nextCursor).toBeNull();
  });

  it("keeps ids inside their tenant: the same id in two tenants is two people", async () => {
    const a = await createTenantWithKey();
    const b = await createTenantWithKey();
    await recordRequest(requestEvent(a.tenant.id, a.key.id, { endUserId: "shared", sessionId: "same" }));
    await recordRequest(requestEvent(b.tenant.id, b.key.id, { endUserId: "shared", sessionId: "same" }));
    await recordRequest(requestEvent(b.tenant.id, b.key.id, { endUserId: "shared", sessionId: "same" }));
    await flushOnce();
    expect((await peopleUsage({ tenantId: a.tenant.id, ...range(), limit: 10 })).people).toMatchObject([{ endUserId: "shared", requests: 1 }]);
    expect((await peopleUsage({ tenantId: b.tenant.id, ...range(), limit: 10 })).people).toMatchObject([{ endUserId: "shared", requests: 2 }]);
    // Asking for tenant A with tenant B's key finds nothing.
    expect((await sessionUsage({ tenantId: a.tenant.id, apiKeyId: b.key.id, ...range(), limit: 10 })).sessions).toEqual([]);
  });

  it("bounds cardinality: users and sessions past the per-key daily caps are counted in the overflow rows", async () => {
    const { tenant, key } = await createTenantWithKey();
    const at = Date.UTC(2026, 10, 20, 12);
    const n = SESSIONS_PER_KEY_DAY + 7;
    const stored = Array.from({ length: n }, (_, i) =>
      toStoredEvent(requestEvent(tenant.id, key.id, { startedAt: at + i, endUserId: `u${i % (PEOPLE_PER_KEY_DAY + 5)}`, sessionId: `s${i}` })),
    );
    // Two batches, so the cap is checked against rows already stored as well as within a batch.
    const half = Math.floor(n / 2);
    expect(await commitEvents(db, stored.slice(0, half), 0)).toBe(half);
    expect(await commitEvents(db, stored.slice(half), 0)).toBe(n - half);
    expect(await commitEvents(db, stored, 0)).toBe(0); // replayed: nothing twice

    const from = new Date(Date.UTC(2026, 10, 20));
    const to = new Date(Date.UTC(2026, 10, 21));
    const rows = await db.usageUserDaily.findMany({ where: { apiKeyId: key.id } });
    expect(rows.filter((r) => r.endUserId !== OTHER_BUCKET)).toHaveLength(PEOPLE_PER_KEY_DAY);
    const other = rows.find((r) => r.endUserId === OTHER_BUCKET);
    expect(other).toBeDefined();
    expect(rows.reduce((s, r) => s + Number(r.requests), 0)).toBe(n);
    expect(rows.reduce((s, r) => s + Number(r.costMicros), 0)).toBe(n * COST);

    const sessions = await db.usageSession.findMany({ where: { apiKeyId: key.id } });
    expect(sessions).toHaveLength(SESSIONS_PER_KEY_DAY + 1);
    const overflow = sessions.find((s) => s.sessionId === "(other:2026-11-20)");
    expect(Number(overflow?.requests)).toBe(7);
    expect(sessions.reduce((s, r) => s + Number(r.requests), 0)).toBe(n);
    // A session already kept goes on being counted on a later day, past that day's cap.
    expect(await commitEvents(db, [toStoredEvent(requestEvent(tenant.id, key.id, { startedAt: at + DAY, sessionId: "s0" }))], 0)).toBe(1);
    expect(Number((await db.usageSession.findUniqueOrThrow({ where: { apiKeyId_sessionId: { apiKeyId: key.id, sessionId: "s0" } } })).requests)).toBe(2);

    const people = await peopleUsage({ tenantId: tenant.id, from, to, limit: 5 });
    expect(people.total).toBe(PEOPLE_PER_KEY_DAY + 1);
    expect(people.people).toHaveLength(5);
  });
});
