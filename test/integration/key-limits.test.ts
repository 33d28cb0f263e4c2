/**
 * The per-key limits editor (apiKey.updateLimits): server-side validation, exact dollar → µ$
 * conversion, ownership rule, audit entries; limitUse shows the live use; requestLog pages by cursor,
 * in every sort order.
 */
import { randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import type { Session } from "next-auth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MemberRole } from "~/generated/prisma/enums";
import { admit, releaseAdmission } from "~/ledger";
import { createCaller } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";
import { db } from "~/infra/db";
import { loadKeyLimits } from "~/keys/server";
import { redis } from "~/infra/redis";
import { createTenantWithKey } from "../helpers/fixtures-db";

interface Actor {
  id: string;
  email: string;
}

function callerFor(actor: Actor) {
  const session: Session = { user: { id: actor.id, email: actor.email }, expires: new Date(Date.now() + 3_600_000).toISOString() };
  return createCaller(createTRPCContext({ headers: new Headers(), session }));
}

async function member(tenantId: string, role: MemberRole): Promise<Actor> {
  const user = await db.user.create({
    data: { email: `${role.toLowerCase()}-${randomUUID()}@example.com`, passwordHash: "x" },
    select: { id: true, email: true },
  });
  await db.membership.create({ data: { userId: user.id, tenantId, role } });
  return user;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "OK";
  } catch (e) {
    if (e instanceof TRPCError) return e.code;
    throw e;
  }
}

let tenantId: string;
let keyId: string;
let owner: Actor;
let viewer: Actor;

beforeAll(async () => {
  const { tenant, key } = await createTenantWithKey("limits");
  tenantId = tenant.id;
  keyId = key.id;
  owner = await member(tenantId, "OWNER");
  viewer = await member(tenantId, "VIEWER");
});

afterAll(async () => {
  await db.$disconnect();
  redis.disconnect();
});

describe("apiKey.updateLimits", () => {
  it("stores every limit, dollars converted exactly to micro-dollars", async () => {
    const expiresAt = new Date("2030-01-02T03:04:00.000Z");
    const result = await callerFor(owner).apiKey.updateLimits({
      tenantId,
      keyId,
      expiresAt,
      expiresAfterFirstUseDays: 30,
      allowedModels: ["claude-sonnet-*", "gpt-4o-mini", "claude-sonnet-*"],
      rateWindowMinutes: 5,
      rateMaxRequests: 100,
      rateMaxTokens: 200_000,
      rateMaxCostUsd: "0.1",
      maxConcurrency: 3,
      dailyCostUsd: "1.000001",
      weeklyCostUsd: "$7",
      weeklyResetDay: 3,
      weeklyResetHour: 9,
      monthlyCostUsd: "30.50",
      totalCostUsd: "1000",
      totalTokens: 5_000_000,
    });
    expect(result.changed).toEqual(expect.arrayContaining(["rateMaxCostMicros", "dailyCostMicros", "allowedModels"]));
    const k = await db.apiKey.findUniqueOrThrow({ where: { id: keyId } });
    expect(k.expiresAt?.toISOString()).toBe(expiresAt.toISOString());
    expect(k.allowedModels).toEqual(["claude-sonnet-*", "gpt-4o-mini"]);
    expect(k.rateMaxCostMicros).toBe(100_000n);
    expect(k.dailyCostMicros).toBe(1_000_001n);
    expect(k.weeklyCostMicros).toBe(7_000_000n);
    expect(k.monthlyCostMicros).toBe(30_500_000n);
    expect(k.totalCostMicros).toBe(1_000_000_000n);
    expect(k.totalTokens).toBe(5_000_000n);
    expect([k.weeklyResetDay, k.weeklyResetHour, k.maxConcurrency, k.rateWindowMinutes]).toEqual([3, 9, 3, 5]);
    // What the relay loads is what was set.
    const limits = await loadKeyLimits(keyId);
    expect(limits).toMatchObject({ rateMaxCostMicros: 100_000, dailyCostMicros: 1_000_001, weeklyResetDay: 3 });
  });

  it("writes one audit entry per change, with before and after", async () => {
    await callerFor(owner).apiKey.updateLimits({ tenantId, keyId, maxConcurrency: 4 });
    const entry = await db.auditLog.findFirstOrThrow({
      where: { tenantId, action: "apiKey.limits", target: keyId },
      orderBy: { createdAt: "desc" },
    });
    expect(entry.actorId).toBe(owner.id);
    expect(entry.details).toEqual({ changes: { maxConcurrency: { from: 3, to: 4 } } });
  });

  it("a save that changes nothing writes no audit entry (limits, key details, tenant settings)", async () => {
    const caller = callerFor(owner);
    const count = () => db.auditLog.count({ where: { tenantId } });
    const key = await caller.apiKey.get({ tenantId, keyId });
    await caller.settings.update({ tenantId, timeZone: "Asia/Shanghai" });
    const before = await count();
    const result = await caller.apiKey.updateLimits({ tenantId, keyId, active: true, maxConcurrency: 4, dailyCostUsd: "1.000001" });
    expect(result.changed).toEqual([]);
    await caller.apiKey.update({ tenantId, keyId, name: key.name });
    await caller.settings.update({ tenantId, timeZone: "Asia/Shanghai" });
    expect(await count()).toBe(before);
    // A real change is still one entry with only what changed.
    await caller.apiKey.update({ tenantId, keyId, name: `${key.name}-renamed` });
    await caller.settings.update({ tenantId, timeZone: "UTC", monthlyBudgetUsd: null });
    const rows = await db.auditLog.findMany({ where: { tenantId }, orderBy: { createdAt: "desc" }, take: 2 });
    expect(rows.map((r) => [r.action, r.details])).toEqual([
      ["tenant.settings", { changes: { timeZone: { from: "Asia/Shanghai", to: "UTC" } } }],
      ["apiKey.update", { changes: { name: { from: key.name, to: `${key.name}-renamed` } } }],
    ]);
    // The audit page gets the details as JSON (put in words there) and the targets by name.
    const log = await caller.audit.list({ tenantId, pageSize: 2 });
    expect(log.entries.map((e) => [e.action, e.targetName, e.details])).toEqual(rows.map((r) => [r.action, expect.any(String), r.details]));
    expect(log.entries[1]!.targetName).toBe(`${key.name}-renamed`);
  });

  it("clears a limit with null and leaves absent fields unchanged", async () => {
    await callerFor(owner).apiKey.updateLimits({ tenantId, keyId, totalCostUsd: null });
    const k = await db.apiKey.findUniqueOrThrow({ where: { id: keyId } });
    expect(k.totalCostMicros).toBeNull();
    expect(k.dailyCostMicros).toBe(1_000_001n);
  });

  it.each([
    [{ dailyCostUsd: "1.0000001" }, "dailyCostUsd"],
    [{ dailyCostUsd: "-1" }, "dailyCostUsd"],
    [{ monthlyCostUsd: "ten" }, "monthlyCostUsd"],
    [{ rateWindowMinutes: 0 }, "rateWindowMinutes"],
    [{ rateWindowMinutes: null, rateMaxRequests: 3 }, "rateWindowMinutes"],
    [{ maxConcurrency: 1.5 }, "maxConcurrency"],
    [{ weeklyResetDay: 7 }, "weeklyResetDay"],
    [{ weeklyResetHour: 24 }, "weeklyResetHour"],
    [{ allowedModels: ["claude sonnet"] }, "allowedModels"],
    [{ expiresAfterFirstUseDays: 0 }, "expiresAfterFirstUseDays"],
  ])("refuses %j with a field error on %s", async (limits, field) => {
    try {
      await callerFor(owner).apiKey.updateLimits({ tenantId, keyId, ...(limits as object) });
      expect.unreachable("should have been refused");
    } catch (e) {
      expect(e).toBeInstanceOf(TRPCError);
      expect((e as TRPCError).code).toBe("BAD_REQUEST");
      expect(JSON.stringify((e as TRPCError).cause)).toContain(field);
    }
  });

  it("refuses rate maxima when the stored key has no window", async () => {
    const { key } = await createTenantWithKey("nowindow");
    await db.apiKey.update({ where: { id: key.id }, data: { tenantId } });
    expect(await codeOf(callerFor(owner).apiKey.updateLimits({ tenantId, keyId: key.id, rateMaxRequests: 5 }))).toBe("BAD_REQUEST");
  });

  it("is read-only for a viewer", async () => {
    expect(await codeOf(callerFor(viewer).apiKey.updateLimits({ tenantId, keyId, maxConcurrency: 9 }))).toBe("FORBIDDEN");
    const got = await callerFor(viewer).apiKey.get({ tenantId, keyId });
    expect(got.canManage).toBe(false);
    expect(got.limits.dailyCostMicros).toBe(1_000_001);
  });

  it("revokes with active: false and reactivates with active: true", async () => {
    const caller = callerFor(owner);
    await caller.apiKey.updateLimits({ tenantId, keyId, active: false });
    expect((await caller.apiKey.get({ tenantId, keyId })).status).toBe("revoked");
    await caller.apiKey.updateLimits({ tenantId, keyId, active: true });
    expect((await caller.apiKey.get({ tenantId, keyId })).status).toBe("active");
  });
});

describe("apiKey.limitUse", () => {
  it("shows the rate window's use and the seconds until it frees", async () => {
    const caller = callerFor(owner);
    await caller.apiKey.updateLimits({
      tenantId,
      keyId,
      rateWindowMinutes: 1,
      rateMaxRequests: 2,
      rateMaxTokens: null,
      rateMaxCostUsd: null,
      maxConcurrency: null,
    });
    const limits = await loadKeyLimits(keyId);
    if (!limits) throw new Error("no key");
    const admission = await admit(limits, `req-${randomUUID()}`, 0);
    expect(admission.ok).toBe(true);
    if (admission.ok) await releaseAdmission(admission.charge);
    const use = await caller.apiKey.limitUse({ tenantId, keyId });
    const rate = use.limits.find((l) => l.name === "rate_requests");
    expect(rate).toMatchObject({ max: 2, used: 1 });
    expect(rate?.resetsInSec).toBeGreaterThan(0);
    expect(rate?.resetsInSec).toBeLessThanOrEqual(60);
    expect(use.limits.find((l) => l.name === "cost_daily")).toMatchObject({ max: 1_000_001, used: 0 });
  });
});

describe("apiKey.requestLog", () => {
  it("pages newest first by cursor and filters by status class, model and time", async () => {
    const base = Date.UTC(2026, 0, 1, 12);
    await db.requestLog.createMany({
      data: Array.from({ length: 7 }, (_, i) => ({
        id: `log-${keyId}-${i}`,
        apiKeyId: keyId,
        tenantId,
        createdAt: new Date(base + i * 60_000),
        model: i % 2 ? "claude-haiku-4-5" : "claude-sonnet-4-5",
        provider: "ANTHROPIC" as const,
        endpoint: "/v1/messages",
        stream: i % 3 === 0,
        status: i === 6 ? 429 : 200,
        inputTokens: 10 + i,
        costMicros: BigInt(100 + i),
      })),
    });
    const caller = callerFor(viewer);
    const first = await caller.apiKey.requestLog({ tenantId, keyId, limit: 3 });
    expect(first.rows.map((r) => r.id)).toEqual([`log-${keyId}-6`, `log-${keyId}-5`, `log-${keyId}-4`]);
    expect(first.rows[0]).toMatchObject({ status: 429, costMicros: 106, estimated: false });
    const second = await caller.apiKey.requestLog({ tenantId, keyId, limit: 3, cursor: first.nextCursor });
    expect(second.rows.map((r) => r.id)).toEqual([`log-${keyId}-3`, `log-${keyId}-2`, `log-${keyId}-1`]);
    const third = await caller.apiKey.requestLog({ tenantId, keyId, limit: 3, cursor: second.nextCursor });
    expect(third.rows.map((r) => r.id)).toEqual([`log-${keyId}-0`]);
    expect(third.nextCursor).toBeNull();

    const refused = await caller.apiKey.requestLog({ tenantId, keyId, filter: { statusClass: "refused" } });
    expect(refused.rows.map((r) => r.status)).toEqual([429]);
    const haiku = await caller.apiKey.requestLog({ tenantId, keyId, filter: { model: "claude-haiku-4-5" } });
    expect(haiku.rows).toHaveLength(3);
    const window = await caller.apiKey.requestLog({
      tenantId,
      keyId,
      filter: { from: new Date(base + 2 * 60_000), to: new Date(base + 4 * 60_000) },
    });
    expect(window.rows.map((r) => r.id)).toEqual([`log-${keyId}-3`, `log-${keyId}-2`]);
    expect(await codeOf(caller.apiKey.requestLog({ tenantId, keyId, cursor: "garbage" }))).toBe("BAD_REQUEST");
  });
});

describe("apiKey.requestLog sorted", () => {
  it("sorts by every column both ways, ties by time the same way, and pages by cursor without gaps or repeats", async () => {
    const key = await db.apiKey.create({ data: { tenantId, name: "sorted", keyHash: randomUUID(), keyPrefix: "mg-s" } });
    const base = Date.UTC(2026, 1, 1, 12);
    const models = ["gpt-4o", "claude-sonnet-4-5", "claude-haiku-4-5"];
    // Repeating costs, statuses, models and latencies: most pages end inside a run of equal values.
    const data = Array.from({ length: 11 }, (_, i) => ({
      id: `sort-${key.id}-${String(i).padStart(2, "0")}`,
      apiKeyId: key.id,
      tenantId,
      createdAt: new Date(base + i * 60_000),
      model: models[i % 3]!,
      provider: "ANTHROPIC" as const,
      endpoint: "/v1/messages",
      stream: false,
      status: [200, 200, 429, 500][i % 4]!,
      inputTokens: (i * 7) % 5,
      outputTokens: 1_000 * (i % 2),
      cacheReadTokens: i === 4 ? 2_000_000_000 : 0,
      costMicros: BigInt([0, 250, 250, 1_000_000][i % 4]!),
      latencyMs: 100 * (i % 3),
    }));
    await db.requestLog.createMany({ data });
    const caller = callerFor(viewer);
    const value = {
      time: (r: (typeof data)[number]) => r.createdAt.getTime(),
      cost: (r: (typeof data)[number]) => Number(r.costMicros),
      tokens: (r: (typeof data)[number]) => r.inputTokens + r.outputTokens + r.cacheReadTokens,
      status: (r: (typeof data)[number]) => r.status,
      model: (r: (typeof data)[number]) => r.model,
      latency: (r: (typeof data)[number]) => r.latencyMs,
    };
    for (const sortKey of Object.keys(value) as (keyof typeof value)[]) {
      for (const dir of ["asc", "desc"] as const) {
        const sign = dir === "asc" ? 1 : -1;
        const expected = [...data]
          .sort((a, b) => {
            const va = value[sortKey](a);
            const vb = value[sortKey](b);
            if (va !== vb) return (va < vb ? -1 : 1) * sign;
            // Ties by time, the same way (time order has none: every row has its own minute).
            return (a.createdAt.getTime() - b.createdAt.getTime()) * sign;
          })
          .map((r) => r.id);
        const seen: string[] = [];
        let cursor: string | null = null;
        for (let pages = 0; pages < 10; pages++) {
          const page: Awaited<ReturnType<typeof caller.apiKey.requestLog>> = await caller.apiKey.requestLog({
            tenantId,
            keyId: key.id,
            sort: { key: sortKey, dir },
            cursor,
            limit: 3,
          });
          seen.push(...page.rows.map((r) => r.id));
          cursor = page.nextCursor;
          if (!cursor) break;
        }
        expect(seen, `${sortKey} ${dir}`).toEqual(expected);
      }
    }

    // Filters still apply under a sort; a row that arrives between two pages shifts nothing already seen.
    const first = await caller.apiKey.requestLog({ tenantId, keyId: key.id, sort: { key: "cost", dir: "desc" }, filter: { statusClass: "2xx" }, limit: 2 });
    expect(first.rows.map((r) => r.costMicros)).toEqual([250, 250]);
    await db.requestLog.create({
      data: { ...data[0]!, id: `sort-${key.id}-new`, createdAt: new Date(base + 99 * 60_000), costMicros: 5_000_000n },
    });
    const rest = await caller.apiKey.requestLog({
      tenantId,
      keyId: key.id,
      sort: { key: "cost", dir: "desc" },
      filter: { statusClass: "2xx" },
      cursor: first.nextCursor,
      limit: 50,
    });
    expect(rest.rows.every((r) => r.status === 200 && r.costMicros <= 250)).toBe(true);
    expect(rest.rows.map((r) => r.id)).not.toContain(`sort-${key.id}-new`);
    expect([...first.rows, ...rest.rows]).toHaveLength(data.filter((r) => r.status === 200).length);

    // A cursor belongs to its order; anything else is refused, not misread.
    const byTokens = await caller.apiKey.requestLog({ tenantId, keyId: key.id, sort: { key: "tokens", dir: "desc" }, limit: 2 });
    expect(byTokens.rows[0]!.cacheReadTokens).toBe(2_000_000_000);
    expect(await codeOf(caller.apiKey.requestLog({ tenantId, keyId: key.id, sort: { key: "cost", dir: "desc" }, cursor: byTokens.nextCursor }))).toBe("BAD_REQUEST");
    expect(await codeOf(caller.apiKey.requestLog({ tenantId, keyId: key.id, sort: { key: "cost", dir: "up" as "asc" } }))).toBe("BAD_REQUEST");
  });
});
