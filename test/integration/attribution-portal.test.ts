/**
 * People and Sessions in the portal's procedures and CSVs: members only, scoped to their tenant
 * (a key of another tenant is "not found"), the request log filters by end user and session, and
 * the CSVs show the same rows and numbers as the views.
 */
import { randomUUID } from "node:crypto";
import type { Session } from "next-auth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitEvents } from "~/ledger/flush";
import { toStoredEvent } from "~/ledger/record";
import { createCaller } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";
import { db } from "~/infra/db";
import { exportRequestLog, exportUsage } from "~/server/export/csv";
import { redis } from "~/infra/redis";
import { parseCsvRows } from "../helpers/cost-surfaces";
import { requestEvent, STREAM_BASIC_COST_MICROS as COST } from "../helpers/events";
import { createTenantWithKey } from "../helpers/fixtures-db";

const sessionOf = (user: { id: string; email: string }): Session => ({ user, expires: new Date(Date.now() + 3_600_000).toISOString() });
const caller = (s: Session) => createCaller(createTRPCContext({ headers: new Headers(), session: s }));

let tenantId: string;
let keyId: string;
let otherKeyId: string;
let viewer: Session;
let outsider: Session;

beforeAll(async () => {
  const a = await createTenantWithKey("people-portal");
  const b = await createTenantWithKey("people-portal-other");
  tenantId = a.tenant.id;
  keyId = a.key.id;
  otherKeyId = b.key.id;
  const v = await db.user.create({ data: { email: `v-${randomUUID()}@example.com`, passwordHash: "x" }, select: { id: true, email: true } });
  await db.membership.create({ data: { userId: v.id, tenantId, role: "VIEWER" } });
  viewer = sessionOf(v);
  const o = await db.user.create({ data: { email: `o-${randomUUID()}@example.com`, passwordHash: "x" }, select: { id: true, email: true } });
  await db.membership.create({ data: { userId: o.id, tenantId: b.tenant.id, role: "OWNER" } });
  outsider = sessionOf(o);
  const now = Date.now() - 60_000;
  const events = [
    ...Array.from({ length: 3 }, (_, i) => requestEvent(tenantId, keyId, { endUserId: "alice@example.com", sessionId: "sess-a", startedAt: now + i * 1000 })),
    requestEvent(tenantId, keyId, { endUserId: "bob", sessionId: "sess-b", startedAt: now + 5000 }),
    requestEvent(tenantId, keyId, { startedAt: now + 6000 }),
    requestEvent(b.tenant.id, otherKeyId, { endUserId: "alice@example.com", sessionId: "sess-a", startedAt: now }),
  ];
  await commitEvents(db, events.map((e) => toStoredEvent(e)), 0);
});

afterAll(async () => {
  await db.$disconnect();
  redis.disconnect();
});

describe("people procedures", () => {
  it("a viewer sees the tenant's people and sessions; an outsider is refused", async () => {
    const people = await caller(viewer).people.list({ tenantId, days: 7 });
    expect(people.people.map((p) => [p.endUserId, p.kind, p.requests, p.costMicros])).toEqual([
      ["alice@example.com", "named", 3, 3 * COST],
      ["", "none", 1, COST],
      ["bob", "named", 1, COST],
    ]);
    const sessions = await caller(viewer).people.sessions({ tenantId, days: 7 });
    expect(sessions.sessions.map((s) => [s.sessionId, s.keyName, s.requests, s.durationMs])).toEqual([
      ["sess-b", "people-portal-key", 1, 120],
      ["sess-a", "people-portal-key", 3, 2120],
    ]);
    expect((await caller(viewer).people.sessions({ tenantId, days: 7, endUserId: "bob" })).sessions.map((s) => s.sessionId)).toEqual(["sess-b"]);
    await expect(caller(outsider).people.list({ tenantId, days: 7 })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(caller(outsider).people.sessions({ tenantId, days: 7 })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("a key of another tenant is not found; bad filters and cursors are refused", async () => {
    await expect(caller(viewer).people.list({ tenantId, keyId: otherKeyId, days: 7 })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(caller(viewer).people.sessions({ tenantId, keyId: otherKeyId, days: 7 })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(caller(viewer).people.sessions({ tenantId, days: 7, endUserId: "a b" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(caller(viewer).people.sessions({ tenantId, days: 7, cursor: "nonsense" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("the request log filters by end user and by session", async () => {
    const byUser = await caller(viewer).apiKey.requestLog({ tenantId, keyId, filter: { endUserId: "alice@example.com" } });
    expect(byUser.rows).toHaveLength(3);
    expect(byUser.rows.every((r) => r.endUserId === "alice@example.com" && r.sessionId === "sess-a")).toBe(true);
    const bySession = await caller(viewer).apiKey.requestLog({ tenantId, keyId, filter: { sessionId: "sess-b" } });
    expect(bySession.rows.map((r) => r.endUserId)).toEqual(["bob"]);
  });
});

describe("CSV", () => {
  const get = (path: string) => new Request(`http://localhost${path}`);

  it("usage by=user and by=session: the views' rows and numbers", async () => {
    const people = parseCsvRows(await (await exportUsage(get(`/api/export/${tenantId}/usage?by=user&days=7`), tenantId, viewer)).text());
    expect(people[0]).toEqual(expect.arrayContaining(["end_user_id", "kind", "requests", "cost_micros", "cost_usd"]));
    const col = (name: string) => people[0]!.indexOf(name);
    expect(people.slice(1).map((r) => [r[col("end_user_id")], r[col("requests")], r[col("cost_usd")]])).toEqual([
      ["alice@example.com", "3", "0.047421"],
      ["", "1", "0.015807"],
      ["bob", "1", "0.015807"],
    ]);
    const sessions = parseCsvRows(await (await exportUsage(get(`/api/export/${tenantId}/usage?by=session&days=7&endUserId=alice%40example.com`), tenantId, viewer)).text());
    const s = (name: string) => sessions[0]!.indexOf(name);
    expect(sessions.slice(1).map((r) => [r[s("session_id")], r[s("requests")], r[s("duration_ms")], r[s("key_id")]])).toEqual([["sess-a", "3", "2120", keyId]]);
    expect((await exportUsage(get(`/api/export/${tenantId}/usage?by=user`), tenantId, outsider)).status).toBe(403);
    expect((await exportUsage(get(`/api/export/${tenantId}/usage?by=user&keyId=${otherKeyId}`), tenantId, viewer)).status).toBe(404);
    expect((await exportUsage(get(`/api/export/${tenantId}/usage?by=session&endUserId=${encodeURIComponent("x y")}`), tenantId, viewer)).status).toBe(400);
  });

  it("request log: end_user_id and session_id columns, and the same filters", async () => {
    const rows = parseCsvRows(await (await exportRequestLog(get(`/api/export/${tenantId}/requests?keyId=${keyId}&sessionId=sess-b`), tenantId, viewer)).text());
    const c = (name: string) => rows[0]!.indexOf(name);
    expect(rows.slice(1).map((r) => [r[c("end_user_id")], r[c("session_id")]])).toEqual([["bob", "sess-b"]]);
  });
});
