/**
 * The Sessions table sorted on the server: paging by the cursor through every order (each column
 * both ways) gives every session of the tenant exactly once and in order, ties broken by last
 * activity, key and session id in the sort's direction; a cursor of another order is refused; and
 * another tenant's sessions never show.
 */
import { randomUUID } from "node:crypto";
import type { Session } from "next-auth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateApiKey } from "~/keys";
import { SESSION_SORT_KEYS, type SessionSort } from "~/ledger/session-sort";
import { createCaller } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";
import { db } from "~/infra/db";
import { redis } from "~/infra/redis";
import { createTenantWithKey } from "../helpers/fixtures-db";

const sessionOf = (user: { id: string; email: string }): Session => ({ user, expires: new Date(Date.now() + 3_600_000).toISOString() });
const caller = (s: Session) => createCaller(createTRPCContext({ headers: new Headers(), session: s }));

interface Seeded {
  apiKeyId: string;
  sessionId: string;
  lastSeenMs: number;
  costMicros: number;
  requests: number;
  tokens: number;
  durationMs: number;
}

let tenantId: string;
let viewer: Session;
const seeded: Seeded[] = [];

beforeAll(async () => {
  const a = await createTenantWithKey("session-sort");
  const b = await createTenantWithKey("session-sort-other");
  tenantId = a.tenant.id;
  const gen = generateApiKey();
  const second = await db.apiKey.create({ data: { tenantId, name: "session-sort-key-2", keyHash: gen.keyHash, keyPrefix: gen.keyPrefix } });
  const v = await db.user.create({ data: { email: `v-${randomUUID()}@example.com`, passwordHash: "x" }, select: { id: true, email: true } });
  await db.membership.create({ data: { userId: v.id, tenantId, role: "VIEWER" } });
  viewer = sessionOf(v);
  // Few distinct values per column, so every order has ties to break; the same session id under
  // both keys, and equal last activity across keys and sessions.
  const base = Date.now() - 3_600_000;
  const rows = [];
  for (let i = 0; i < 23; i++) {
    for (const apiKeyId of i % 3 === 0 ? [a.key.id, second.id] : [i % 2 ? a.key.id : second.id]) {
      const s: Seeded = {
        apiKeyId,
        sessionId: `s${String(i).padStart(2, "0")}`,
        lastSeenMs: base + (i % 4) * 60_000,
        costMicros: [0, 1_500, 1_500, 12_345_678_901][i % 4]!,
        requests: (i % 3) + 1,
        tokens: 0,
        durationMs: [0, 90_000, 90_000, 7_200_123][i % 4]!,
      };
      const input = (i % 5) * 100;
      const output = i % 2 ? 50 : 0;
      s.tokens = input + output + 7;
      seeded.push(s);
      rows.push({
        apiKeyId,
        tenantId,
        sessionId: s.sessionId,
        firstSeenAt: new Date(s.lastSeenMs - s.durationMs),
        lastSeenAt: new Date(s.lastSeenMs),
        requests: s.requests,
        inputTokens: input,
        outputTokens: output,
        cacheReadTokens: 7,
        costMicros: s.costMicros,
      });
    }
  }
  // Another tenant's sessions, with the same ids and times.
  for (const r of rows.filter((r) => r.apiKeyId === a.key.id).slice(0, 5)) rows.push({ ...r, apiKeyId: b.key.id, tenantId: b.tenant.id, costMicros: 99_999_999_999 });
  await db.usageSession.createMany({ data: rows });
});

afterAll(async () => {
  await db.$disconnect();
  redis.disconnect();
});

const valueOf = (s: Seeded, key: SessionSort["key"]): number =>
  key === "lastSeen" ? s.lastSeenMs : key === "cost" ? s.costMicros : key === "requests" ? s.requests : key === "tokens" ? s.tokens : s.durationMs;

function expected(sort: SessionSort): string[] {
  const sign = sort.dir === "asc" ? 1 : -1;
  const cmp = (a: number | string, b: number | string) => (a < b ? -sign : a > b ? sign : 0);
  return [...seeded]
    .sort((a, b) => cmp(valueOf(a, sort.key), valueOf(b, sort.key)) || cmp(a.lastSeenMs, b.lastSeenMs) || cmp(a.apiKeyId, b.apiKeyId) || cmp(a.sessionId, b.sessionId))
    .map((s) => `${s.apiKeyId}/${s.sessionId}`);
}

async function pageThrough(sort: SessionSort, limit: number) {
  const seen: string[] = [];
  const rows = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const page: Awaited<ReturnType<ReturnType<typeof caller>["people"]["sessions"]>> = await caller(viewer).people.sessions({ tenantId, days: 7, sort, cursor, limit });
    rows.push(...page.sessions);
    seen.push(...page.sessions.map((s) => `${s.apiKeyId}/${s.sessionId}`));
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return { seen, rows };
}

describe("people.sessions sorted on the server", () => {
  for (const key of SESSION_SORT_KEYS) {
    for (const dir of ["desc", "asc"] as const) {
      it(`pages through every session exactly once by ${key} ${dir}`, async () => {
        const { seen, rows } = await pageThrough({ key, dir }, 4);
        expect(seen).toEqual(expected({ key, dir }));
        expect(new Set(seen).size).toBe(seeded.length);
        // The numbers as stored: exact integer money, whole durations.
        const byId = new Map(seeded.map((s) => [`${s.apiKeyId}/${s.sessionId}`, s]));
        for (const r of rows) {
          const s = byId.get(`${r.apiKeyId}/${r.sessionId}`)!;
          expect([r.costMicros, r.requests, r.durationMs]).toEqual([s.costMicros, s.requests, s.durationMs]);
        }
      });
    }
  }

  it("defaults to most recently active first, the same as lastSeen desc", async () => {
    const page = await caller(viewer).people.sessions({ tenantId, days: 7, limit: 200 });
    expect(page.sessions.map((s) => `${s.apiKeyId}/${s.sessionId}`)).toEqual(expected({ key: "lastSeen", dir: "desc" }));
  });

  it("refuses a cursor made in another order, and the old cursor format", async () => {
    const first = await caller(viewer).people.sessions({ tenantId, days: 7, sort: { key: "cost", dir: "desc" }, limit: 3 });
    expect(first.nextCursor).toBeTruthy();
    const cursor = first.nextCursor!;
    for (const sort of [
      { key: "cost", dir: "asc" },
      { key: "requests", dir: "desc" },
      { key: "lastSeen", dir: "desc" },
    ] as const) {
      await expect(caller(viewer).people.sessions({ tenantId, days: 7, sort, cursor, limit: 3 })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    }
    const last = first.sessions[2]!;
    const oldStyle = `${new Date(last.lastSeenAt).getTime()}_${last.apiKeyId}_${last.sessionId}`;
    await expect(caller(viewer).people.sessions({ tenantId, days: 7, cursor: oldStyle, limit: 3 })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(caller(viewer).people.sessions({ tenantId, days: 7, sort: { key: "cost", dir: "desc" }, cursor, limit: 3 })).resolves.toBeTruthy();
  });

  it("refuses an unknown sort column", async () => {
    await expect(
      caller(viewer).people.sessions({ tenantId, days: 7, sort: { key: "endUser" as "cost", dir: "desc" }, limit: 3 }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });
});
