/**
 * Platform admin and audit log behaviour beyond the access table (trpc-access.test.ts): suspension
 * is audited and idempotent, the spend ranking sums ledger costs, the audit log is tenant-scoped
 * and paged.
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
        data: { name: `Audit ${n}`, slug: `audit-${n}-${randomUUID()}`, memberships: { create: { userId: owner.id, role: "OWNER" } } },
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
    const ranking = await callerFor(adminId).admin.tenants({ range: { kind: "today" } });
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
