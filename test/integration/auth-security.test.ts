/**
 * Sign-in throttling (Redis, per account and per IP, growing back-off, audited), the password
 * rule, sign-up limits, and server-side session revocation. Real Postgres and Redis.
 */
import { randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import type { JWT } from "next-auth/jwt";
import { afterAll, describe, expect, it } from "vitest";
import { createCaller } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";
import { authOptions } from "~/server/auth/config";
import { authenticate, passwordSchema, registerUser, SignInThrottledError } from "~/server/auth/credentials";
import { SessionRevokedError } from "~/server/auth/session-version";
import { SignInThrottle } from "~/server/auth/throttle";
import { db } from "~/infra/db";
import { redis } from "~/infra/redis";

afterAll(async () => {
  await db.$disconnect();
  redis.disconnect();
});

const PASSWORD = "a perfectly fine passphrase";
let ipCounter = 0;
/** A fresh client address per test: the IP throttle must not carry over between tests. */
const freshIp = () => `198.18.${Math.floor(++ipCounter / 250)}.${(ipCounter % 250) + 1}`;

async function newUser(): Promise<{ id: string; email: string }> {
  const email = `throttle-${randomUUID()}@example.com`;
  const user = await registerUser({ email, password: PASSWORD });
  return { id: user.id, email };
}

type Outcome = "ok" | "wrong" | "throttled";
async function tryPassword(email: string, password: string, ip: string | null, throttle?: SignInThrottle): Promise<Outcome> {
  try {
    return (await authenticate({ email, password }, ip, throttle)) ? "ok" : "wrong";
  } catch (error) {
    if (error instanceof SignInThrottledError) return "throttled";
    throw error;
  }
}

describe("sign-in throttling", () => {
  it("locks the account after a few wrong passwords, 20 in parallel included, and the right one waits too", async () => {
    const { email } = await newUser();
    const ip = freshIp();
    const parallel = await Promise.all(Array.from({ length: 20 }, () => tryPassword(email, "wrong password!", ip)));
    // Attempts are counted before the password is checked: only the first 5 are even tried.
    expect(parallel.filter((o) => o === "wrong")).toHaveLength(5);
    expect(parallel.filter((o) => o === "throttled")).toHaveLength(15);
    expect(await tryPassword(email, PASSWORD, freshIp())).toBe("throttled");
    const audit = await db.auditLog.findMany({ where: { action: "auth.lockout", target: email } });
    expect(audit).toHaveLength(1);
    expect(audit[0]?.details).toMatchObject({ kind: "account", clientIp: ip, lockedForSeconds: 30, level: 1 });
  });

  it("backs off longer with each lockout, and a success starts the account over", async () => {
    const { email } = await newUser();
    let now = Date.now();
    const throttle = new SignInThrottle(redis, () => now);
    const locks: number[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 5; i++) expect(await tryPassword(email, "wrong password!", null, throttle)).toBe("wrong");
      expect(await tryPassword(email, PASSWORD, null, throttle)).toBe("throttled");
      const entry = await db.auditLog.findFirst({ where: { action: "auth.lockout", target: email }, orderBy: { createdAt: "desc" } });
      locks.push((entry?.details as { lockedForSeconds: number }).lockedForSeconds);
      now += locks[round]! * 1000 + 1;
    }
    expect(locks).toEqual([30, 60, 120]);
    expect(await tryPassword(email, PASSWORD, null, throttle)).toBe("ok");
    // After a success: a full allowance again, and the next lockout is back at the first step.
    for (let i = 0; i < 5; i++) expect(await tryPassword(email, "wrong password!", null, throttle)).toBe("wrong");
    expect(await tryPassword(email, "wrong password!", null, throttle)).toBe("throttled");
  });

  it("limits one client IP across many accounts (unknown emails included), not other IPs", async () => {
    const ip = freshIp();
    const outcomes: Outcome[] = [];
    for (let i = 0; i < 32; i++) outcomes.push(await tryPassword(`nobody-${randomUUID()}@example.com`, "guess guess guess", ip));
    expect(outcomes.slice(0, 30).every((o) => o === "wrong")).toBe(true);
    expect(outcomes.slice(30)).toEqual(["throttled", "throttled"]);
    const { email } = await newUser();
    expect(await tryPassword(email, PASSWORD, ip)).toBe("throttled");
    expect(await tryPassword(email, PASSWORD, freshIp())).toBe("ok");
    expect(await db.auditLog.count({ where: { action: "auth.lockout", target: ip } })).toBe(1);
  });

  it("does not let successful sign-ins from an IP use up its allowance", async () => {
    const { email } = await newUser();
    const ip = freshIp();
    for (let i = 0; i < 40; i++) expect(await tryPassword(email, PASSWORD, ip)).toBe("ok");
  });
});

describe("password rule", () => {
  it.each([
    ["password", false],
    ["12345678", false],
    ["        ", false],
    ["          x", false],
    ["aaaaaaaaaaaa", false],
    ["password123", false],
    ["Qwertyuiop", false],
    ["1234567890", false],
    ["correct horse battery staple", true],
    ["tr0ub4dor&3x", true],
  ])("%j → %s", (password, ok) => {
    expect(passwordSchema.safeParse(password).success).toBe(ok);
  });
});

describe("sign-up", () => {
  const callerFrom = (ip: string) => createCaller(createTRPCContext({ headers: new Headers({ "x-forwarded-for": ip }), session: null }));

  it("is rate-limited per client IP", async () => {
    const ip = freshIp();
    const codes: string[] = [];
    for (let i = 0; i < 12; i++) {
      try {
        await callerFrom(ip).auth.signUp({ email: `su-${randomUUID()}@example.com`, password: PASSWORD });
        codes.push("OK");
      } catch (error) {
        codes.push(error instanceof TRPCError ? error.code : "?");
      }
    }
    // SIGNUP_RATE_LIMIT_PER_HOUR defaults to 10.
    expect(codes.slice(0, 10).every((c) => c === "OK")).toBe(true);
    expect(codes.slice(10)).toEqual(["TOO_MANY_REQUESTS", "TOO_MANY_REQUESTS"]);
    await expect(callerFrom(freshIp()).auth.signUp({ email: `su-${randomUUID()}@example.com`, password: PASSWORD })).resolves.toBeTruthy();
  });

  it("refuses a common or short password with a field error", async () => {
    await expect(callerFrom(freshIp()).auth.signUp({ email: `su-${randomUUID()}@example.com`, password: "password123" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
  });
});

describe("sessions end server-side", () => {
  const jwt = authOptions.callbacks!.jwt! as (params: { token: JWT; user?: unknown; trigger?: string }) => Promise<JWT>;

  async function signedInToken(): Promise<{ token: JWT; userId: string }> {
    const { id, email } = await newUser();
    const user = await authenticate({ email, password: PASSWORD }, freshIp());
    expect(user).not.toBeNull();
    const token = await jwt({ token: { email }, user, trigger: "signIn" });
    await expect(jwt({ token })).resolves.toMatchObject({ uid: id });
    return { token, userId: id };
  }

  it("sign-out ends the session: the same JWT is refused afterwards", async () => {
    const { token } = await signedInToken();
    await authOptions.events!.signOut!({ token, session: undefined as never });
    await expect(jwt({ token })).rejects.toBeInstanceOf(SessionRevokedError);
  });

  it("removal from a tenant ends the removed user's sessions", async () => {
    const { token, userId } = await signedInToken();
    const owner = await newUser();
    const tenant = await db.tenant.create({ data: { name: "sess", slug: `sess-${randomUUID()}` } });
    await db.membership.createMany({ data: [ { userId: owner.id, tenantId: tenant.id, role: "OWNER" }, { userId, tenantId: tenant.id, role: "MEMBER" } ] });
    const session = { user: { id: owner.id, email: owner.email }, expires: new Date(Date.now() + 3_600_000).toISOString() };
    await createCaller(createTRPCContext({ headers: new Headers(), session })).member.remove({ tenantId: tenant.id, userId });
    await expect(jwt({ token })).rejects.toBeInstanceOf(SessionRevokedError);
  });

  it("a token without a user id is no session", async () => {
    await expect(jwt({ token: { email: "x@example.com" } })).rejects.toBeInstanceOf(SessionRevokedError);
  });
});
