/**
 * Exactly-once, proven by fault injection: real process kills between each step of the flush
 * protocol, a Postgres connection dropped mid-flush, a Redis restart between steps, and two
 * runners against one Redis and one Postgres under concurrent load.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { flushOnce, recordRequest, type RequestEvent } from "~/ledger";
import { db } from "~/infra/db";
import { redis } from "~/infra/redis";
import { createTenantWithKey } from "../helpers/fixtures-db";

const ROOT = path.resolve(import.meta.dirname, "../..");
const COST = 15807;

function event(tenantId: string, apiKeyId: string): RequestEvent {
  return {
    id: randomUUID(), apiKeyId, tenantId, model: "claude-sonnet-4-5", provider: "ANTHROPIC", endpoint: "/v1/messages",
    stream: true, status: 200, usage: { input: 472, output: 89, cacheWrite5m: 1024, cacheWrite1h: 1024, cacheRead: 10240 },
    usageSource: "UPSTREAM", startedAt: Date.now(), latencyMs: 10, ttfbMs: 2, clientIp: null, userAgent: null, error: null,
  };
}

function runChild(env: Record<string, string>): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "test/helpers/flush-child.ts"], {
      cwd: ROOT,
      env: { ...process.env, ...env },
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("exit", (code, signal) => resolve({ code, signal, out }));
  });
}

async function totals(tenantId: string) {
  const rows = await db.usageHourly.findMany({ where: { tenantId } });
  return {
    requests: rows.reduce((s, r) => s + Number(r.requests), 0),
    costMicros: rows.reduce((s, r) => s + Number(r.costMicros), 0),
    outputTokens: rows.reduce((s, r) => s + Number(r.outputTokens), 0),
    logs: await db.requestLog.count({ where: { tenantId } }),
  };
}

afterAll(async () => {
  await db.$disconnect();
  redis.disconnect();
});

describe("flush exactly once under faults", () => {
  for (const step of ["read", "committed", "acked"] as const) {
    it(`survives a SIGKILL of the flush process after "${step}"`, async () => {
      const { tenant, key } = await createTenantWithKey("kill");
      for (let i = 0; i < 40; i++) await recordRequest(event(tenant.id, key.id));
      const crashed = await runChild({ CRASH_AT: step, FLUSH_LOCK_TTL_MS: "1000" });
      expect(crashed.signal).toBe("SIGKILL");
      await new Promise((r) => setTimeout(r, 1100)); // the dead runner's lease expires
      const restarted = await runChild({ FLUSH_LOCK_TTL_MS: "1000" });
      expect(restarted.code, restarted.out).toBe(0);
      expect(await totals(tenant.id)).toEqual({ requests: 40, costMicros: 40 * COST, outputTokens: 40 * 89, logs: 40 });
    }, 60_000);
  }

  it("survives the Postgres connection being dropped in the middle of the flush statement", async () => {
    const { tenant, key } = await createTenantWithKey("pgdrop");
    for (let i = 0; i < 30; i++) await recordRequest(event(tenant.id, key.id));
    const locker = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await locker.connect();
    let terminated = 0;
    let killer: Promise<void> = Promise.resolve();
    const failure = await flushOnce({
      onStep: async (s) => {
        if (s !== "read") return;
        // Hold the rollup table so the flush statement blocks after inserting request logs,
        // then kill the flush's backend while its transaction is open.
        await locker.query("BEGIN");
        await locker.query('LOCK TABLE "UsageHourly" IN EXCLUSIVE MODE');
        killer = (async () => {
          for (let i = 0; i < 250 && terminated === 0; i++) {
            await new Promise((r) => setTimeout(r, 20));
            const res = await locker.query(
              `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
               WHERE datname = current_database() AND pid <> pg_backend_pid()
                 AND state = 'active' AND query LIKE '%jsonb_to_recordset%'`,
            );
            terminated = res.rowCount ?? 0;
          }
          await locker.query("COMMIT");
        })();
      },
    }).then(
      () => null,
      (e: unknown) => e,
    );
    await killer;
    expect(terminated).toBe(1);
    expect(failure).toBeInstanceOf(Error);
    expect(await db.requestLog.count({ where: { tenantId: tenant.id } })).toBe(0); // rolled back
    await locker.end();
    await flushOnce();
    expect(await totals(tenant.id)).toEqual({ requests: 30, costMicros: 30 * COST, outputTokens: 30 * 89, logs: 30 });
  });

  it("survives a Redis restart (with AOF persistence) between commit and ack", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "mg-redis-"));
    const port = 6390 + Math.floor(Math.random() * 50);
    const start = () =>
      spawnSync("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--daemonize", "yes", "--appendonly", "yes",
        "--appendfsync", "always", "--save", "", "--dir", dir]);
    start();
    const r = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 20, retryStrategy: () => 100 });
    await r.ping();
    try {
      const { tenant, key } = await createTenantWithKey("redisrestart");
      for (let i = 0; i < 20; i++) await recordRequest(event(tenant.id, key.id), null, { redis: r });
      await flushOnce({
        redis: r,
        onStep: async (s) => {
          if (s !== "committed") return;
          spawnSync("redis-cli", ["-p", String(port), "shutdown"]);
          start();
          await new Promise((res) => setTimeout(res, 300));
        },
      });
      await flushOnce({ redis: r });
      expect(await totals(tenant.id)).toEqual({ requests: 20, costMicros: 20 * COST, outputTokens: 20 * 89, logs: 20 });
    } finally {
      r.disconnect();
      spawnSync("redis-cli", ["-p", String(port), "shutdown", "nosave"]);
    }
  }, 60_000);

  it("keeps totals exact with two flush runners while requests are being recorded", async () => {
    const { tenant, key } = await createTenantWithKey("multi");
    const runners = [0, 1].map(() => runChild({ FLUSH_LOOPS: "40", FLUSH_BATCH: "25" }));
    const N = 600;
    for (let i = 0; i < N; i += 50) {
      await Promise.all(Array.from({ length: 50 }, () => recordRequest(event(tenant.id, key.id))));
    }
    const done = await Promise.all(runners);
    for (const d of done) expect(d.code, d.out).toBe(0);
    await flushOnce();
    expect(await totals(tenant.id)).toEqual({ requests: N, costMicros: N * COST, outputTokens: N * 89, logs: N });
  }, 120_000);
});
