/**
 * Access rules of every tRPC procedure, table-driven over appRouter._def.procedures: a procedure
 * added without an entry in ACCESS_RULES fails the first test. Real Postgres and Redis.
 */
import { randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import type { Session } from "next-auth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MemberRole } from "~/generated/prisma/enums";
import { generateApiKey } from "~/keys";
import { appRouter, createCaller } from "~/server/api/root";
import { hashInvitationToken } from "~/server/api/routers/invitation";
import { createTRPCContext, ROLE_RANK } from "~/server/api/trpc";
import { db } from "~/infra/db";
import { redis } from "~/infra/redis";
import { decryptCredential, encryptCredential } from "~/relay/credentials";

interface Actor {
  id: string;
  email: string;
}

interface World {
  tenantA: string;
  tenantB: string;
  /** tenantA members by role, plus the OWNER of tenantB who has no role in tenantA. */
  members: Record<MemberRole, Actor>;
  outsider: Actor;
}

type Access =
  | { kind: "public" }
  | { kind: "signedIn" }
  | { kind: "tenant"; minRole: MemberRole }
  | { kind: "platformAdmin" };

interface Rule {
  access: Access;
  /** A valid input for `actor` acting on tenantA (creating what the call needs, e.g. the actor's own key). */
  input: (world: World, actor: Actor | null) => Promise<unknown> | unknown;
}

const ROLES: MemberRole[] = ["VIEWER", "MEMBER", "ADMIN", "OWNER"];

async function createKey(tenantId: string, createdById: string | null): Promise<string> {
  const gen = generateApiKey();
  const key = await db.apiKey.create({
    data: { tenantId, createdById, name: "k", keyHash: gen.keyHash, keyPrefix: gen.keyPrefix },
  });
  return key.id;
}

/** A request-log row of the tenant (what the flush would have stored), by its request id. */
async function createRequestRow(tenantId: string): Promise<string> {
  const apiKeyId = await createKey(tenantId, null);
  const row = await db.requestLog.create({
    data: { id: randomUUID(), apiKeyId, tenantId, createdAt: new Date(), model: "claude-sonnet-4-5", provider: "ANTHROPIC", endpoint: "/v1/messages", stream: false, status: 200 },
  });
  return row.id;
}

async function createUpstream(tenantId: string): Promise<string> {
  const upstream = await db.upstream.create({
    data: { tenantId, name: "u", provider: "ANTHROPIC", baseUrl: "http://127.0.0.1:1", credentialEnc: "v1.x.y.z", enabled: false },
  });
  return upstream.id;
}

async function createMember(tenantId: string, role: MemberRole): Promise<Actor> {
  const user = await createUser(`m-${role.toLowerCase()}`);
  await db.membership.create({ data: { userId: user.id, tenantId, role } });
  return user;
}

async function createInvitation(tenantId: string, over: { role?: MemberRole; expiresAt?: Date; createdById?: string } = {}) {
  const token = randomUUID() + randomUUID();
  const invitation = await db.invitation.create({
    data: {
      tenantId,
      role: over.role ?? "VIEWER",
      tokenHash: hashInvitationToken(token),
      tokenEnc: encryptCredential(token),
      expiresAt: over.expiresAt ?? new Date(Date.now() + 86_400_000),
      // An invitation is as good as its creator's current right to grant it: tenantA's owner by default.
      createdById: over.createdById ?? world.members.OWNER.id,
    },
  });
  return { id: invitation.id, token };
}

const ACCESS_RULES: Record<string, Rule> = {
  "auth.signUp": {
    access: { kind: "public" },
    input: () => ({ email: `new-${randomUUID()}@example.com`, password: "long enough password" }),
  },
  /** Public: null for an anonymous caller (the site header asks on every page). */
  "auth.viewer": { access: { kind: "public" }, input: () => undefined },
  "tenant.create": { access: { kind: "signedIn" }, input: () => ({ name: "Another tenant" }) },
  "tenant.mine": { access: { kind: "signedIn" }, input: () => undefined },
  "tenant.get": { access: { kind: "tenant", minRole: "VIEWER" }, input: (w) => ({ tenantId: w.tenantA }) },
  "tenant.alerts": { access: { kind: "tenant", minRole: "VIEWER" }, input: (w) => ({ tenantId: w.tenantA }) },
  "apiKey.list": { access: { kind: "tenant", minRole: "VIEWER" }, input: (w) => ({ tenantId: w.tenantA }) },
  "apiKey.create": {
    access: { kind: "tenant", minRole: "MEMBER" },
    input: (w) => ({ tenantId: w.tenantA, name: "made in test" }),
  },
  "apiKey.revoke": {
    access: { kind: "tenant", minRole: "MEMBER" },
    // The actor's own key, so that a MEMBER is allowed by the ownership rule too.
    input: async (w, actor) => ({ tenantId: w.tenantA, keyId: await createKey(w.tenantA, actor?.id ?? null) }),
  },
  "apiKey.update": {
    access: { kind: "tenant", minRole: "MEMBER" },
    input: async (w, actor) => ({ tenantId: w.tenantA, keyId: await createKey(w.tenantA, actor?.id ?? null), name: "renamed" }),
  },
  "apiKey.rotate": {
    access: { kind: "tenant", minRole: "MEMBER" },
    input: async (w, actor) => ({ tenantId: w.tenantA, keyId: await createKey(w.tenantA, actor?.id ?? null) }),
  },
  "member.list": { access: { kind: "tenant", minRole: "VIEWER" }, input: (w) => ({ tenantId: w.tenantA }) },
  "member.updateRole": {
    access: { kind: "tenant", minRole: "ADMIN" },
    input: async (w) => ({ tenantId: w.tenantA, userId: (await createMember(w.tenantA, "VIEWER")).id, role: "MEMBER" }),
  },
  "member.remove": {
    access: { kind: "tenant", minRole: "ADMIN" },
    input: async (w) => ({ tenantId: w.tenantA, userId: (await createMember(w.tenantA, "VIEWER")).id }),
  },
  "invitation.create": {
    access: { kind: "tenant", minRole: "ADMIN" },
    input: (w) => ({ tenantId: w.tenantA, role: "MEMBER" }),
  },
  "invitation.list": { access: { kind: "tenant", minRole: "ADMIN" }, input: (w) => ({ tenantId: w.tenantA }) },
  "invitation.revoke": {
    access: { kind: "tenant", minRole: "ADMIN" },
    input: async (w) => ({ tenantId: w.tenantA, invitationId: (await createInvitation(w.tenantA)).id }),
  },
  "invitation.accept": {
    access: { kind: "signedIn" },
    input: async (w) => ({ token: (await createInvitation(w.tenantA)).token }),
  },
  "invitation.copyLink": {
    access: { kind: "tenant", minRole: "ADMIN" },
    input: async (w) => ({ tenantId: w.tenantA, invitationId: (await createInvitation(w.tenantA)).id }),
  },
  "invitation.preview": {
    access: { kind: "signedIn" },
    input: async (w) => ({ token: (await createInvitation(w.tenantA)).token }),
  },
  "usage.summary": {
    access: { kind: "tenant", minRole: "VIEWER" },
    input: (w) => ({ tenantId: w.tenantA, days: 7 }),
  },
  "usage.overview": {
    access: { kind: "tenant", minRole: "VIEWER" },
    input: (w) => ({ tenantId: w.tenantA, range: { kind: "7d" } }),
  },
  "usage.cacheEconomics": {
    access: { kind: "tenant", minRole: "VIEWER" },
    input: (w) => ({ tenantId: w.tenantA, range: { kind: "7d" } }),
  },
  "people.list": { access: { kind: "tenant", minRole: "VIEWER" }, input: (w) => ({ tenantId: w.tenantA, days: 7 }) },
  "people.sessions": { access: { kind: "tenant", minRole: "VIEWER" }, input: (w) => ({ tenantId: w.tenantA, days: 7 }) },
  "audit.list": { access: { kind: "tenant", minRole: "ADMIN" }, input: (w) => ({ tenantId: w.tenantA, page: 1 }) },
  // Platform administration: platform admins only, whatever their tenant roles.
  "admin.tenants": { access: { kind: "platformAdmin" }, input: () => ({ range: { kind: "30d" } }) },
  "admin.tenant": { access: { kind: "platformAdmin" }, input: (w) => ({ tenantId: w.tenantA, range: { kind: "today" } }) },
  "admin.deadLetters": { access: { kind: "platformAdmin" }, input: () => undefined },
  "admin.unpricedModels": { access: { kind: "platformAdmin" }, input: () => undefined },
  "admin.setSuspended": {
    access: { kind: "platformAdmin" },
    // A throwaway tenant: suspending tenantA would change what the other procedures see.
    input: async () => ({
      tenantId: (await db.tenant.create({ data: { name: "to suspend", slug: `acl-s-${randomUUID()}` } })).id,
      suspended: true,
    }),
  },
  "lookup.byApiId": { access: { kind: "public" }, input: () => ({ apiId: randomUUID() }) },
  // Per-key page: any member reads any key of the tenant; changing limits follows the ownership rule.
  "apiKey.get": {
    access: { kind: "tenant", minRole: "VIEWER" },
    input: async (w) => ({ tenantId: w.tenantA, keyId: await createKey(w.tenantA, null) }),
  },
  "apiKey.limitUse": {
    access: { kind: "tenant", minRole: "VIEWER" },
    input: async (w) => ({ tenantId: w.tenantA, keyId: await createKey(w.tenantA, null) }),
  },
  "apiKey.usage": {
    access: { kind: "tenant", minRole: "VIEWER" },
    input: async (w) => ({ tenantId: w.tenantA, keyId: await createKey(w.tenantA, null), days: 7 }),
  },
  "apiKey.requestLog": {
    access: { kind: "tenant", minRole: "VIEWER" },
    input: async (w) => ({ tenantId: w.tenantA, keyId: await createKey(w.tenantA, null) }),
  },
  "request.get": {
    access: { kind: "tenant", minRole: "VIEWER" },
    input: async (w) => ({ tenantId: w.tenantA, requestId: await createRequestRow(w.tenantA) }),
  },
  "apiKey.updateLimits": {
    access: { kind: "tenant", minRole: "MEMBER" },
    input: async (w, actor) => ({
      tenantId: w.tenantA,
      keyId: await createKey(w.tenantA, actor?.id ?? null),
      rateWindowMinutes: 1,
      rateMaxRequests: 5,
      dailyCostUsd: "2.50",
    }),
  },
  // Tenant settings and upstreams: owners and admins; members may list upstreams to bind their keys.
  "settings.get": { access: { kind: "tenant", minRole: "ADMIN" }, input: (w) => ({ tenantId: w.tenantA }) },
  "settings.update": {
    access: { kind: "tenant", minRole: "ADMIN" },
    input: (w) => ({ tenantId: w.tenantA, timeZone: "UTC", monthlyBudgetUsd: null }),
  },
  "settings.rotateWebhookSecret": { access: { kind: "tenant", minRole: "ADMIN" }, input: (w) => ({ tenantId: w.tenantA }) },
  "settings.setPriceOverride": {
    access: { kind: "tenant", minRole: "ADMIN" },
    input: (w) => ({ tenantId: w.tenantA, model: "acl-test-model", input: "3", output: "15" }),
  },
  "settings.deletePriceOverride": {
    access: { kind: "tenant", minRole: "ADMIN" },
    input: async (w) => {
      const model = `acl-del-${randomUUID()}`;
      await db.priceOverride.create({
        data: { tenantId: w.tenantA, model, input: 1, output: 1, cacheWrite5m: 1, cacheWrite1h: 1, cacheRead: 1 },
      });
      return { tenantId: w.tenantA, model };
    },
  },
  "upstream.list": { access: { kind: "tenant", minRole: "MEMBER" }, input: (w) => ({ tenantId: w.tenantA }) },
  "upstream.create": {
    access: { kind: "tenant", minRole: "ADMIN" },
    input: (w) => ({
      tenantId: w.tenantA,
      name: "acl",
      provider: "ANTHROPIC",
      // A loopback base URL is refused by the egress policy now (test/integration/egress.test.ts).
      baseUrl: "https://acl-upstream.example",
      credential: "sk-acl",
      models: [],
      priority: 0,
      enabled: false,
    }),
  },
  "upstream.update": {
    access: { kind: "tenant", minRole: "ADMIN" },
    input: async (w) => ({ tenantId: w.tenantA, upstreamId: await createUpstream(w.tenantA), priority: 5 }),
  },
  "upstream.delete": {
    access: { kind: "tenant", minRole: "ADMIN" },
    input: async (w) => ({ tenantId: w.tenantA, upstreamId: await createUpstream(w.tenantA) }),
  },
};

function sessionOf(actor: Actor | null): Session | null {
  return actor ? { user: { id: actor.id, email: actor.email }, expires: new Date(Date.now() + 3_600_000).toISOString() } : null;
}

function callerFor(actor: Actor | null) {
  return createCaller(createTRPCContext({ headers: new Headers({ "x-forwarded-for": "203.0.113.7" }), session: sessionOf(actor) }));
}

/** Calls a procedure by its dotted path, e.g. "apiKey.revoke". */
async function callPath(actor: Actor | null, path: string, input: unknown): Promise<unknown> {
  let target: unknown = callerFor(actor);
  for (const segment of path.split(".")) {
    target = (target as Record<string, unknown>)[segment];
  }
  if (typeof target !== "function") throw new Error(`no procedure at ${path}`);
  return (target as (input: unknown) => Promise<unknown>)(input);
}

async function errorCodeOf(promise: Promise<unknown>): Promise<string | "OK"> {
  try {
    await promise;
    return "OK";
  } catch (error) {
    if (error instanceof TRPCError) return error.code;
    throw error;
  }
}

async function createUser(label: string): Promise<Actor> {
  return db.user.create({
    data: { email: `${label}-${randomUUID()}@example.com`, passwordHash: "not-a-real-hash" },
    select: { id: true, email: true },
  });
}

let world: World;

beforeAll(async () => {
  const [tenantA, tenantB] = await Promise.all(
    ["a", "b"].map((n) => db.tenant.create({ data: { name: `Tenant ${n}`, slug: `acl-${n}-${randomUUID()}` } })),
  );
  if (!tenantA || !tenantB) throw new Error("tenants not created");
  const members = {} as Record<MemberRole, Actor>;
  for (const role of ROLES) {
    members[role] = await createUser(role.toLowerCase());
    await db.membership.create({ data: { userId: members[role].id, tenantId: tenantA.id, role } });
  }
  const outsider = await createUser("outsider");
  await db.membership.create({ data: { userId: outsider.id, tenantId: tenantB.id, role: "OWNER" } });
  world = { tenantA: tenantA.id, tenantB: tenantB.id, members, outsider };
});

afterAll(async () => {
  await db.$disconnect();
  redis.disconnect();
});

const procedurePaths = Object.keys(appRouter._def.procedures).sort();

describe("tRPC access rules", () => {
  it("has an access rule for every procedure, and no rule for a procedure that does not exist", () => {
    expect(procedurePaths.length).toBeGreaterThan(0);
    expect(Object.keys(ACCESS_RULES).sort()).toEqual(procedurePaths);
  });

  describe.each(procedurePaths)("%s", (path) => {
    const rule = ACCESS_RULES[path];

    it("refuses or serves an anonymous caller per its rule", async () => {
      if (!rule) throw new Error(`no access rule for ${path}`);
      const code = await errorCodeOf(callPath(null, path, await rule.input(world, null)));
      expect(code).toBe(rule.access.kind === "public" ? "OK" : "UNAUTHORIZED");
    });

    if (rule?.access.kind === "signedIn") {
      it("serves any signed-in user", async () => {
        // A fresh user each time: e.g. accepting an invitation changes the user's memberships.
        const anyone = await createUser("anyone");
        const code = await errorCodeOf(callPath(anyone, path, await rule.input(world, anyone)));
        expect(code).toBe("OK");
      });
    }

    if (rule?.access.kind === "platformAdmin") {
      it("refuses a tenant owner who is not a platform admin", async () => {
        const owner = world.members.OWNER;
        expect(await errorCodeOf(callPath(owner, path, await rule.input(world, owner)))).toBe("FORBIDDEN");
      });

      it.each(ROLES)("refuses a %s of a tenant who is not a platform admin", async (role) => {
        const actor = world.members[role];
        expect(await errorCodeOf(callPath(actor, path, await rule.input(world, actor)))).toBe("FORBIDDEN");
      });

      it("refuses a member of another tenant who is not a platform admin", async () => {
        expect(await errorCodeOf(callPath(world.outsider, path, await rule.input(world, world.outsider)))).toBe("FORBIDDEN");
      });

      it("serves a platform admin", async () => {
        const admin = await createUser("platform-admin");
        await db.user.update({ where: { id: admin.id }, data: { platformRole: "ADMIN" } });
        expect(await errorCodeOf(callPath(admin, path, await rule.input(world, admin)))).toBe("OK");
      });
    }

    if (rule?.access.kind === "tenant") {
      const { minRole } = rule.access;

      it("refuses a member of another tenant", async () => {
        const input = await rule.input(world, world.outsider);
        expect(await errorCodeOf(callPath(world.outsider, path, input))).toBe("FORBIDDEN");
      });

      it("refuses an unknown tenant id the same way as a foreign one", async () => {
        const input = { ...((await rule.input(world, world.outsider)) as object), tenantId: "no-such-tenant" };
        expect(await errorCodeOf(callPath(world.outsider, path, input))).toBe("FORBIDDEN");
      });

      it.each(ROLES)(`%s of the tenant: allowed only at ${minRole} or above`, async (role) => {
        const actor = world.members[role];
        const code = await errorCodeOf(callPath(actor, path, await rule.input(world, actor)));
        expect(code).toBe(ROLE_RANK[role] >= ROLE_RANK[minRole] ? "OK" : "FORBIDDEN");
      });
    }
  });
});

describe("tenant isolation inside procedures", () => {
  it("cannot read another tenant's request by its id through one's own tenant", async () => {
    const foreign = await createRequestRow(world.tenantA);
    expect(await errorCodeOf(callerFor(world.outsider).request.get({ tenantId: world.tenantB, requestId: foreign }))).toBe("NOT_FOUND");
    const own = await createRequestRow(world.tenantB);
    expect(await errorCodeOf(callerFor(world.outsider).request.get({ tenantId: world.tenantB, requestId: own }))).toBe("OK");
  });

  it("cannot revoke another tenant's key through one's own tenant", async () => {
    const foreignKey = await createKey(world.tenantA, world.members.OWNER.id);
    const code = await errorCodeOf(
      callerFor(world.outsider).apiKey.revoke({ tenantId: world.tenantB, keyId: foreignKey }),
    );
    expect(code).toBe("NOT_FOUND");
    const key = await db.apiKey.findUniqueOrThrow({ where: { id: foreignKey } });
    expect(key.revokedAt).toBeNull();
  });

  it("lists only the tenant's own keys", async () => {
    const keyA = await createKey(world.tenantA, world.members.OWNER.id);
    const keyB = await createKey(world.tenantB, world.outsider.id);
    const listB = await callerFor(world.outsider).apiKey.list({ tenantId: world.tenantB });
    expect(listB.map((k) => k.id)).toContain(keyB);
    expect(listB.map((k) => k.id)).not.toContain(keyA);
  });

  it("reports only the tenant's own usage", async () => {
    const keyA = await createKey(world.tenantA, world.members.OWNER.id);
    const hourStart = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
    await db.usageHourly.create({
      data: { apiKeyId: keyA, tenantId: world.tenantA, model: "claude-sonnet-4-5", hourStart, requests: 3n, costMicros: 999n },
    });
    const usageB = await callerFor(world.outsider).usage.summary({ tenantId: world.tenantB, days: 1 });
    expect(usageB.totals.requests).toBe(0);
    const usageA = await callerFor(world.members.VIEWER).usage.summary({ tenantId: world.tenantA, days: 1 });
    expect(usageA.totals.requests).toBeGreaterThanOrEqual(3);
    expect(usageA.byModel.find((m) => m.model === "claude-sonnet-4-5")?.costMicros).toBeGreaterThanOrEqual(999);
  });

  it("lets a member revoke only their own keys; an admin may revoke anyone's", async () => {
    const ownersKey = await createKey(world.tenantA, world.members.OWNER.id);
    const member = callerFor(world.members.MEMBER);
    expect(await errorCodeOf(member.apiKey.revoke({ tenantId: world.tenantA, keyId: ownersKey }))).toBe("FORBIDDEN");
    const admin = callerFor(world.members.ADMIN);
    expect(await errorCodeOf(admin.apiKey.revoke({ tenantId: world.tenantA, keyId: ownersKey }))).toBe("OK");
  });

  it("answers a lookup of a revoked key like an unknown one", async () => {
    const keyId = await createKey(world.tenantA, world.members.OWNER.id);
    await db.apiKey.update({ where: { id: keyId }, data: { revokedAt: new Date() } });
    const revoked = await callerFor(null).lookup.byApiId({ apiId: keyId });
    const unknown = await callerFor(null).lookup.byApiId({ apiId: randomUUID() });
    expect({ ...revoked, apiId: "", asOf: "" }).toEqual({ ...unknown, apiId: "", asOf: "" });
  });

  it("returns the new key's secret once, and stores only its hash", async () => {
    const created = await callerFor(world.members.MEMBER).apiKey.create({ tenantId: world.tenantA, name: "once" });
    expect(created.secret).toMatch(/^mg-/);
    const stored = await db.apiKey.findUniqueOrThrow({ where: { id: created.id } });
    expect(JSON.stringify(stored)).not.toContain(created.secret);
    const listed = await callerFor(world.members.MEMBER).apiKey.list({ tenantId: world.tenantA });
    expect(JSON.stringify(listed)).not.toContain(created.secret);
  });

  it("answers a duplicate sign-up like a new one, and leaves the existing account untouched", async () => {
    const email = `dup-${randomUUID()}@example.com`;
    const first = await callerFor(null).auth.signUp({ email, password: "long enough password" });
    const before = await db.user.findUniqueOrThrow({ where: { email } });
    const second = await callerFor(null).auth.signUp({ email: email.toUpperCase(), password: "another password" });
    expect(second).toEqual(first);
    expect(await db.user.findUniqueOrThrow({ where: { email } })).toEqual(before);
  });

  it("keeps the OWNER role in owners' hands and never removes the last owner", async () => {
    const { tenantA, members } = world;
    const admin = callerFor(members.ADMIN);
    const viewer = await createMember(tenantA, "VIEWER");
    expect(await errorCodeOf(admin.member.updateRole({ tenantId: tenantA, userId: viewer.id, role: "OWNER" }))).toBe("FORBIDDEN");
    expect(await errorCodeOf(admin.member.remove({ tenantId: tenantA, userId: members.OWNER.id }))).toBe("FORBIDDEN");
    expect(await errorCodeOf(admin.invitation.create({ tenantId: tenantA, role: "OWNER" }))).toBe("FORBIDDEN");
    const owner = callerFor(members.OWNER);
    expect(await errorCodeOf(owner.member.updateRole({ tenantId: tenantA, userId: members.OWNER.id, role: "ADMIN" }))).toBe(
      "BAD_REQUEST",
    );
  });

  it("accepts an invitation once, and refuses expired ones", async () => {
    const newcomer = await createUser("newcomer");
    const invite = await callerFor(world.members.ADMIN).invitation.create({ tenantId: world.tenantA, role: "MEMBER" });
    const accepted = await callerFor(newcomer).invitation.accept({ token: invite.token });
    expect(accepted).toEqual({ tenantId: world.tenantA, role: "MEMBER" });
    expect(await errorCodeOf(callerFor(await createUser("late")).invitation.accept({ token: invite.token }))).toBe("NOT_FOUND");
    const expired = await createInvitation(world.tenantA, { expiresAt: new Date(Date.now() - 1000) });
    expect(await errorCodeOf(callerFor(await createUser("x")).invitation.accept({ token: expired.token }))).toBe("NOT_FOUND");
    const stored = await db.invitation.findUniqueOrThrow({ where: { id: invite.id } });
    expect(stored.tokenHash).not.toContain(invite.token);
  });

  it("rotates a key: same API ID, new secret, old hash gone", async () => {
    const keyId = await createKey(world.tenantA, world.members.MEMBER.id);
    const before = await db.apiKey.findUniqueOrThrow({ where: { id: keyId } });
    const rotated = await callerFor(world.members.MEMBER).apiKey.rotate({ tenantId: world.tenantA, keyId });
    const after = await db.apiKey.findUniqueOrThrow({ where: { id: keyId } });
    expect(rotated.id).toBe(keyId);
    expect(after.keyHash).not.toBe(before.keyHash);
    expect(after.keyPrefix).toBe(rotated.secret.slice(0, after.keyPrefix.length));
  });
});

describe("per-key procedures and settings stay inside the tenant", () => {
  it("does not show, change or log another tenant's key through one's own tenant", async () => {
    const foreignKey = await createKey(world.tenantA, world.members.OWNER.id);
    const outsider = callerFor(world.outsider);
    const tenantId = world.tenantB;
    expect(await errorCodeOf(outsider.apiKey.get({ tenantId, keyId: foreignKey }))).toBe("NOT_FOUND");
    expect(await errorCodeOf(outsider.apiKey.limitUse({ tenantId, keyId: foreignKey }))).toBe("NOT_FOUND");
    expect(await errorCodeOf(outsider.apiKey.usage({ tenantId, keyId: foreignKey, days: 7 }))).toBe("NOT_FOUND");
    expect(await errorCodeOf(outsider.apiKey.requestLog({ tenantId, keyId: foreignKey }))).toBe("NOT_FOUND");
    expect(await errorCodeOf(outsider.apiKey.updateLimits({ tenantId, keyId: foreignKey, maxConcurrency: 1 }))).toBe("NOT_FOUND");
    const key = await db.apiKey.findUniqueOrThrow({ where: { id: foreignKey } });
    expect(key.maxConcurrency).toBeNull();
  });

  it("lets a member change only their own key's limits; an admin any key's", async () => {
    const ownersKey = await createKey(world.tenantA, world.members.OWNER.id);
    const member = callerFor(world.members.MEMBER);
    expect(await errorCodeOf(member.apiKey.updateLimits({ tenantId: world.tenantA, keyId: ownersKey, maxConcurrency: 1 }))).toBe(
      "FORBIDDEN",
    );
    const admin = callerFor(world.members.ADMIN);
    expect(await errorCodeOf(admin.apiKey.updateLimits({ tenantId: world.tenantA, keyId: ownersKey, maxConcurrency: 1 }))).toBe("OK");
  });

  it("refuses to bind a key to another tenant's upstream", async () => {
    const keyId = await createKey(world.tenantA, world.members.OWNER.id);
    const foreignUpstream = await createUpstream(world.tenantB);
    const owner = callerFor(world.members.OWNER);
    expect(await errorCodeOf(owner.apiKey.updateLimits({ tenantId: world.tenantA, keyId, upstreamId: foreignUpstream }))).toBe(
      "BAD_REQUEST",
    );
  });

  it("cannot edit or delete another tenant's upstream, and never returns a credential", async () => {
    const upstreamA = await createUpstream(world.tenantA);
    const outsider = callerFor(world.outsider);
    expect(await errorCodeOf(outsider.upstream.update({ tenantId: world.tenantB, upstreamId: upstreamA, enabled: true }))).toBe(
      "NOT_FOUND",
    );
    expect(await errorCodeOf(outsider.upstream.delete({ tenantId: world.tenantB, upstreamId: upstreamA }))).toBe("NOT_FOUND");
    const admin = callerFor(world.members.ADMIN);
    const created = await admin.upstream.create({
      tenantId: world.tenantA,
      name: "secretive",
      provider: "OPENAI",
      baseUrl: "https://api.openai.com/",
      credential: "sk-very-secret-credential",
      models: ["gpt-4o*"],
      priority: 3,
      enabled: true,
    });
    expect(created.baseUrl).toBe("https://api.openai.com");
    const listed = await admin.upstream.list({ tenantId: world.tenantA });
    expect(JSON.stringify(listed)).not.toContain("sk-very-secret-credential");
    expect(JSON.stringify(listed)).not.toContain("credentialEnc");
    const stored = await db.upstream.findUniqueOrThrow({ where: { id: created.id } });
    expect(stored.credentialEnc).not.toContain("sk-very-secret-credential");
    expect(decryptCredential(stored.credentialEnc)).toBe("sk-very-secret-credential");
    expect(listed.filter((u) => u.id === upstreamA || u.id === created.id)).toHaveLength(2);
    const listB = await outsider.upstream.list({ tenantId: world.tenantB });
    expect(listB.map((u) => u.id)).not.toContain(created.id);
  });
});


/**
 * Field-level rules on a key (src/server/api/lib/key-field-rules.ts): each rule is a sequence of
 * calls on a fresh key created by the tenant's MEMBER; every refused call leaves the key as it was.
 */
type KeyStep =
  | { by: MemberRole; limits: Record<string, unknown>; expect: "OK" | "FORBIDDEN" }
  | { by: MemberRole; revoke: true; expect: "OK" | "FORBIDDEN" };

const DAY = 86_400_000;
const inDays = (n: number) => new Date(Math.floor(Date.now() / DAY) * DAY + n * DAY);

const KEY_FIELD_RULES: Record<string, (upstreamId: string) => KeyStep[]> = {
  "a member may tighten but not lift or clear an admin's daily cap": () => [
    { by: "ADMIN", limits: { dailyCostUsd: "10" }, expect: "OK" },
    { by: "MEMBER", limits: { dailyCostUsd: "20" }, expect: "FORBIDDEN" },
    { by: "MEMBER", limits: { dailyCostUsd: null }, expect: "FORBIDDEN" },
    { by: "MEMBER", limits: { dailyCostUsd: "5" }, expect: "OK" },
    // Tightened under an admin's cap, it stays the admin's: not even back to 10.
    { by: "MEMBER", limits: { dailyCostUsd: "10" }, expect: "FORBIDDEN" },
    { by: "ADMIN", limits: { dailyCostUsd: "50" }, expect: "OK" },
  ],
  "a member may not lift an admin's concurrency limit": () => [
    { by: "ADMIN", limits: { maxConcurrency: 2 }, expect: "OK" },
    { by: "MEMBER", limits: { maxConcurrency: 20 }, expect: "FORBIDDEN" },
    { by: "MEMBER", limits: { maxConcurrency: null }, expect: "FORBIDDEN" },
    { by: "MEMBER", limits: { maxConcurrency: 1 }, expect: "OK" },
  ],
  "a member loosens limits the member set; once an admin clears a limit, it is the member's again": () => [
    { by: "MEMBER", limits: { monthlyCostUsd: "100", rateWindowMinutes: 5, rateMaxRequests: 10 }, expect: "OK" },
    { by: "MEMBER", limits: { monthlyCostUsd: "200", rateWindowMinutes: 1, rateMaxRequests: 100 }, expect: "OK" },
    { by: "ADMIN", limits: { monthlyCostUsd: "150" }, expect: "OK" },
    { by: "MEMBER", limits: { monthlyCostUsd: "300" }, expect: "FORBIDDEN" },
    { by: "ADMIN", limits: { monthlyCostUsd: null }, expect: "OK" },
    { by: "MEMBER", limits: { monthlyCostUsd: "1" }, expect: "OK" },
    { by: "MEMBER", limits: { monthlyCostUsd: "1000" }, expect: "OK" },
  ],
  "rate window: longer is tighter, shorter or none is looser": () => [
    { by: "ADMIN", limits: { rateWindowMinutes: 10, rateMaxRequests: 5 }, expect: "OK" },
    { by: "MEMBER", limits: { rateWindowMinutes: 5 }, expect: "FORBIDDEN" },
    { by: "MEMBER", limits: { rateMaxRequests: 50 }, expect: "FORBIDDEN" },
    { by: "MEMBER", limits: { rateWindowMinutes: 20, rateMaxRequests: 4 }, expect: "OK" },
  ],
  "allowed models: a member may narrow an admin's list, not widen or empty it": () => [
    { by: "ADMIN", limits: { allowedModels: ["claude-*", "gpt-4o"] }, expect: "OK" },
    { by: "MEMBER", limits: { allowedModels: ["claude-*", "gpt-4o", "o3"] }, expect: "FORBIDDEN" },
    { by: "MEMBER", limits: { allowedModels: [] }, expect: "FORBIDDEN" },
    { by: "MEMBER", limits: { allowedModels: ["gpt-4o"] }, expect: "OK" },
  ],
  "expiry: a member may bring an admin's date forward, not push it back or remove it": () => [
    { by: "ADMIN", limits: { expiresAt: inDays(10), expiresAfterFirstUseDays: 30 }, expect: "OK" },
    { by: "MEMBER", limits: { expiresAt: inDays(20) }, expect: "FORBIDDEN" },
    { by: "MEMBER", limits: { expiresAt: null }, expect: "FORBIDDEN" },
    { by: "MEMBER", limits: { expiresAfterFirstUseDays: 60 }, expect: "FORBIDDEN" },
    { by: "MEMBER", limits: { expiresAt: inDays(5), expiresAfterFirstUseDays: 7 }, expect: "OK" },
  ],
  "weekly reset: a member may not move the reset of an admin's weekly cap": () => [
    { by: "ADMIN", limits: { weeklyCostUsd: "70", weeklyResetDay: 3, weeklyResetHour: 9 }, expect: "OK" },
    { by: "MEMBER", limits: { weeklyResetDay: 4 }, expect: "FORBIDDEN" },
    { by: "MEMBER", limits: { weeklyResetHour: 10 }, expect: "FORBIDDEN" },
    { by: "MEMBER", limits: { weeklyCostUsd: "60" }, expect: "OK" },
  ],
  "an admin may not loosen a limit an owner set; an owner may": () => [
    { by: "OWNER", limits: { totalCostUsd: "500", totalTokens: 1_000_000 }, expect: "OK" },
    { by: "ADMIN", limits: { totalCostUsd: "900" }, expect: "FORBIDDEN" },
    { by: "ADMIN", limits: { totalTokens: null }, expect: "FORBIDDEN" },
    { by: "ADMIN", limits: { totalCostUsd: "400" }, expect: "OK" },
    { by: "OWNER", limits: { totalCostUsd: null, totalTokens: null }, expect: "OK" },
  ],
  "a key revoked by an admin stays revoked for the member": () => [
    { by: "ADMIN", revoke: true, expect: "OK" },
    { by: "MEMBER", limits: { active: true }, expect: "FORBIDDEN" },
    { by: "ADMIN", limits: { active: true }, expect: "OK" },
  ],
  "a key revoked by the member (editor switch) the member may reactivate; one an owner revoked, no admin": () => [
    { by: "MEMBER", limits: { active: false }, expect: "OK" },
    { by: "MEMBER", limits: { active: true }, expect: "OK" },
    { by: "OWNER", limits: { active: false }, expect: "OK" },
    { by: "ADMIN", limits: { active: true }, expect: "FORBIDDEN" },
    { by: "MEMBER", limits: { active: true }, expect: "FORBIDDEN" },
    { by: "OWNER", limits: { active: true }, expect: "OK" },
  ],
  "only admins and owners bind or unbind a key's upstream": (upstreamId) => [
    { by: "MEMBER", limits: { upstreamId }, expect: "FORBIDDEN" },
    { by: "ADMIN", limits: { upstreamId }, expect: "OK" },
    { by: "MEMBER", limits: { upstreamId: null }, expect: "FORBIDDEN" },
    { by: "OWNER", limits: { upstreamId: null }, expect: "OK" },
  ],
  "a refused field refuses the whole call: nothing of it is applied": () => [
    { by: "ADMIN", limits: { dailyCostUsd: "10" }, expect: "OK" },
    { by: "MEMBER", limits: { dailyCostUsd: "20", maxConcurrency: 1 }, expect: "FORBIDDEN" },
  ],
};

describe("field-level rules on a key (apiKey.updateLimits, apiKey.revoke)", () => {
  it.each(Object.keys(KEY_FIELD_RULES))("%s", async (name) => {
    const keyId = await createKey(world.tenantA, world.members.MEMBER.id);
    const steps = KEY_FIELD_RULES[name]!(await createUpstream(world.tenantA));
    for (const [i, step] of steps.entries()) {
      const before = await db.apiKey.findUniqueOrThrow({ where: { id: keyId } });
      const caller = callerFor(world.members[step.by]);
      const call =
        "revoke" in step
          ? caller.apiKey.revoke({ tenantId: world.tenantA, keyId })
          : caller.apiKey.updateLimits({ tenantId: world.tenantA, keyId, ...step.limits } as Parameters<typeof caller.apiKey.updateLimits>[0]);
      expect({ step: i, by: step.by, code: await errorCodeOf(call) }).toEqual({ step: i, by: step.by, code: step.expect });
      if (step.expect === "FORBIDDEN") expect(await db.apiKey.findUniqueOrThrow({ where: { id: keyId } })).toEqual(before);
    }
  });

  it("tells the editor which limits the caller may only tighten", async () => {
    const keyId = await createKey(world.tenantA, world.members.MEMBER.id);
    await callerFor(world.members.ADMIN).apiKey.updateLimits({ tenantId: world.tenantA, keyId, dailyCostUsd: "10" });
    await callerFor(world.members.ADMIN).apiKey.revoke({ tenantId: world.tenantA, keyId });
    const asMember = await callerFor(world.members.MEMBER).apiKey.get({ tenantId: world.tenantA, keyId });
    expect(asMember).toMatchObject({ lockedLimits: ["dailyCostMicros"], canReactivate: false, canBindUpstream: false });
    const asAdmin = await callerFor(world.members.ADMIN).apiKey.get({ tenantId: world.tenantA, keyId });
    expect(asAdmin).toMatchObject({ lockedLimits: [], canReactivate: true, canBindUpstream: true });
  });
});

describe("invitations and owners under change", () => {
  async function freshTenant(roles: MemberRole[]): Promise<{ tenantId: string; users: Actor[] }> {
    const tenant = await db.tenant.create({ data: { name: "race", slug: `acl-r-${randomUUID()}` } });
    const users: Actor[] = [];
    for (const role of roles) {
      const user = await createUser(`r-${role.toLowerCase()}`);
      await db.membership.create({ data: { userId: user.id, tenantId: tenant.id, role } });
      users.push(user);
    }
    return { tenantId: tenant.id, users };
  }

  it("an invitation dies with its creator's right to grant it: removed, or demoted below the role", async () => {
    const { tenantId, users } = await freshTenant(["OWNER", "ADMIN", "OWNER"]);
    const [owner, admin, secondOwner] = users as [Actor, Actor, Actor];
    const byAdmin = await callerFor(admin).invitation.create({ tenantId, role: "MEMBER" });
    const ownerInvite = await callerFor(secondOwner).invitation.create({ tenantId, role: "OWNER" });
    const adminInvite = await callerFor(secondOwner).invitation.create({ tenantId, role: "ADMIN" });
    await callerFor(owner).member.remove({ tenantId, userId: admin.id });
    await callerFor(owner).member.updateRole({ tenantId, userId: secondOwner.id, role: "ADMIN" });
    const accept = (token: string) => async () => errorCodeOf(callerFor(await createUser("invitee")).invitation.accept({ token }));
    expect(await accept(byAdmin.token)()).toBe("NOT_FOUND");
    // Demoted to admin: may no longer grant OWNER, may still grant ADMIN.
    expect(await accept(ownerInvite.token)()).toBe("NOT_FOUND");
    expect(await accept(adminInvite.token)()).toBe("OK");
    expect(await db.membership.count({ where: { tenantId, role: "OWNER" } })).toBe(1);
  });

  it("the invitation page's preview: tenant, role, inviter and expiry; one answer for unknown, used, expired and withdrawn tokens", async () => {
    const { tenantId, users } = await freshTenant(["OWNER", "ADMIN"]);
    const [, admin] = users as [Actor, Actor];
    await db.user.update({ where: { id: admin.id }, data: { name: "Ada" } });
    const invitee = callerFor(await createUser("preview"));
    const invite = await callerFor(admin).invitation.create({ tenantId, role: "MEMBER" });
    expect(await invitee.invitation.preview({ token: invite.token })).toEqual({
      status: "valid",
      tenantName: "race",
      role: "MEMBER",
      inviter: `Ada (${admin.email})`,
      expiresAt: invite.expiresAt,
      email: null,
      currentRole: null,
    });
    const used = await callerFor(admin).invitation.create({ tenantId, role: "VIEWER" });
    await callerFor(await createUser("first")).invitation.accept({ token: used.token });
    const expired = await createInvitation(tenantId, { expiresAt: new Date(Date.now() - 1000), createdById: admin.id });
    const withdrawn = await callerFor(admin).invitation.create({ tenantId, role: "VIEWER" });
    await callerFor(admin).invitation.revoke({ tenantId, invitationId: withdrawn.id });
    for (const token of [used.token, expired.token, withdrawn.token, "x".repeat(40), "short", "y".repeat(600).slice(0, 500)]) {
      expect(await invitee.invitation.preview({ token }), token).toEqual({ status: "invalid" });
    }
  });

  it("an invitation bound to an email: set on create (any case), only that user (any case) may accept", async () => {
    const { tenantId, users } = await freshTenant(["OWNER"]);
    const [owner] = users as [Actor];
    const email = `Bound-${randomUUID()}@Example.com`;
    const invite = await callerFor(owner).invitation.create({ tenantId, role: "MEMBER", email: `  ${email} ` });
    expect(invite.email).toBe(email.toLowerCase());
    expect(await errorCodeOf(callerFor(owner).invitation.create({ tenantId, role: "MEMBER", email: "not-an-email" }))).toBe("BAD_REQUEST");
    const stranger = callerFor(await createUser("stranger"));
    expect(await stranger.invitation.preview({ token: invite.token })).toEqual({ status: "otherEmail" });
    expect(await errorCodeOf(stranger.invitation.accept({ token: invite.token }))).toBe("FORBIDDEN");
    // The user signed up with the address in another case (sign-up lower-cases it; the session may not).
    const bound = await db.user.create({ data: { email: email.toLowerCase(), passwordHash: "x" }, select: { id: true, email: true } });
    const boundCaller = callerFor({ id: bound.id, email: email.toUpperCase() });
    expect((await boundCaller.invitation.preview({ token: invite.token })).status).toBe("valid");
    expect(await boundCaller.invitation.accept({ token: invite.token })).toEqual({ tenantId, role: "MEMBER" });
  });

  it("a pending invitation's link can be copied again (token stored encrypted, never in clear); only owners copy owner invitations; every step audited", async () => {
    const { tenantId, users } = await freshTenant(["OWNER", "ADMIN"]);
    const [owner, admin] = users as [Actor, Actor];
    const member = await callerFor(admin).invitation.create({ tenantId, role: "MEMBER", email: "copy@example.com" });
    const ownerInvite = await callerFor(owner).invitation.create({ tenantId, role: "OWNER" });
    const stored = await db.invitation.findUniqueOrThrow({ where: { id: member.id } });
    expect(JSON.stringify(stored)).not.toContain(member.token);
    expect(stored.tokenEnc && decryptCredential(stored.tokenEnc)).toBe(member.token);

    expect(await callerFor(admin).invitation.copyLink({ tenantId, invitationId: member.id })).toEqual({ id: member.id, token: member.token });
    expect(await errorCodeOf(callerFor(admin).invitation.copyLink({ tenantId, invitationId: ownerInvite.id }))).toBe("FORBIDDEN");
    expect((await callerFor(owner).invitation.copyLink({ tenantId, invitationId: ownerInvite.id })).token).toBe(ownerInvite.token);
    const listed = await callerFor(admin).invitation.list({ tenantId });
    expect(Object.fromEntries(listed.map((i) => [i.id, [i.link, i.email, i.invitedBy]]))).toEqual({
      [member.id]: ["available", "copy@example.com", admin.email],
      [ownerInvite.id]: ["notYours", null, owner.email],
    });
    // Another tenant's admin cannot copy it through their own tenant.
    const other = await freshTenant(["ADMIN"]);
    expect(await errorCodeOf(callerFor(other.users[0]!).invitation.copyLink({ tenantId: other.tenantId, invitationId: member.id }))).toBe("NOT_FOUND");

    const accepter = await db.user.create({ data: { email: "copy@example.com".replace("copy", `copy-${randomUUID()}`), passwordHash: "x" }, select: { id: true, email: true } });
    await db.invitation.update({ where: { id: member.id }, data: { email: accepter.email } });
    await callerFor(accepter).invitation.accept({ token: member.token });
    expect(await errorCodeOf(callerFor(admin).invitation.copyLink({ tenantId, invitationId: member.id }))).toBe("NOT_FOUND");
    await callerFor(owner).invitation.revoke({ tenantId, invitationId: ownerInvite.id });

    const audit = await db.auditLog.findMany({ where: { tenantId, action: { startsWith: "invitation." } }, orderBy: { createdAt: "asc" } });
    expect(audit.map((a) => [a.action, a.target, a.actorId])).toEqual([
      ["invitation.create", member.id, admin.id],
      ["invitation.create", ownerInvite.id, owner.id],
      ["invitation.copy", member.id, admin.id],
      ["invitation.copy", ownerInvite.id, owner.id],
      ["invitation.accept", member.id, accepter.id],
      ["invitation.revoke", ownerInvite.id, owner.id],
    ]);
    expect(audit[0]!.details).toMatchObject({ role: "MEMBER", email: "copy@example.com" });
    expect(JSON.stringify(audit)).not.toContain(member.token);
    expect(JSON.stringify(audit)).not.toContain(ownerInvite.token);
  });

  it.each([1, 2, 3, 4, 5])("two owners demoting each other at the same moment leave one owner (round %i)", async () => {
    const { tenantId, users } = await freshTenant(["OWNER", "OWNER"]);
    const [a, b] = users as [Actor, Actor];
    const codes = await Promise.all([
      errorCodeOf(callerFor(a).member.updateRole({ tenantId, userId: b.id, role: "ADMIN" })),
      errorCodeOf(callerFor(b).member.updateRole({ tenantId, userId: a.id, role: "ADMIN" })),
    ]);
    expect(codes.filter((c) => c === "OK")).toHaveLength(1);
    expect(await db.membership.count({ where: { tenantId, role: "OWNER" } })).toBe(1);
  });

  it("two owners removing each other at the same moment leave one owner", async () => {
    const { tenantId, users } = await freshTenant(["OWNER", "OWNER"]);
    const [a, b] = users as [Actor, Actor];
    const codes = await Promise.all([
      errorCodeOf(callerFor(a).member.remove({ tenantId, userId: b.id })),
      errorCodeOf(callerFor(b).member.remove({ tenantId, userId: a.id })),
    ]);
    expect(codes.filter((c) => c === "OK")).toHaveLength(1);
    expect(await db.membership.count({ where: { tenantId, role: "OWNER" } })).toBe(1);
  });
});
