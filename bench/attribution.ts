/**
 * People and Sessions query timings over a large tenant, and the flush statement's throughput with
 * end users and sessions. Prints figures, asserts nothing.
 *
 *   npx tsx --tsconfig tsconfig.json bench/attribution.ts [--rows 10000000] [--runs 40]
 *
 * Own database (metergate_attrib_bench), dropped and re-made. One tenant, 50 keys, 400 developers
 * (8 per key), 30 UTC days, ~5 sessions per developer per day (so sessions of ~20 requests at
 * 10M rows). Request-log rows come from generate_series; the People and Session rollups are then
 * built from those rows with the flush's own grouping (one INSERT … SELECT per table), which is
 * what the flush would have written row by row. The flush path itself is timed on fresh events
 * through commitEvents (the flush statement) at the end.
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { rows: { type: "string", default: "10000000" }, runs: { type: "string", default: "40" } } });
const ROWS = Number(values.rows);
const RUNS = Number(values.runs);
const DB = "metergate_attrib_bench";
const KEYS = 50;
const USERS_PER_KEY = 8;
const DAYS = 30;
const SESSIONS_PER_USER_DAY = 5;

process.env.DATABASE_URL = `postgresql://postgres@127.0.0.1:5432/${DB}`;
process.env.REDIS_PREFIX = "mgattribbench:";
process.env.NEXTAUTH_SECRET ??= "attribution-bench-secret-attribution-bench";
process.env.ENCRYPTION_KEY ??= "0".repeat(64);
process.env.LOG_LEVEL ??= "warn";
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { env: process.env, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
run("psql", ["-q", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-c", `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`, "-c", `CREATE DATABASE ${DB}`]);
run("npx", ["prisma", "migrate", "deploy"]);

const { db } = await import("~/infra/db");
const { redis } = await import("~/infra/redis");
const { generateApiKey } = await import("~/keys");
const { peopleUsage, sessionUsage, METRICS } = await import("~/ledger");
const { commitEvents } = await import("~/ledger/flush");
const { toStoredEvent } = await import("~/ledger/record");
const { requestLogPage } = await import("~/server/api/lib/request-log");

const secs = (t0: number) => ((performance.now() - t0) / 1000).toFixed(1);
const tenant = await db.tenant.create({ data: { name: "Attribution bench", slug: `attrib-bench-${Date.now()}` } });
for (let i = 0; i < KEYS; i++) {
  const gen = generateApiKey();
  await db.apiKey.create({ data: { tenantId: tenant.id, name: `key-${i}`, keyHash: gen.keyHash, keyPrefix: gen.keyPrefix } });
}
const keyTable = `(SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM "ApiKey" WHERE "tenantId" = '${tenant.id}')`;

// Row g: key g % 50, developer (g / 50) % 8 of that key, spread over 30 days; a session is one
// developer's slice of a day (5 per day), so its requests sit inside that slice.
let t0 = performance.now();
const CHUNK = 1_000_000;
for (let start = 1; start <= ROWS; start += CHUNK) {
  const end = Math.min(ROWS, start + CHUNK - 1);
  await db.$executeRawUnsafe(`
    INSERT INTO "RequestLog" (id, "apiKeyId", "tenantId", "createdAt", model, provider, endpoint, stream, status,
      "inputTokens", "outputTokens", "cacheReadTokens", "costMicros", "latencyMs", "ttfbMs", "usageSource", "endUserId", "sessionId")
    SELECT 'b-' || g, k.id, '${tenant.id}', t, 'claude-sonnet-4-5', 'ANTHROPIC', '/v1/messages', true,
      CASE WHEN g % 50 = 0 THEN 529 ELSE 200 END, 300 + g % 900, 40 + g % 400, (g % 5) * 500, 1000 + (g % 40) * 250,
      200 + g % 2500, 30 + g % 300, 'UPSTREAM', 'dev-' || (g % ${KEYS}) || '-' || u,
      'sess-' || (g % ${KEYS}) || '-' || u || '-' || to_char(t, 'YYYYMMDD') || '-' || (extract(hour FROM t)::int * ${SESSIONS_PER_USER_DAY} / 24)
    FROM generate_series(${start}, ${end}) g
    JOIN ${keyTable} k ON k.n = g % ${KEYS}
    CROSS JOIN LATERAL (SELECT (g / ${KEYS}) % ${USERS_PER_KEY} AS u,
      date_trunc('day', now()) - interval '${DAYS - 1} days' + ((g::bigint * 7919) % ${DAYS * 86400}) * interval '1 second' AS t) x`);
  console.error(`[bench] ${end.toLocaleString("en")} request-log rows (${secs(t0)} s)`);
}
const seedLog = secs(t0);

// The rollups, grouped exactly as the flush groups them (attribution-rollups.ts), from all rows at once.
const sums = METRICS.map((m) => {
  const col: Record<string, string> = {
    requests: "count(*)", inputTokens: `sum("inputTokens")`, outputTokens: `sum("outputTokens")`, cacheWrite5mTokens: `sum("cacheWrite5mTokens")`,
    cacheWrite1hTokens: `sum("cacheWrite1hTokens")`, cacheReadTokens: `sum("cacheReadTokens")`, costMicros: `sum("costMicros")`,
    errorCount: `count(*) FILTER (WHERE status >= 400 AND status <> 499)`, estimatedCount: `count(*) FILTER (WHERE "usageSource" = 'ESTIMATED')`,
    latencyMsSum: `sum("latencyMs")`, reasoningTokens: `sum("reasoningTokens")`, webSearchRequests: `sum("webSearchRequests")`, unpricedCount: "0",
  };
  return col[m]!;
}).join(", ");
const metricCols = METRICS.map((m) => `"${m}"`).join(", ");
t0 = performance.now();
await db.$executeRawUnsafe(`
  INSERT INTO "UsageUserDaily" ("apiKeyId", "tenantId", day, "endUserId", "firstSeenAt", "lastSeenAt", ${metricCols})
  SELECT "apiKeyId", "tenantId", date_trunc('day', "createdAt"), COALESCE("endUserId", ''), min("createdAt"),
    max("createdAt" + "latencyMs" * interval '1 millisecond'), ${sums}
  FROM "RequestLog" WHERE "tenantId" = '${tenant.id}' GROUP BY 1, 2, 3, 4`);
await db.$executeRawUnsafe(`
  INSERT INTO "UsageSession" ("apiKeyId", "tenantId", "sessionId", "endUserId", "firstSeenAt", "lastSeenAt", ${metricCols})
  SELECT "apiKeyId", "tenantId", "sessionId", min("endUserId"), min("createdAt"),
    max("createdAt" + "latencyMs" * interval '1 millisecond'), ${sums}
  FROM "RequestLog" WHERE "tenantId" = '${tenant.id}' AND "sessionId" IS NOT NULL GROUP BY 1, 2, 3`);
for (const t of ["RequestLog", "UsageUserDaily", "UsageSession"]) await db.$executeRawUnsafe(`ANALYZE "${t}"`);
const seedRollups = secs(t0);
const [peopleRows, sessionRows] = await Promise.all([
  db.usageUserDaily.count({ where: { tenantId: tenant.id } }),
  db.usageSession.count({ where: { tenantId: tenant.id } }),
]);

const key = (await db.apiKey.findFirstOrThrow({ where: { tenantId: tenant.id, name: "key-7" } })).id;
const now = new Date();
const days = (n: number) => ({ from: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - (n - 1) * 86_400_000), to: new Date(now.getTime() + 3_600_000) });
const page5 = await (async () => {
  let cursor: string | null = null;
  for (let i = 0; i < 4; i++) cursor = (await sessionUsage({ tenantId: tenant.id, ...days(30), cursor, limit: 50 }, db)).nextCursor;
  return cursor;
})();
const aSession = (await sessionUsage({ tenantId: tenant.id, apiKeyId: key, ...days(30), limit: 1 }, db)).sessions[0]!.sessionId;

const queries: Array<[string, () => Promise<unknown>]> = [
  // The floor on this machine at this moment: one round trip through the same client.
  ["SELECT 1 (round-trip floor)", () => db.$queryRawUnsafe("SELECT 1")],
  ["People, tenant, 30 days", () => peopleUsage({ tenantId: tenant.id, ...days(30), limit: 200 }, db)],
  ["People, tenant, 90 days", () => peopleUsage({ tenantId: tenant.id, ...days(90), limit: 200 }, db)],
  ["People, one key, 30 days", () => peopleUsage({ tenantId: tenant.id, apiKeyId: key, ...days(30), limit: 200 }, db)],
  ["Sessions, tenant, first page (50)", () => sessionUsage({ tenantId: tenant.id, ...days(30), limit: 50 }, db)],
  ["Sessions, tenant, page 5 (cursor)", () => sessionUsage({ tenantId: tenant.id, ...days(30), cursor: page5, limit: 50 }, db)],
  ["Sessions, one key, first page", () => sessionUsage({ tenantId: tenant.id, apiKeyId: key, ...days(30), limit: 50 }, db)],
  ["Sessions, one developer, 30 days", () => sessionUsage({ tenantId: tenant.id, endUserId: "dev-7-3", ...days(30), limit: 50 }, db)],
  ["Request log, one key, by end user", () => requestLogPage(db, { tenantId: tenant.id, apiKeyId: key, filter: { endUserId: "dev-7-3" }, limit: 50 })],
  ["Request log, one key, by session", () => requestLogPage(db, { tenantId: tenant.id, apiKeyId: key, filter: { sessionId: aSession }, limit: 50 })],
];
const pct = (xs: number[], p: number) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;
const results: Array<Record<string, string>> = [];
for (const [name, q] of queries) {
  await q(); // warm
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const s = performance.now();
    await q();
    ms.push(performance.now() - s);
  }
  results.push({ query: name, p50: pct(ms, 50).toFixed(1), p95: pct(ms, 95).toFixed(1), max: Math.max(...ms).toFixed(1) });
}

// The flush statement on fresh events: with a developer and a session each, and with neither.
const BATCH = 2000;
const BATCHES = 4;
async function flushRate(attributed: boolean): Promise<number> {
  let total = 0;
  for (let b = 0; b < BATCHES; b++) {
    const events = Array.from({ length: BATCH }, (_, i) =>
      toStoredEvent({
        id: randomUUID(), apiKeyId: key, tenantId: tenant.id, model: "claude-sonnet-4-5", provider: "ANTHROPIC", endpoint: "/v1/messages",
        stream: true, status: 200, usage: { input: 472, output: 89, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 1024 }, usageSource: "UPSTREAM",
        startedAt: Date.now() - i, latencyMs: 900, ttfbMs: 40, clientIp: null, userAgent: "bench", error: null,
        ...(attributed ? { endUserId: `dev-7-${i % USERS_PER_KEY}`, sessionId: `fresh-${b}-${i % 40}` } : {}),
      }),
    );
    const s = performance.now();
    await commitEvents(db, events, 0);
    total += performance.now() - s;
  }
  return (BATCH * BATCHES) / (total / 1000);
}
// Interleaved, medians of the rounds: other work on the machine comes and goes.
const plainRates: number[] = [];
const attributedRates: number[] = [];
for (let round = 0; round < 3; round++) {
  plainRates.push(await flushRate(false));
  attributedRates.push(await flushRate(true));
}
const plain = pct(plainRates, 50);
const attributed = pct(attributedRates, 50);

console.log(JSON.stringify({ rows: ROWS, keys: KEYS, developers: KEYS * USERS_PER_KEY, peopleRollupRows: peopleRows, sessionRollupRows: sessionRows, seedSeconds: { requestLog: seedLog, rollups: seedRollups } }, null, 2));
console.table(results);
console.log(
  `flush statement, events/s (batches of ${BATCH}, 3 interleaved rounds of ${BATCHES}, median): no ids ${plain.toFixed(0)}, ` +
    `with end user + session ${attributed.toFixed(0)} (rounds: ${plainRates.map((r) => r.toFixed(0)).join("/")} vs ${attributedRates.map((r) => r.toFixed(0)).join("/")})`,
);
await db.$disconnect();
redis.disconnect();
