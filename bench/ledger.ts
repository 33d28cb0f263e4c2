/**
 * Ledger benchmark: prints events recorded/s into Redis, events flushed/s into Postgres, flush lag
 * at a steady 2,000 requests/s, Redis memory per active key, and dashboard query latency (p50/p95)
 * over a seeded history of request-log and rollup rows.
 *
 *   npm run bench:ledger                # full scale: 10M request-log rows, 1M rollup rows
 *   npm run bench:ledger -- --quick     # 1M / 100k, for a fast look
 *   npm run bench:ledger -- --record-only   # record and flush throughput only (for A/B runs)
 *
 * Uses its own database (metergate_bench) and Redis prefix (mgbench:); needs local Postgres/Redis.
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import pg from "pg";

const quick = process.argv.includes("--quick");
const recordOnly = process.argv.includes("--record-only");
const LOG_ROWS = quick ? 1_000_000 : 10_000_000;
const ROLLUP_ROWS = quick ? 100_000 : 1_000_000;
const DB_URL = "postgresql://postgres@127.0.0.1:5432/metergate_bench";

Object.assign(process.env, {
  DATABASE_URL: DB_URL,
  REDIS_PREFIX: "mgbench:",
  NEXTAUTH_SECRET: "bench-secret-bench-secret-bench-secret-01",
  ENCRYPTION_KEY: "0".repeat(64),
  LOG_LEVEL: "silent",
});

const admin = new pg.Client({ connectionString: DB_URL.replace(/\/[^/]*$/, "/postgres") });
await admin.connect();
await admin.query("DROP DATABASE IF EXISTS metergate_bench WITH (FORCE)");
await admin.query("CREATE DATABASE metergate_bench");
await admin.end();
execFileSync("npx", ["prisma", "migrate", "deploy"], { env: process.env, stdio: "ignore" });

const { recordRequest, flushOnce, usageRows } = await import("~/ledger");
const { db } = await import("~/infra/db");
const { redis } = await import("~/infra/redis");
type RequestEvent = import("~/ledger").RequestEvent;

const wipe = async () => {
  const all = await redis.keys("mgbench:*");
  for (let i = 0; i < all.length; i += 1000) await redis.del(...all.slice(i, i + 1000));
};
await wipe();

const KEYS = 200;
const tenants = await Promise.all(
  Array.from({ length: 20 }, (_, i) => db.tenant.create({ data: { name: `bench ${i}`, slug: `bench-${i}-${randomUUID().slice(0, 6)}` } })),
);
const keys = await Promise.all(
  Array.from({ length: KEYS }, (_, i) =>
    db.apiKey.create({ data: { tenantId: tenants[i % tenants.length]!.id, name: `k${i}`, keyHash: randomUUID(), keyPrefix: "mg-bench" } }),
  ),
);
const models = ["claude-sonnet-4-5", "claude-haiku-4-5", "gpt-4o", "gpt-4.1-mini"];
const event = (i: number): RequestEvent => {
  const k = keys[i % KEYS]!;
  return {
    id: randomUUID(), apiKeyId: k.id, tenantId: k.tenantId, model: models[i % models.length]!, provider: "ANTHROPIC",
    endpoint: "/v1/messages", stream: true, status: 200,
    usage: { input: 400 + (i % 100), output: 80 + (i % 50), cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 1000 },
    usageSource: "UPSTREAM", startedAt: Date.now(), latencyMs: 300, ttfbMs: 40, clientIp: "10.0.0.1", userAgent: "bench", error: null,
  };
};

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const results: Record<string, string> = {};

const stage = (name: string) => console.error(`[bench] ${new Date().toISOString().slice(11, 19)} ${name}`);
stage("record + flush throughput");
// 1. Record throughput: 100k events, 256 in flight (one Redis round trip each).
{
  const N = 100_000;
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 256 }, async () => {
      while (next < N) await recordRequest(event(next++));
    }),
  );
  const s = (performance.now() - t0) / 1000;
  results["record: events/s into Redis"] = `${Math.round(N / s).toLocaleString("en-US")} (${N} events, 256 concurrent, one script call each)`;
  const info = await redis.info("memory");
  const used = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
  // 2. Flush throughput over the same backlog.
  const f0 = performance.now();
  let flushed = 0;
  for (;;) {
    const r = await flushOnce({ batchSize: 5000 });
    flushed += r.inserted;
    if (r.read === 0) break;
  }
  const fs = (performance.now() - f0) / 1000;
  results["flush: events/s into Postgres"] = `${Math.round(flushed / fs).toLocaleString("en-US")} (${flushed} events, batches of 5000)`;
  const after = Number(/used_memory:(\d+)/.exec(await redis.info("memory"))?.[1] ?? 0);
  results["redis memory: unflushed backlog"] = `${Math.round((used - after) / N)} bytes per unflushed event`;
}
if (recordOnly) {
  for (const [k, v] of Object.entries(results)) console.log(`  ${k.padEnd(72)} ${v}`);
  await db.$disconnect();
  redis.disconnect();
  process.exit(0);
}

stage("flush lag at 2,000 req/s");
// 3. Flush lag at a steady 2,000 requests/s for 10 s with the flush loop every 1 s.
{
  const rate = 2000;
  const seconds = 10;
  const { startFlushLoop } = await import("~/ledger");
  const loop = startFlushLoop({ batchSize: 5000 }, 1000);
  const lags: number[] = [];
  const start = performance.now();
  let sent = 0;
  const probe = setInterval(async () => {
    let oldest = Infinity;
    for (let s = 0; s < 16; s++) {
      const first = (await redis.xrange(`mgbench:{s${s}}:events`, "-", "+", "COUNT", 1)) as Array<[string, string[]]>;
      if (first[0]) oldest = Math.min(oldest, Number(first[0][0].split("-")[0]));
    }
    lags.push(oldest === Infinity ? 0 : Date.now() - oldest);
  }, 250);
  while (performance.now() - start < seconds * 1000) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    const batch: Promise<unknown>[] = [];
    while (sent < due) batch.push(recordRequest(event(sent++)));
    await Promise.all(batch);
    await new Promise((r) => setTimeout(r, 5));
  }
  clearInterval(probe);
  await loop.stop();
  results["flush lag at 2,000 req/s (flush every 1 s)"] = `p50 ${pct(lags, 50)} ms, p95 ${pct(lags, 95)} ms, max ${Math.max(...lags)} ms`;
  while ((await flushOnce()).read > 0);
}

stage("redis memory per active key");
// 4. Redis memory per active key: quota state + live deltas for 10,000 keys.
{
  const { admit } = await import("~/ledger");
  const before = Number(/used_memory:(\d+)/.exec(await redis.info("memory"))?.[1] ?? 0);
  const n = 10_000;
  for (let i = 0; i < n; i += 500) {
    await Promise.all(
      Array.from({ length: 500 }, async (_, j) => {
        const apiKeyId = randomUUID();
        const tenantId = tenants[(i + j) % tenants.length]!.id;
        const a = await admit(
          { apiKeyId, tenantId, timeZone: "UTC", rateWindowMinutes: 60, rateMaxRequests: 1000, rateMaxTokens: 1e9, rateMaxCostMicros: 1e9,
            maxConcurrency: 10, dailyCostMicros: null, weeklyCostMicros: null, monthlyCostMicros: null, totalCostMicros: null,
            totalTokens: null, weeklyResetDay: 1, weeklyResetHour: 0, expiresAfterFirstUseDays: null, tenantMonthlyBudgetMicros: null },
          randomUUID(), 100, { spent: async () => ({ costMicros: 0, tokens: 0 }) },
        );
        if (a.ok) await recordRequest({ ...event(0), apiKeyId, tenantId, id: a.charge.requestId }, a.charge);
      }),
    );
  }
  const used = Number(/used_memory:(\d+)/.exec(await redis.info("memory"))?.[1] ?? 0) - before;
  results["redis memory per active key (quota windows + live deltas, 1 request each, unflushed)"] = `${Math.round(used / n)} bytes`;
  while ((await flushOnce()).read > 0);
}

stage("seeding history and timing dashboard queries");
// 5. Dashboard queries over a seeded history.
{
  const t0 = performance.now();
  const keyIds = keys.map((k) => `'${k.id}'`).join(",");
  await db.$executeRawUnsafe(`
    INSERT INTO "RequestLog" (id, "apiKeyId", "tenantId", "createdAt", model, provider, endpoint, stream, status,
      "inputTokens", "outputTokens", "cacheReadTokens", "costMicros", "latencyMs", "ttfbMs", "usageSource")
    SELECT 'seed-' || g, k.id, k."tenantId", now() - (g % 2592000) * interval '1 second',
      (ARRAY['claude-sonnet-4-5','claude-haiku-4-5','gpt-4o','gpt-4.1-mini'])[1 + g % 4], 'ANTHROPIC', '/v1/messages', true,
      CASE WHEN g % 50 = 0 THEN 529 ELSE 200 END, 400, 80, 1000, 2500, 300, 40, 'UPSTREAM'
    FROM generate_series(1, ${LOG_ROWS}) g
    JOIN (SELECT id, "tenantId", row_number() OVER () - 1 AS n FROM "ApiKey" WHERE id IN (${keyIds})) k ON k.n = g % ${KEYS}`);
  const seededLogs = (performance.now() - t0) / 1000;
  await db.$executeRawUnsafe(`
    INSERT INTO "UsageHourly" ("apiKeyId", "tenantId", model, "hourStart", requests, "inputTokens", "outputTokens", "costMicros", "latencyMsSum")
    SELECT k.id, k."tenantId", 'model-' || (g % 5), date_trunc('hour', now()) - ((g / ${KEYS * 5}) % 100000) * interval '1 hour',
      10, 4000, 800, 25000, 3000
    FROM generate_series(0, ${ROLLUP_ROWS - 1}) g
    JOIN (SELECT id, "tenantId", row_number() OVER () - 1 AS n FROM "ApiKey" WHERE id IN (${keyIds})) k ON k.n = (g / 5) % ${KEYS}
    ON CONFLICT DO NOTHING`);
  await db.$executeRawUnsafe(`ANALYZE "RequestLog"; `);
  await db.$executeRawUnsafe(`ANALYZE "UsageHourly"`);
  results["seeded history"] = `${LOG_ROWS.toLocaleString("en-US")} request-log rows + ${ROLLUP_ROWS.toLocaleString("en-US")} rollup rows in ${seededLogs.toFixed(0)} s (logs)`;

  const tenant = tenants[0]!;
  const key = keys[0]!;
  const to = new Date(Date.now() + 3_600_000);
  const from30 = new Date(Date.now() - 30 * 86_400_000);
  const queries: Record<string, () => Promise<unknown>> = {
    "tenant usage, 30 days, hourly rows (rollups + live deltas)": () => usageRows({ tenantId: tenant.id, from: from30, to }),
    "tenant usage, 30 days, day buckets (the dashboard's query)": () => usageRows({ tenantId: tenant.id, from: from30, to, dayBucketsIn: "UTC" }),
    "key usage, 30 days, day buckets": () => usageRows({ apiKeyId: key.id, from: from30, to, dayBucketsIn: "UTC" }),
    "key request log, newest 50": () =>
      db.requestLog.findMany({ where: { apiKeyId: key.id }, orderBy: { createdAt: "desc" }, take: 50 }),
    "key request log, errors only, page 3": () =>
      db.requestLog.findMany({ where: { apiKeyId: key.id, status: { gte: 400 } }, orderBy: { createdAt: "desc" }, skip: 100, take: 50 }),
    "admin spend ranking, 30 days": () =>
      db.usageHourly.groupBy({ by: ["tenantId"], where: { hourStart: { gte: from30, lt: to } }, _sum: { costMicros: true }, orderBy: { _sum: { costMicros: "desc" } }, take: 20 }),
  };
  for (const [name, q] of Object.entries(queries)) {
    await q();
    const times: number[] = [];
    for (let i = 0; i < 40; i++) {
      const s = performance.now();
      await q();
      times.push(performance.now() - s);
    }
    results[`query: ${name}`] = `p50 ${pct(times, 50).toFixed(1)} ms, p95 ${pct(times, 95).toFixed(1)} ms`;
  }
}

console.log(`\nMetergate ledger benchmark (${quick ? "quick" : "full"} scale), ${new Date().toISOString()}`);
for (const [k, v] of Object.entries(results)) console.log(`  ${k.padEnd(72)} ${v}`);
await wipe();
await db.$disconnect();
redis.disconnect();
