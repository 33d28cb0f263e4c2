/**
 * Cost-cap and budget alerts against the real Postgres and Redis: 80 % / 100 % once per period,
 * audit entries, signed webhooks received once, retries with backoff, concurrent deliverers.
 */
import { createHmac, randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  activeAlerts,
  createAlertRunner,
  deliverWebhooks,
  evaluateAlerts,
  verifyWebhookSignature,
  type AlertWebhookPayload,
} from "~/alerts";
import { resetEnvCache } from "~/infra/env";
import { flushOnce, recordRequest, type FlushResult } from "~/ledger";
import { encryptCredential } from "~/relay/credentials";
import { db } from "~/infra/db";
import { redis } from "~/infra/redis";
import { requestEvent, STREAM_BASIC_COST_MICROS } from "../helpers/events";
import { createTenantWithKey } from "../helpers/fixtures-db";

const COST = STREAM_BASIC_COST_MICROS;
const SECRET = "whsec_integration-test-secret";

const event = (tenantId: string, apiKeyId: string) => requestEvent(tenantId, apiKeyId);

/** Records and flushes; the result names only this test's key and tenant (the flush also moves
 * other test files' leftover events, whose alerts are not this test's business). */
async function spend(tenantId: string, apiKeyId: string, requests: number): Promise<FlushResult> {
  for (let i = 0; i < requests; i++) await recordRequest(event(tenantId, apiKeyId));
  const r = await flushOnce();
  return { ...r, apiKeyIds: r.apiKeyIds.filter((k) => k === apiKeyId), tenantIds: r.tenantIds.filter((t) => t === tenantId) };
}

interface Received {
  body: string;
  payload: AlertWebhookPayload;
  headers: http.IncomingHttpHeaders;
  /** Checked with a plain HMAC here, independent of the module's verifier. */
  signatureValid: boolean;
}

/** A webhook receiver on 127.0.0.1 that checks signatures; `respond` picks each status. */
async function receiver(respond: (n: number) => number | Promise<number> = () => 200) {
  const received: Received[] = [];
  let n = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const raw = Buffer.concat(chunks);
        const body = raw.toString("utf8");
        const expected = `sha256=${createHmac("sha256", SECRET).update(raw).digest("hex")}`;
        received.push({
          body,
          payload: JSON.parse(body) as AlertWebhookPayload,
          headers: req.headers,
          signatureValid: req.headers["x-metergate-signature"] === expected,
        });
        const status = await respond(n++);
        res.writeHead(status, { "content-type": "text/plain" }).end(status < 300 ? "ok" : "nope");
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/metergate`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

type Receiver = Awaited<ReturnType<typeof receiver>>;
const receivers: Receiver[] = [];
async function openReceiver(respond?: (n: number) => number | Promise<number>): Promise<Receiver> {
  const r = await receiver(respond);
  receivers.push(r);
  return r;
}

async function tenantWithWebhook(url: string | null, name = "alerts") {
  const { tenant, key } = await createTenantWithKey(name);
  await db.tenant.update({ where: { id: tenant.id }, data: { webhookUrl: url, webhookSecretEnc: url ? encryptCredential(SECRET) : null } });
  return { tenant, key };
}

const auditOf = (tenantId: string) =>
  db.auditLog.findMany({ where: { tenantId, action: { startsWith: "alert." } }, orderBy: { createdAt: "asc" } });

// The receivers listen on loopback, which the egress policy refuses unless the operator allows it.
beforeAll(() => {
  vi.stubEnv("EGRESS_ALLOW_CIDRS", "127.0.0.1/32");
  resetEnvCache();
});

afterAll(async () => {
  vi.unstubAllEnvs();
  resetEnvCache();
  await Promise.all(receivers.map((r) => r.close()));
  await db.$disconnect();
  redis.disconnect();
});

describe("alerts", () => {
  it("a daily cap crossing 80 % then 100 %: one alert each, audited, a signed webhook once per alert", async () => {
    const hook = await openReceiver();
    const { tenant, key } = await tenantWithWebhook(hook.url);
    await db.apiKey.update({ where: { id: key.id }, data: { dailyCostMicros: 100_000 } });

    // 5 requests = 79 035 µ$: below 80 %.
    let r = await spend(tenant.id, key.id, 5);
    expect(r.apiKeyIds).toContain(key.id);
    expect((await evaluateAlerts(r)).created).toEqual([]);

    // 6 = 94 842: 80 %.
    r = await spend(tenant.id, key.id, 1);
    const first = await evaluateAlerts(r);
    expect(first.created).toHaveLength(1);
    expect(first.created[0]).toMatchObject({
      tenantId: tenant.id, apiKeyId: key.id, scope: `key:${key.id}`, kind: "cost_daily", threshold: 80,
      spentMicros: 6 * COST, capMicros: 100_000, queued: true,
    });
    expect(first.created[0]!.periodId).toMatch(/^d\d{8}$/);
    let d = await deliverWebhooks();
    expect(d.outcomes.filter((o) => o.ok).map((o) => o.alertId)).toContain(first.created[0]!.id);
    expect(hook.received).toHaveLength(1);

    // Evaluating and delivering again sends nothing new.
    expect((await evaluateAlerts(r)).created).toEqual([]);
    expect((await evaluateAlerts({ apiKeyIds: [key.id], tenantIds: [tenant.id] })).created).toEqual([]);
    await deliverWebhooks();
    expect(hook.received).toHaveLength(1);

    // 7 = 110 649: 100 %.
    r = await spend(tenant.id, key.id, 1);
    const second = await evaluateAlerts(r);
    expect(second.created.map((a) => a.threshold)).toEqual([100]);
    d = await deliverWebhooks();
    expect(hook.received).toHaveLength(2);

    // More spend, more flushes and evaluations: nothing re-sent.
    for (let i = 0; i < 2; i++) {
      r = await spend(tenant.id, key.id, 1);
      expect((await evaluateAlerts(r)).created).toEqual([]);
      await deliverWebhooks();
    }
    expect(hook.received).toHaveLength(2);

    const alerts = await db.alert.findMany({ where: { tenantId: tenant.id }, orderBy: { threshold: "asc" } });
    expect(alerts.map((a) => [a.kind, a.threshold, a.attempts, a.deliveredAt !== null])).toEqual([
      ["cost_daily", 80, 1, true],
      ["cost_daily", 100, 1, true],
    ]);

    for (const [i, got] of hook.received.entries()) {
      const alert = alerts[i]!;
      expect(got.signatureValid).toBe(true);
      expect(verifyWebhookSignature(got.body, SECRET, got.headers["x-metergate-signature"] as string)).toBe(true);
      expect(got.headers["content-type"]).toBe("application/json");
      expect(got.headers["x-metergate-alert-id"]).toBe(alert.id);
      expect(Number(got.headers["x-metergate-timestamp"])).toBeGreaterThan(1_700_000_000);
      expect(got.payload).toEqual({
        id: alert.id,
        type: "metergate.alert",
        tenantId: tenant.id,
        apiKeyId: key.id,
        kind: "cost_daily",
        threshold: alert.threshold,
        periodId: alert.periodId,
        spentMicros: Number(alert.spentMicros),
        capMicros: 100_000,
        createdAt: alert.createdAt.toISOString(),
      });
    }

    const audit = await auditOf(tenant.id);
    expect(audit.map((a) => [a.action, a.actorId, a.target])).toEqual([
      ["alert.cost_80", null, key.id],
      ["alert.cost_100", null, key.id],
    ]);
    expect(audit[0]!.details).toMatchObject({ alertId: alerts[0]!.id, kind: "cost_daily", threshold: 80, capMicros: 100_000 });

    // The banner: the highest threshold of the running day, with the key's name; gone tomorrow.
    const active = await activeAlerts(tenant.id);
    expect(active).toEqual([
      expect.objectContaining({ id: alerts[1]!.id, kind: "cost_daily", threshold: 100, apiKeyId: key.id, keyName: key.name }),
    ]);
    expect(await activeAlerts(tenant.id, { now: Date.now() + 2 * 86_400_000 })).toEqual([]);
  });

  it("concurrent evaluations insert each alert once, with one audit entry", async () => {
    const { tenant, key } = await tenantWithWebhook(null);
    await db.apiKey.update({ where: { id: key.id }, data: { weeklyCostMicros: 30_000, monthlyCostMicros: 1_000_000 } });
    const r = await spend(tenant.id, key.id, 2); // 31 614 ≥ 100 % of the weekly cap
    const runs = await Promise.all(Array.from({ length: 5 }, () => evaluateAlerts(r)));
    const created = runs.flatMap((x) => x.created);
    expect(created.map((a) => `${a.kind}:${a.threshold}`).sort()).toEqual(["cost_weekly:100", "cost_weekly:80"]);
    expect(created.every((a) => !a.queued)).toBe(true); // no webhook configured
    expect(await db.alert.count({ where: { tenantId: tenant.id } })).toBe(2);
    expect((await auditOf(tenant.id)).map((a) => a.action).sort()).toEqual(["alert.cost_100", "alert.cost_80"]);
    const rows = await db.alert.findMany({ where: { tenantId: tenant.id } });
    expect(rows.every((a) => a.nextAttemptAt === null && a.periodId.startsWith("w"))).toBe(true);
  });

  it("a failed delivery is retried after the backoff, then delivered", async () => {
    const hook = await openReceiver((n) => (n === 0 ? 500 : 200));
    const { tenant, key } = await tenantWithWebhook(hook.url);
    await db.apiKey.update({ where: { id: key.id }, data: { totalCostMicros: 35_000 } });
    const t0 = Date.now();
    const r = await spend(tenant.id, key.id, 2); // 31 614 = 90 %
    const { created } = await evaluateAlerts(r, { now: t0 });
    expect(created.map((a) => [a.kind, a.threshold, a.periodId])).toEqual([["cost_total", 80, "all@35000"]]);
    const id = created[0]!.id;

    const d1 = await deliverWebhooks({ now: t0, random: () => 0.5 });
    expect(d1.outcomes.find((o) => o.alertId === id)).toMatchObject({ ok: false, status: 500, attempt: 1 });
    let row = await db.alert.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ attempts: 1, deliveredAt: null, lastError: "HTTP 500" });
    expect(row.nextAttemptAt?.getTime()).toBe(t0 + 10_000);

    // Not due yet.
    await deliverWebhooks({ now: t0 + 9_000 });
    expect(hook.received).toHaveLength(1);

    const d2 = await deliverWebhooks({ now: t0 + 10_000 });
    expect(d2.outcomes.find((o) => o.alertId === id)).toMatchObject({ ok: true, status: 200, attempt: 2 });
    row = await db.alert.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ attempts: 2, lastError: null, nextAttemptAt: null });
    expect(row.deliveredAt?.getTime()).toBe(t0 + 10_000);

    // Same alert id and body both times: the receiver dedupes on it.
    expect(hook.received).toHaveLength(2);
    expect(hook.received.map((x) => x.headers["x-metergate-alert-id"])).toEqual([id, id]);
    expect(hook.received[1]!.body).toBe(hook.received[0]!.body);
    expect(hook.received.every((x) => x.signatureValid)).toBe(true);

    await deliverWebhooks({ now: t0 + 3_600_000 });
    expect(hook.received).toHaveLength(2);
  });

  it("gives up after the maximum number of attempts", async () => {
    const hook = await openReceiver(() => 503);
    const { tenant, key } = await tenantWithWebhook(hook.url);
    await db.apiKey.update({ where: { id: key.id }, data: { totalCostMicros: 10_000 } });
    const t0 = Date.now();
    const { created } = await evaluateAlerts(await spend(tenant.id, key.id, 1), { now: t0 });
    expect(created).toHaveLength(2);
    let t = t0;
    for (let i = 0; i < 4; i++) {
      await deliverWebhooks({ now: t, maxAttempts: 3 });
      t += 3_600_000;
    }
    expect(hook.received).toHaveLength(6); // 2 alerts × 3 attempts
    const rows = await db.alert.findMany({ where: { tenantId: tenant.id } });
    expect(rows.every((a) => a.attempts === 3 && a.nextAttemptAt === null && a.deliveredAt === null)).toBe(true);
    expect(rows.every((a) => a.lastError === "HTTP 503")).toBe(true);
  });

  it("a tenant's monthly budget over all its keys alerts per tenant", async () => {
    const hook = await openReceiver();
    const a = await tenantWithWebhook(hook.url, "budget-a");
    const keyB = await db.apiKey.create({
      data: { tenantId: a.tenant.id, name: "second", keyHash: `h-${randomUUID()}`, keyPrefix: "mg-x" },
    });
    await db.tenant.update({ where: { id: a.tenant.id }, data: { monthlyBudgetMicros: 50_000 } });
    // A second tenant with a budget in the same month must get its own alert.
    const other = await tenantWithWebhook(hook.url, "budget-b");
    await db.tenant.update({ where: { id: other.tenant.id }, data: { monthlyBudgetMicros: 10_000 } });

    await recordRequest(event(a.tenant.id, a.key.id));
    await recordRequest(event(a.tenant.id, a.key.id));
    await recordRequest(event(a.tenant.id, keyB.id));
    await recordRequest(event(other.tenant.id, other.key.id));
    const r = await flushOnce();
    const { created } = await evaluateAlerts(r);
    const mine = created.filter((c) => c.tenantId === a.tenant.id);
    expect(mine.map((c) => [c.scope, c.kind, c.threshold, c.apiKeyId, c.spentMicros])).toEqual([
      [`tenant:${a.tenant.id}`, "tenant_budget", 80, null, 3 * COST],
    ]);
    expect(mine[0]!.periodId).toMatch(/^m\d{6}$/);
    expect(created.filter((c) => c.tenantId === other.tenant.id).map((c) => c.threshold)).toEqual([80, 100]);
    expect((await auditOf(a.tenant.id)).map((x) => [x.action, x.target])).toEqual([["alert.budget_80", a.tenant.id]]);

    await deliverWebhooks();
    const got = hook.received.filter((x) => x.payload.tenantId === a.tenant.id);
    expect(got).toHaveLength(1);
    expect(got[0]!.payload).toMatchObject({ kind: "tenant_budget", apiKeyId: null, threshold: 80, capMicros: 50_000 });
    expect(got[0]!.signatureValid).toBe(true);
    expect(hook.received.filter((x) => x.payload.tenantId === other.tenant.id)).toHaveLength(2);

    expect(await activeAlerts(a.tenant.id)).toEqual([
      expect.objectContaining({ kind: "tenant_budget", threshold: 80, apiKeyId: null, keyName: null }),
    ]);
  });

  it("two concurrent deliverers send each alert exactly once", async () => {
    // A slow receiver, so both deliverers are mid-flight at the same time.
    const hook = await openReceiver(() => new Promise<number>((resolve) => setTimeout(() => resolve(200), 150)));
    const { tenant, key } = await tenantWithWebhook(hook.url);
    const now = new Date();
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const a = await db.alert.create({
        data: {
          tenantId: tenant.id, scope: `key:${key.id}`, apiKeyId: key.id, kind: "cost_daily", threshold: 80,
          periodId: `d-test-${i}`, spentMicros: 80n, capMicros: 100n, createdAt: now, nextAttemptAt: now,
        },
      });
      ids.push(a.id);
    }
    const runs = await Promise.all([deliverWebhooks({ batchSize: 5 }), deliverWebhooks({ batchSize: 5 })]);
    const mine = runs.flatMap((x) => x.outcomes).filter((o) => ids.includes(o.alertId));
    expect(mine).toHaveLength(12);
    expect(mine.every((o) => o.ok)).toBe(true);
    expect(runs.every((x) => x.outcomes.some((o) => ids.includes(o.alertId)))).toBe(true); // both did work
    expect(hook.received.map((x) => x.payload.id).sort()).toEqual([...ids].sort());
    const rows = await db.alert.findMany({ where: { id: { in: ids } } });
    expect(rows.every((a) => a.attempts === 1 && a.deliveredAt !== null)).toBe(true);
  });

  it("the flush-loop runner evaluates what a flush touched, then delivers", async () => {
    const hook = await openReceiver();
    const { tenant, key } = await tenantWithWebhook(hook.url);
    await db.apiKey.update({ where: { id: key.id }, data: { monthlyCostMicros: 20_000 } });
    const runner = createAlertRunner();
    const r = await spend(tenant.id, key.id, 1); // 15 807 = 79 %
    runner.afterFlush(r);
    await runner.idle();
    expect(hook.received).toHaveLength(0);

    runner.afterFlush(await spend(tenant.id, key.id, 1)); // 158 %
    runner.afterFlush({ apiKeyIds: [key.id], tenantIds: [] }); // while a pass runs: folded into the next
    await runner.idle();
    expect(hook.received.map((x) => [x.payload.kind, x.payload.threshold]).sort()).toEqual([
      ["cost_monthly", 100],
      ["cost_monthly", 80],
    ]);
    expect(hook.received.every((x) => x.signatureValid)).toBe(true);
    expect(await db.alert.count({ where: { tenantId: tenant.id, deliveredAt: { not: null } } })).toBe(2);
  });
});
