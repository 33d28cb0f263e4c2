/**
 * Health, readiness and metrics against the real Postgres (fresh metergate_test, migrated in
 * global setup) and Redis.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, mkdir, readdir, rm, writeFile, cp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as health } from "~/app/api/health/route";
import { GET as metricsRoute } from "~/app/api/metrics/route";
import { GET as ready } from "~/app/api/ready/route";
import { env, resetEnvCache } from "~/infra/env";
import { PrismaClient } from "~/generated/prisma/client";
import { assumeListenAddressesForTest } from "~/net";
import { flushOnce, recordRequest } from "~/ledger";
import { db } from "~/infra/db";
import { measureBacklog } from "~/ledger/metrics";
import { checkReadiness, DEFAULT_MIGRATIONS_DIR, type ReadinessReport } from "~/infra/observability/readiness";
import { redis } from "~/infra/redis";
import { TEST_DATABASE_URL } from "../setup/test-env";
import { createTenantWithKey } from "../helpers/fixtures-db";
import { requestEvent } from "../helpers/events";

const cleanups: Array<() => Promise<unknown>> = [];

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await db.$disconnect();
  redis.disconnect();
});

const expectedMigrations = (await readdir(DEFAULT_MIGRATIONS_DIR, { withFileTypes: true }))
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

describe("/api/health", () => {
  it("answers 200 {status: ok} without touching the stores", async () => {
    const res = health();
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });
});

describe("/api/ready", () => {
  it("is 200 when Postgres, Redis and every migration are fine", async () => {
    const res = await ready();
    const body = (await res.json()) as ReadinessReport;
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(body.status).toBe("ok");
    expect(body.checks.postgres.ok).toBe(true);
    expect(body.checks.redis.ok).toBe(true);
    expect(body.checks.migrations).toMatchObject({
      ok: true,
      expected: expectedMigrations.length,
      applied: expectedMigrations.length,
      pending: [],
      failed: [],
    });
  });

  it("reports a migration in the folder that the database lacks", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "mg-migrations-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
    await mkdir(path.join(dir, "29991231000000_future"));
    await writeFile(path.join(dir, "29991231000000_future", "migration.sql"), "SELECT 1;");
    const r = await checkReadiness({ migrationsDir: dir });
    expect(r.status).toBe("unavailable");
    expect(r.checks.postgres.ok).toBe(true);
    expect(r.checks.migrations).toMatchObject({ ok: false, pending: ["29991231000000_future"] });
    expect(r.checks.migrations.error).toMatch(/migrate deploy/);
  });

  it("reports a failed migration (started, never finished)", async () => {
    const id = randomUUID();
    await db.$executeRawUnsafe(
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, applied_steps_count)
       VALUES ($1, 'test', '29991231000001_broken', now(), 0)`,
      id,
    );
    try {
      const r = await checkReadiness();
      expect(r.status).toBe("unavailable");
      expect(r.checks.migrations.failed).toEqual(["29991231000001_broken"]);
      expect(r.checks.migrations.error).toMatch(/failed/);
    } finally {
      await db.$executeRawUnsafe(`DELETE FROM _prisma_migrations WHERE id = $1`, id);
    }
  });

  it("reports a database that was never migrated", async () => {
    const name = `metergate_test_ready_${process.pid}`;
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL.replace(/\/[^/]*$/, "/postgres") });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
    const empty = new PrismaClient({ adapter: new PrismaPg({ connectionString: TEST_DATABASE_URL.replace(/\/[^/]*$/, `/${name}`) }) });
    cleanups.push(async () => {
      await empty.$disconnect();
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    });
    const r = await checkReadiness({ db: empty, redis });
    expect(r.checks.postgres.ok).toBe(true);
    expect(r.checks.migrations).toMatchObject({ ok: false, applied: 0, pending: expectedMigrations });
    expect(r.checks.migrations.error).toMatch(/_prisma_migrations/);
  });

  it("is unavailable, with the reason, when Postgres or Redis is down", async () => {
    const deadDb = new PrismaClient({ adapter: new PrismaPg({ connectionString: "postgresql://postgres:hunter2@127.0.0.1:1/x" }) });
    const deadRedis = new Redis({ port: 1, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    deadRedis.on("error", () => undefined);
    cleanups.push(async () => {
      await deadDb.$disconnect();
      deadRedis.disconnect();
    });
    const r = await checkReadiness({ db: deadDb, redis: deadRedis, timeoutMs: 1500 });
    expect(r.status).toBe("unavailable");
    expect(r.checks.postgres.ok).toBe(false);
    expect(r.checks.postgres.error).toBeTruthy();
    expect(JSON.stringify(r)).not.toContain("hunter2");
    expect(r.checks.redis.ok).toBe(false);
    expect(r.checks.migrations.ok).toBe(false);

    const onlyRedisDown = await checkReadiness({ db, redis: deadRedis, timeoutMs: 1500 });
    expect(onlyRedisDown.checks.postgres.ok).toBe(true);
    expect(onlyRedisDown.checks.migrations.ok).toBe(true);
    expect(onlyRedisDown.status).toBe("unavailable");
  });

  it("times out a store that hangs instead of hanging the probe", async () => {
    const hanging = { ping: () => new Promise<string>(() => undefined) };
    const t0 = Date.now();
    const r = await checkReadiness({ db, redis: hanging, timeoutMs: 200 });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(r.checks.redis).toMatchObject({ ok: false });
    expect(r.checks.redis.error).toMatch(/200 ms/);
  });
});

describe("/api/metrics and flush lag", () => {
  // These scrapes stand for a server bound to loopback (no METRICS_TOKEN needed there).
  beforeAll(() => assumeListenAddressesForTest(["127.0.0.1"]));
  afterAll(() => assumeListenAddressesForTest(null));

  it("measures lag from the ms part of the oldest stream id", async () => {
    const keys = [`mgtest:obs:${randomUUID()}:a`, `mgtest:obs:${randomUUID()}:b`];
    cleanups.push(() => redis.del(...keys));
    const now = Date.now();
    await redis.xadd(keys[0]!, `${now - 5000}-0`, "e", "{}");
    await redis.xadd(keys[0]!, `${now - 1000}-0`, "e", "{}");
    await redis.xadd(keys[1]!, `${now - 3000}-0`, "e", "{}");
    const b = await measureBacklog(redis as unknown as Parameters<typeof measureBacklog>[0], keys, now);
    expect(b).toEqual({ lagSeconds: 5, pending: 3 });
  });

  const event = (tenantId: string, apiKeyId: string) => requestEvent(tenantId, apiKeyId);

  const scrape = async (): Promise<string> => {
    const res = await metricsRoute(new Request("http://localhost/api/metrics"));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    return res.text();
  };
  const gauge = (text: string, name: string): number => {
    const line = text.split("\n").find((l) => l.startsWith(`${name} `));
    return Number(line?.split(" ")[1]);
  };

  it("exports the real ledger backlog: pending after record, zero after flush", async () => {
    // A private key prefix: other runs sharing this Redis cannot add to (or drain) our streams.
    const savedPrefix = process.env.REDIS_PREFIX;
    process.env.REDIS_PREFIX = `mgtest:obs-${randomUUID().slice(0, 8)}:`;
    resetEnvCache();
    cleanups.push(async () => {
      const keys = await redis.keys(`${env.REDIS_PREFIX}*`);
      if (keys.length > 0) await redis.del(...keys);
      process.env.REDIS_PREFIX = savedPrefix;
      resetEnvCache();
    });
    // The cached backlog measurement lasts one second.
    await new Promise((r) => setTimeout(r, 1100));
    const { tenant, key } = await createTenantWithKey("obs");
    await recordRequest(event(tenant.id, key.id));
    await new Promise((r) => setTimeout(r, 30));
    const before = await scrape();
    expect(gauge(before, "metergate_flush_pending_events")).toBe(1);
    expect(gauge(before, "metergate_flush_lag_seconds")).toBeGreaterThan(0);
    expect(before).toContain("process_cpu_user_seconds_total");

    const r = await flushOnce();
    expect(r.inserted).toBe(1);
    await new Promise((r) => setTimeout(r, 1100));
    const after = await scrape();
    expect(gauge(after, "metergate_flush_pending_events")).toBe(0);
    expect(gauge(after, "metergate_flush_lag_seconds")).toBe(0);
  });

  it("without METRICS_TOKEN, refuses unless the server listens on loopback only", async () => {
    assumeListenAddressesForTest(["::"]);
    try {
      expect((await metricsRoute(new Request("http://localhost/api/metrics"))).status).toBe(401);
      assumeListenAddressesForTest(["0.0.0.0", "127.0.0.1"]);
      expect((await metricsRoute(new Request("http://localhost/api/metrics"))).status).toBe(401);
      assumeListenAddressesForTest(["127.0.0.1", "::1"]);
      expect((await metricsRoute(new Request("http://localhost/api/metrics"))).status).toBe(200);
    } finally {
      assumeListenAddressesForTest(["127.0.0.1"]);
    }
  });

  it("requires the bearer token when METRICS_TOKEN is set", async () => {
    process.env.METRICS_TOKEN = "scrape-secret";
    try {
      expect((await metricsRoute(new Request("http://localhost/api/metrics"))).status).toBe(401);
      const ok = await metricsRoute(
        new Request("http://localhost/api/metrics", { headers: { authorization: "Bearer scrape-secret" } }),
      );
      expect(ok.status).toBe(200);
    } finally {
      delete process.env.METRICS_TOKEN;
    }
  });
});
