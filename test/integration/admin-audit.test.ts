/**
 * Platform admin and audit log behaviour beyond the access table (trpc-access.test.ts): suspension
 * is audited and idempotent, the spend ranking sums ledger costs and is searched, sorted and paged
 * on the server, the audit log is tenant-scoped and paged.
 */
import { randomUUID } from "node:crypto";
import type { Session } from "next-auth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";
import { db } from "~/infra/db";
import { redis } from "~/infra/redis";



function callerFor(userId: string) {
  const session: Session = { user: { id: userId, email: "x@example.com" }, expires: new Date(Date.now() + 3_600_000).toISOString() };
  return createCaller(createTRPCContext({ headers: new Headers(), session }));
}

let adminId = "";
let ownerId = "";
let tenantA = "";
let tenantB = "";
/** In every name and slug of this file's tenants: the other test files' tenants share the database. */
const stamp = randomUUID().slice(0, 8);

beforeAll(async () => {
  const admin = await db.user.create({
    data: { email: `padmin-${randomUUID()}@example.com`, passwordHash: "x", platformRole: "ADMIN" },
  });
  const owner = await db.user.create({ data: { email: `owner-${randomUUID()}@example.com`, passwordHash: "x" } });
  adminId = admin.id;
  ownerId = owner.id;
  const [a, b] = await Promise.all(
    ["a", "b"].map((n) =>
      db.tenant.create({
        data: { name: `Audit ${n} ${stamp}`, slug: `audit-${n}-${stamp}`, memberships: { create: { userId: owner.id, role: "OWNER" } } },
      }),
    ),
  );
  tenantA = a!.id;
  tenantB = b!.id;
});

afterAll(async () => {
  await db.$disconnect();
  redis.disconnect();
});

describe("platform admin", () => {
  it("suspends and reinstates a tenant, auditing each change once", async () => {
    const admin = callerFor(adminId);
    const first = await admin.admin.setSuspended({ tenantId: tenantA, suspended: true });
    expect(first.suspendedAt).toBeInstanceOf(Date);
    const again = await admin.admin.setSuspended({ tenantId: tenantA, suspended: true });
    expect(again.suspendedAt?.getTime()).toBe(first.suspendedAt?.getTime());
    expect((await db.tenant.findUniqueOrThrow({ where: { id: tenantA } })).suspendedAt).not.toBeNull();
    await admin.admin.setSuspended({ tenantId: tenantA, suspended: false });
    expect((await db.tenant.findUniqueOrThrow({ where: { id: tenantA } })).suspendedAt).toBeNull();
    const entries = await db.auditLog.findMany({ where: { tenantId: tenantA, actorId: adminId }, orderBy: { createdAt: "asc" } });
    expect(entries.map((e) => e.action)).toEqual(["tenant.suspend", "tenant.unsuspend"]);
  });

  it("ranks tenants by the sum of their ledger costs", async () => {
    const key = await db.apiKey.create({ data: { tenantId: tenantB, name: "k", keyHash: randomUUID(), keyPrefix: "mg-x" } });
    const hourStart = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
    await db.usageHourly.create({
      data: { apiKeyId: key.id, tenantId: tenantB, model: "claude-sonnet-4-5", hourStart, requests: 2n, costMicros: 123_456_789n },
    });
    const ranking = await callerFor(adminId).admin.tenants({ range: { kind: "today" }, search: stamp });
    const b = ranking.tenants.find((t) => t.id === tenantB)!;
    const a = ranking.tenants.find((t) => t.id === tenantA)!;
    expect(b.costMicros).toBe(123_456_789);
    expect(b.requests).toBe(2);
    expect(ranking.tenants.indexOf(b)).toBeLessThan(ranking.tenants.indexOf(a));
    const detail = await callerFor(adminId).admin.tenant({ tenantId: tenantB, range: { kind: "today" } });
    expect(detail.overview.byModel[0]).toMatchObject({ model: "claude-sonnet-4-5", costMicros: 123_456_789 });
    expect(detail.keys.map((k) => k.id)).toContain(key.id);
  });
});

describe("platform admin tenant list: search, sort and pages on the server", () => {
  it("finds by name, slug or id, sorts every column, pages, and keeps the rank by spend", async () => {
    const list = `list-${randomUUID().slice(0, 8)}`;
    // Five tenants; spend: Echo > Charlie > Alpha, Bravo and Delta none (then by name).
    const names = ["Alpha", "Bravo", "Charlie", "Delta", "echo"];
    const made = await Promise.all(names.map((n) => db.tenant.create({ data: { name: `${n} ${list}`, slug: `${n.toLowerCase()}-${list}` } })));
    const id = (n: string) => made[names.indexOf(n)]!.id;
    const hourStart = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
    for (const [n, cost, requests, keys] of [["echo", 900n, 3n, 1], ["Charlie", 500n, 9n, 3], ["Alpha", 100n, 1n, 2]] as const) {
      for (let k = 0; k < keys; k++) {
        const key = await db.apiKey.create({ data: { tenantId: id(n), name: `k${k}`, keyHash: randomUUID(), keyPrefix: "mg-x" } });
        if (k === 0) await db.usageHourly.create({ data: { apiKeyId: key.id, tenantId: id(n), model: "claude-sonnet-4-5", hourStart, requests, costMicros: cost } });
      }
    }
    const admin = callerFor(adminId).admin;
    const range = { kind: "today" } as const;
    const order = async (input: Omit<Parameters<typeof admin.tenants>[0], "range">) =>
      (await admin.tenants({ range, search: list, ...input })).tenants.map((t) => t.name.split(" ")[0]);

    // Search is case-insensitive on name and slug; a whole id finds its tenant.
    expect(await order({})).toEqual(["echo", "Charlie", "Alpha", "Bravo", "Delta"]);
    expect(await order({ search: `CHARLIE ${list}` })).toEqual(["Charlie"]);
    expect(await order({ search: `delta-${list}` })).toEqual(["Delta"]);
    expect((await admin.tenants({ range, search: id("Bravo") })).tenants.map((t) => t.id)).toEqual([id("Bravo")]);
    expect((await admin.tenants({ range, search: `nobody-${list}` })).matchCount).toBe(0);
    // "%" and "_" are text, not wildcards.
    expect((await admin.tenants({ range, search: "%" })).tenants.every((t) => t.name.includes("%"))).toBe(true);

    expect(await order({ sort: { key: "name", dir: "asc" } })).toEqual(["Alpha", "Bravo", "Charlie", "Delta", "echo"]);
    expect(await order({ sort: { key: "name", dir: "desc" } })).toEqual(["echo", "Delta", "Charlie", "Bravo", "Alpha"]);
    expect(await order({ sort: { key: "requests", dir: "desc" } })).toEqual(["Charlie", "echo", "Alpha", "Bravo", "Delta"]);
    // Ties (no keys: Bravo, Delta) keep the spend order.
    expect(await order({ sort: { key: "keys", dir: "asc" } })).toEqual(["Bravo", "Delta", "echo", "Alpha", "Charlie"]);
    expect(await order({ sort: { key: "cost", dir: "asc" } })).toEqual(["Bravo", "Delta", "Alpha", "Charlie", "echo"]);

    // Pages of two; past the end answers the last page; the rank stays the place by spend.
    const p1 = await admin.tenants({ range, search: list, pageSize: 2, page: 1 });
    expect(p1).toMatchObject({ page: 1, pages: 3, matchCount: 5, pageSize: 2 });
    expect(p1.tenants.map((t) => t.name.split(" ")[0])).toEqual(["echo", "Charlie"]);
    const p3 = await admin.tenants({ range, search: list, pageSize: 2, page: 99 });
    expect(p3.page).toBe(3);
    expect(p3.tenants.map((t) => t.name.split(" ")[0])).toEqual(["Delta"]);
    const bySpend = new Map((await admin.tenants({ range, search: list })).tenants.map((t) => [t.id, t.rank]));
    const byName = await admin.tenants({ range, search: list, sort: { key: "name", dir: "asc" }, pageSize: 2, page: 2 });
    expect(byName.tenants.map((t) => t.name.split(" ")[0])).toEqual(["Charlie", "Delta"]);
    expect(byName.tenants.map((t) => t.rank)).toEqual([bySpend.get(id("Charlie")), bySpend.get(id("Delta"))]);
    expect(bySpend.get(id("Charlie"))).toBe(bySpend.get(id("echo"))! + 1);
    expect(byName.tenants[0]!.keyCount).toBe(3);
    expect(byName.tenants[0]!.costMicros).toBe(500);
    // The totals are the platform's, whatever the search.
    expect(byName.tenantCount).toBeGreaterThanOrEqual(5);
    expect(byName.totalCostMicros).toBeGreaterThanOrEqual(1_500);

    // Validated: a long search, an unknown sort column, page 0.
    for (const bad of [{ search: "x".repeat(101) }, { sort: { key: "slug" as "name", dir: "asc" as const } }, { page: 0 }, { pageSize: 1000 }]) {
      await expect(admin.tenants({ range, ...bad })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    }
    // A tenant owner is no platform admin.
    await expect(callerFor(ownerId).admin.tenants({ range, search: list })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});

describe("audit log", () => {
  it("lists only the tenant's own entries, newest first, paged, filterable by action", async () => {
    for (let i = 0; i < 5; i++) {
      await db.auditLog.create({ data: { tenantId: tenantB, actorId: ownerId, action: i % 2 ? "x.odd" : "x.even", target: String(i), createdAt: new Date(Date.now() + i) } });
    }
    await db.auditLog.create({ data: { tenantId: tenantA, actorId: ownerId, action: "x.other-tenant", target: "a" } });
    const owner = callerFor(ownerId);
    const page1 = await owner.audit.list({ tenantId: tenantB, page: 1, pageSize: 2 });
    expect(page1.entries.map((e) => e.target)).toEqual(["4", "3"]);
    expect(page1.entries[0]!.actorEmail).toMatch(/^owner-/);
    expect(page1.pageCount).toBe(Math.ceil(page1.total / 2));
    const page2 = await owner.audit.list({ tenantId: tenantB, page: 2, pageSize: 2 });
    expect(page2.entries.map((e) => e.target)).toEqual(["2", "1"]);
    const all = await owner.audit.list({ tenantId: tenantB, pageSize: 200 });
    expect(all.entries.some((e) => e.action === "x.other-tenant")).toBe(false);
    expect(all.actions).toEqual(expect.arrayContaining(["x.even", "x.odd"]));
    const odd = await owner.audit.list({ tenantId: tenantB, action: "x.odd" });
    expect(odd.entries.map((e) => e.target)).toEqual(["3", "1"]);
  });
});
