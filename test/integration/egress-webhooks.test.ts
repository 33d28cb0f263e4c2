/**
 * Egress for alert webhooks (a blind SSRF before: the POST reached loopback and Redis) and the
 * webhook signing secret at rest. Receivers are loopback listeners (ports 5166-5169) recording
 * whether they were reached; the allowlist is off, then on.
 */
import { randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import type { Session } from "next-auth";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createAlertRunner, deliverWebhooks, verifyWebhookSignature } from "~/alerts";
import { encryptLegacyWebhookSecrets } from "~/alerts/secret";
import type { EgressLookup } from "~/egress";
import { resetEnvCache } from "~/infra/env";
import { decryptCredential, isEncryptedCredential } from "~/relay/credentials";
import { createCaller } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";
import { db } from "~/infra/db";
import { createLogger } from "~/infra/observability/logger";
import { redis } from "~/infra/redis";
import { createTenantWithKey } from "../helpers/fixtures-db";
import { startLoopbackListener, type LoopbackListener } from "../helpers/loopback-listener";

const PORT = 5166;
const PORT_V6 = 5167;
const REDIS_LIKE_PORT = 5168;

function allowlist(cidrs: string | null, hosts: string | null = null): void {
  vi.unstubAllEnvs();
  if (cidrs !== null) vi.stubEnv("EGRESS_ALLOW_CIDRS", cidrs);
  if (hosts !== null) vi.stubEnv("EGRESS_ALLOW_HOSTS", hosts);
  resetEnvCache();
}

let receiver: LoopbackListener;
let receiverV6: LoopbackListener;
let redisLike: LoopbackListener;

beforeAll(async () => {
  receiver = await startLoopbackListener(PORT);
  receiverV6 = await startLoopbackListener(PORT_V6, "::1");
  redisLike = await startLoopbackListener(REDIS_LIKE_PORT);
});

afterEach(() => {
  allowlist(null);
  for (const l of [receiver, receiverV6, redisLike]) l.hits.length = 0;
});

afterAll(async () => {
  vi.unstubAllEnvs();
  resetEnvCache();
  await Promise.all([receiver.close(), receiverV6.close(), redisLike.close()]);
  await db.$disconnect();
  redis.disconnect();
});

async function tenantWithAdmin(name: string) {
  const { tenant } = await createTenantWithKey(name);
  const user = await db.user.create({ data: { email: `egress-wh-${randomUUID()}@example.com`, passwordHash: "x" } });
  await db.membership.create({ data: { userId: user.id, tenantId: tenant.id, role: "ADMIN" } });
  const session: Session = { user: { id: user.id, email: user.email }, expires: new Date(Date.now() + 3_600_000).toISOString() };
  return { tenant, admin: createCaller(createTRPCContext({ headers: new Headers(), session })) };
}

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string } | null> {
  try {
    await p;
    return null;
  } catch (err) {
    if (err instanceof TRPCError) return { code: err.code, message: err.message };
    throw err;
  }
}

/** An alert due now for the tenant; deliverWebhooks picks it up. */
async function dueAlert(tenantId: string) {
  return db.alert.create({
    data: {
      tenantId,
      scope: `tenant:${tenantId}`,
      kind: "tenant_budget",
      threshold: 80,
      periodId: `egress-${randomUUID()}`,
      spentMicros: 80n,
      capMicros: 100n,
      nextAttemptAt: new Date(Date.now() - 1_000),
    },
  });
}

const outcomeOf = async (alertId: string, deps: Parameters<typeof deliverWebhooks>[0] = {}) =>
  (await deliverWebhooks(deps)).outcomes.find((o) => o.alertId === alertId);

describe("webhook URL at save time (settings.update)", () => {
  it("refuses loopback, metadata, private and credential URLs; loopback is accepted once allowlisted", async () => {
    const { tenant, admin } = await tenantWithAdmin("wh-save");
    const refused = [
      `http://127.0.0.1:${PORT}/hook`,
      `http://[::1]:${PORT_V6}/hook`,
      `http://localhost:${PORT}/hook`,
      `http://2130706433:${REDIS_LIKE_PORT}/`,
      "http://169.254.169.254/latest/meta-data/",
      "http://10.0.0.5/hook",
      "http://[fd00::1]/hook",
    ];
    for (const webhookUrl of refused) {
      const r = await refusal(admin.settings.update({ tenantId: tenant.id, webhookUrl }));
      expect(r, webhookUrl).toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/does not connect there/) });
    }
    for (const webhookUrl of ["https://admin:hunter2-wh@hooks.example/x", "https://hooks.example/x#frag"]) {
      expect(await refusal(admin.settings.update({ tenantId: tenant.id, webhookUrl })), webhookUrl).toMatchObject({ code: "BAD_REQUEST" });
    }
    expect((await db.tenant.findUniqueOrThrow({ where: { id: tenant.id } })).webhookUrl).toBeNull();

    allowlist("127.0.0.1/32");
    expect(await refusal(admin.settings.update({ tenantId: tenant.id, webhookUrl: `http://127.0.0.1:${PORT}/hook` }))).toBeNull();
    expect(await refusal(admin.settings.update({ tenantId: tenant.id, webhookUrl: `http://[::1]:${PORT_V6}/hook` }))).toMatchObject({ code: "BAD_REQUEST" });
  });

  it("the audit log keeps a webhook URL's query names, not its values", async () => {
    const { tenant, admin } = await tenantWithAdmin("wh-audit");
    await admin.settings.update({ tenantId: tenant.id, webhookUrl: "https://hooks.example/x?token=tok-secret-value" });
    const audit = await db.auditLog.findFirstOrThrow({ where: { tenantId: tenant.id, action: "tenant.settings" } });
    expect(audit.details).toEqual({ changes: { webhookUrl: { from: null, to: "https://hooks.example/x?token=[redacted]" } } });
    expect(JSON.stringify(audit)).not.toContain("tok-secret-value");
    // The admin's own form still shows it (settings are admin-only).
    expect((await admin.settings.get({ tenantId: tenant.id })).webhookUrl).toBe("https://hooks.example/x?token=tok-secret-value");
  });
});

describe("webhook delivery (use and connect time)", () => {
  it("a stored loopback URL (blind SSRF) is not POSTed to, unless allowlisted; then it is signed with the encrypted secret", async () => {
    const { tenant, admin } = await tenantWithAdmin("wh-deliver");
    const { secret } = await admin.settings.rotateWebhookSecret({ tenantId: tenant.id });
    // Saved before the policy existed (or edited in the database).
    await db.tenant.update({ where: { id: tenant.id }, data: { webhookUrl: `http://127.0.0.1:${PORT}/hook` } });
    const alert = await dueAlert(tenant.id);
    const refused = await outcomeOf(alert.id);
    expect(refused).toMatchObject({ ok: false, status: null });
    expect(refused!.error).toMatch(/refused.*loopback/);
    expect(receiver.hits).toHaveLength(0);

    allowlist("127.0.0.1/32");
    await db.alert.update({ where: { id: alert.id }, data: { nextAttemptAt: new Date(Date.now() - 1_000) } });
    expect(await outcomeOf(alert.id)).toMatchObject({ ok: true, status: 200 });
    expect(receiver.hits).toHaveLength(1);
    const hit = receiver.hits[0]!;
    expect(verifyWebhookSignature(hit.body, secret, hit.headers["x-metergate-signature"] as string)).toBe(true);
  });

  it("every loopback spelling and a Redis-like port are refused before any connection", async () => {
    const { tenant } = await tenantWithAdmin("wh-forms");
    await db.tenant.update({ where: { id: tenant.id }, data: { webhookSecretEnc: "whsec_legacy-plaintext" } });
    for (const url of [
      `http://0x7f000001:${PORT}/`,
      `http://127.1:${PORT}/`,
      `http://[::ffff:127.0.0.1]:${PORT}/`,
      `http://[::1]:${PORT_V6}/`,
      `http://localhost:${PORT}/`,
      `http://0.0.0.0:${REDIS_LIKE_PORT}/`,
      `http://127.0.0.1:${REDIS_LIKE_PORT}/`,
    ]) {
      await db.tenant.update({ where: { id: tenant.id }, data: { webhookUrl: url } });
      const alert = await dueAlert(tenant.id);
      const o = await outcomeOf(alert.id);
      expect(o, url).toMatchObject({ ok: false });
      expect(o!.error, url).toMatch(/refused/);
    }
    expect(receiver.hits.length + receiverV6.hits.length + redisLike.hits.length).toBe(0);
  });

  it("DNS rebinding: a webhook host that now resolves to loopback is refused; an allowlisted host name is not", async () => {
    const { tenant, admin } = await tenantWithAdmin("wh-rebind");
    await admin.settings.rotateWebhookSecret({ tenantId: tenant.id });
    const webhookUrl = `http://hooks.rebind.example:${PORT}/hook`;
    expect(await refusal(admin.settings.update({ tenantId: tenant.id, webhookUrl }))).toBeNull();
    const lookup: EgressLookup = async () => [{ address: "127.0.0.1", family: 4 }];
    const alert = await dueAlert(tenant.id);
    const o = await outcomeOf(alert.id, { egress: { lookup } });
    expect(o!.error).toMatch(/hooks\.rebind\.example resolves to 127\.0\.0\.1 is a loopback address/);
    expect(receiver.hits).toHaveLength(0);

    allowlist(null, "hooks.rebind.example");
    await db.alert.update({ where: { id: alert.id }, data: { nextAttemptAt: new Date(Date.now() - 1_000) } });
    expect(await outcomeOf(alert.id, { egress: { lookup } })).toMatchObject({ ok: true });
    expect(receiver.hits).toHaveLength(1);
  });
});

describe("credentials in a stored webhook URL", () => {
  it("never reach the receiver, the alert row or the server log", async () => {
    allowlist("127.0.0.1/32");
    const { tenant, admin } = await tenantWithAdmin("wh-creds");
    await admin.settings.rotateWebhookSecret({ tenantId: tenant.id });
    await db.tenant.update({ where: { id: tenant.id }, data: { webhookUrl: `http://admin:hunter2-webhook@127.0.0.1:${PORT}/hook` } });
    const alert = await dueAlert(tenant.id);
    const lines: string[] = [];
    const log = createLogger({ level: "info", format: "json", destination: { write: (line: string) => void lines.push(line) } });
    const runner = createAlertRunner({ log });
    runner.afterFlush({ apiKeyIds: [], tenantIds: [] });
    await runner.idle();
    const row = await db.alert.findUniqueOrThrow({ where: { id: alert.id } });
    expect(row.lastError).toMatch(/Credentials in the URL/);
    expect(lines.join("")).toContain(alert.id);
    for (const text of [lines.join(""), row.lastError ?? ""]) {
      expect(text).not.toContain("hunter2-webhook");
      expect(text).not.toContain("admin:");
    }
    expect(receiver.hits).toHaveLength(0);
  });
});

describe("webhook signing secret at rest", () => {
  it("is stored as ciphertext, returned once, never by settings.get", async () => {
    const { tenant, admin } = await tenantWithAdmin("wh-secret");
    const { secret } = await admin.settings.rotateWebhookSecret({ tenantId: tenant.id });
    expect(secret).toMatch(/^whsec_/);
    const stored = (await db.tenant.findUniqueOrThrow({ where: { id: tenant.id } })).webhookSecretEnc!;
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain("whsec_");
    expect(isEncryptedCredential(stored)).toBe(true);
    expect(decryptCredential(stored)).toBe(secret);
    const settings = await admin.settings.get({ tenantId: tenant.id });
    expect(settings.hasWebhookSecret).toBe(true);
    expect(JSON.stringify(settings)).not.toContain(secret);
    expect(JSON.stringify(settings)).not.toContain(stored);
  });

  it("a legacy plaintext secret still signs, and is encrypted in place on first use or by the CLI", async () => {
    allowlist("127.0.0.1/32");
    const { tenant } = await tenantWithAdmin("wh-legacy");
    const legacy = `whsec_legacy-${randomUUID()}`;
    await db.tenant.update({ where: { id: tenant.id }, data: { webhookUrl: `http://127.0.0.1:${PORT}/hook`, webhookSecretEnc: legacy } });
    const alert = await dueAlert(tenant.id);
    expect(await outcomeOf(alert.id)).toMatchObject({ ok: true });
    expect(verifyWebhookSignature(receiver.hits[0]!.body, legacy, receiver.hits[0]!.headers["x-metergate-signature"] as string)).toBe(true);
    const after = (await db.tenant.findUniqueOrThrow({ where: { id: tenant.id } })).webhookSecretEnc!;
    expect(isEncryptedCredential(after)).toBe(true);
    expect(decryptCredential(after)).toBe(legacy);

    const { tenant: other } = await tenantWithAdmin("wh-legacy-cli");
    await db.tenant.update({ where: { id: other.id }, data: { webhookSecretEnc: "whsec_never-delivered" } });
    expect(await encryptLegacyWebhookSecrets(db)).toBeGreaterThanOrEqual(1);
    const converted = (await db.tenant.findUniqueOrThrow({ where: { id: other.id } })).webhookSecretEnc!;
    expect(decryptCredential(converted)).toBe("whsec_never-delivered");
  });
});
