/**
 * The portal (tRPC) and the operator CLI write keys through the same operations (src/keys):
 * creating and revoking a key each way leaves audit rows with the same action and the same shape.
 * The only difference is the actor: a user id from the portal, `details.via: "cli"` from the CLI.
 * The CLI runs as a real process against the test database (env from the vitest setup).
 */
import { randomUUID } from "node:crypto";
import type { Session } from "next-auth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyStateKey } from "~/ledger/key-state";
import { createCaller } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";
import { db } from "~/infra/db";
import { redis } from "~/infra/redis";
import { runCli as cli } from "../helpers/cli";

/** Each CLI run starts tsx and Prisma: seconds on a loaded machine. */
const CLI_TEST_MS = 120_000;

async function cliJson<T>(...args: string[]): Promise<T> {
  const run = await cli(...args);
  expect(run.err).toBe("");
  expect(run.code).toBe(0);
  return JSON.parse(run.out) as T;
}

/** An audit row without what identifies the actor (actorId, details.via) or the row itself; no details = null. */
async function auditShape(target: string, action: string) {
  const rows = await db.auditLog.findMany({ where: { target, action } });
  expect(rows).toHaveLength(1);
  const { id: _id, createdAt: _at, actorId, details, ...row } = rows[0]!;
  const { via, ...rest } = (details ?? {}) as Record<string, unknown>;
  return { row, actorId, via, details: Object.keys(rest).length === 0 ? null : rest };
}

let tenantId: string;
let slug: string;
let owner: { id: string; email: string };
let portal: ReturnType<typeof createCaller>;

beforeAll(async () => {
  slug = `cli-audit-${randomUUID().slice(0, 8)}`;
  const tenant = await db.tenant.create({ data: { name: "CLI audit", slug } });
  tenantId = tenant.id;
  owner = await db.user.create({ data: { email: `owner-${randomUUID()}@example.com`, passwordHash: "x" }, select: { id: true, email: true } });
  await db.membership.create({ data: { userId: owner.id, tenantId, role: "OWNER" } });
  const session: Session = { user: { id: owner.id, email: owner.email }, expires: new Date(Date.now() + 3_600_000).toISOString() };
  portal = createCaller(createTRPCContext({ headers: new Headers(), session }));
});

afterAll(async () => {
  await db.auditLog.deleteMany({ where: { tenantId } });
  await db.tenant.delete({ where: { id: tenantId } });
  await db.user.delete({ where: { id: owner.id } });
});

describe("CLI and portal write keys the same way", () => {
  let portalKeyId: string;
  let cliKeyId: string;

  it("key create: same action, same row shape", async () => {
    portalKeyId = (await portal.apiKey.create({ tenantId, name: "from-portal" })).id;
    const created = await cliJson<{ id: string; key: string }>("key", "create", "--tenant", slug, "--name", "from-cli");
    cliKeyId = created.id;
    expect(created.key).toMatch(/^mg-/);

    const fromPortal = await auditShape(portalKeyId, "apiKey.create");
    const fromCli = await auditShape(cliKeyId, "apiKey.create");
    expect(fromCli.row).toEqual({ ...fromPortal.row, target: cliKeyId });
    expect(fromCli.row).toEqual({ tenantId, action: "apiKey.create", target: cliKeyId });
    expect(fromCli.details).toEqual(fromPortal.details);
    expect([fromPortal.actorId, fromPortal.via]).toEqual([owner.id, undefined]);
    expect([fromCli.actorId, fromCli.via]).toEqual([null, "cli"]);
    // The CLI's old name is gone.
    expect(await db.auditLog.count({ where: { tenantId, action: "key.create" } })).toBe(0);
  }, CLI_TEST_MS);

  it("key revoke: same action, same row shape, and both mark the key revoked in Redis", async () => {
    await portal.apiKey.revoke({ tenantId, keyId: portalKeyId });
    const revoked = await cliJson<{ id: string; revokedAt: string }>("key", "revoke", "--id", cliKeyId);
    expect(revoked.id).toBe(cliKeyId);

    const fromPortal = await auditShape(portalKeyId, "apiKey.revoke");
    const fromCli = await auditShape(cliKeyId, "apiKey.revoke");
    expect(fromCli.row).toEqual({ ...fromPortal.row, target: cliKeyId });
    expect(fromCli.details).toEqual(fromPortal.details);
    expect([fromCli.actorId, fromCli.via]).toEqual([null, "cli"]);

    const keys = await db.apiKey.findMany({ where: { id: { in: [portalKeyId, cliKeyId] } }, select: { id: true, revokedAt: true, revokedByRole: true } });
    expect(keys.every((k) => k.revokedAt !== null && k.revokedByRole === "OWNER")).toBe(true);
    for (const id of [portalKeyId, cliKeyId]) {
      expect(await redis.hexists(keyStateKey({ apiKeyId: id, tenantId }), "revoked")).toBe(1);
    }
  }, CLI_TEST_MS);

  it("key limits: the CLI writes the portal's apiKey.limits entry; out-of-range flags are refused with the portal's bounds", async () => {
    const ok = await cliJson<Record<string, unknown>>("key", "limits", "--id", cliKeyId, "--max-concurrency", "4", "--daily-usd", "2.5");
    expect(ok).toMatchObject({ id: cliKeyId, maxConcurrency: 4, dailyCostMicros: "2500000" });
    const entry = await auditShape(cliKeyId, "apiKey.limits");
    expect(entry.via).toBe("cli");
    expect(entry.details).toEqual({ changes: { maxConcurrency: { from: null, to: 4 }, dailyCostMicros: { from: null, to: "2500000" } } });

    const refused = await cli("key", "limits", "--id", cliKeyId, "--max-concurrency", "10001");
    expect(refused.code).toBe(1);
    expect(refused.err).toContain("--max-concurrency: At most 10000");
  }, CLI_TEST_MS);

  it("reprice --tenant: an unknown tenant is refused, not answered with an empty report", async () => {
    const refused = await cli("reprice", "--tenant", "no-such-tenant", "--dry-run");
    expect(refused.code).toBe(1);
    expect(refused.err).toContain("no such tenant");
  }, CLI_TEST_MS);
});
