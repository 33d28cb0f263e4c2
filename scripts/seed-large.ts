/**
 * A large tenant for page timings: 1,000,000 request-log rows and 100,000 hourly rollup rows
 * (50 keys × 4 models × 500 hours, i.e. the last ~21 days), generated in Postgres with
 * generate_series. Owner: --email / --password (signs in to the portal).
 *
 *   npm run seed:large [-- --email large@example.com --password '…' --logs 1000000 --rollups 100000]
 *
 * Uses DATABASE_URL (.env). Re-running replaces the seeded tenant. Prints JSON.
 * The seeded rows are synthetic: request-log rows and rollups are not meant to reconcile.
 */
import { parseArgs } from "node:util";
import { loadDotEnv } from "./ensure-env";

loadDotEnv();

const { generateApiKey } = await import("~/keys");
const { hashPassword } = await import("~/server/auth/password");
const { db } = await import("~/infra/db");
const { redis } = await import("~/infra/redis");

const { values } = parseArgs({
  options: {
    email: { type: "string", default: "large@metergate.local" },
    password: { type: "string", default: "large seed password" },
    logs: { type: "string", default: "1000000" },
    rollups: { type: "string", default: "100000" },
    slug: { type: "string", default: "large-seed" },
  },
});
const LOG_ROWS = Number(values.logs);
const ROLLUP_ROWS = Number(values.rollups);
const KEYS = 50;
const MODELS = ["claude-sonnet-4-5", "claude-haiku-4-5", "gpt-4o", "gpt-4.1-mini"];
const HOURS = Math.max(1, Math.ceil(ROLLUP_ROWS / (KEYS * MODELS.length)));
const slug = values.slug;
const started = performance.now();

// Replace an earlier seed.
const old = await db.tenant.findUnique({ where: { slug }, select: { id: true } });
if (old) {
  await db.$executeRaw`DELETE FROM "RequestLog" WHERE "tenantId" = ${old.id}`;
  await db.$executeRaw`DELETE FROM "UsageHourly" WHERE "tenantId" = ${old.id}`;
  await db.apiKey.deleteMany({ where: { tenantId: old.id } });
  await db.tenant.delete({ where: { id: old.id } });
}

const passwordHash = await hashPassword(values.password);
const user = await db.user.upsert({
  where: { email: values.email },
  update: { passwordHash },
  create: { email: values.email, name: "Large seed owner", passwordHash },
});
const tenant = await db.tenant.create({
  data: { name: "Large tenant", slug, memberships: { create: { userId: user.id, role: "OWNER" } } },
});
const keys = [];
for (let i = 0; i < KEYS; i++) {
  const gen = generateApiKey();
  keys.push(
    await db.apiKey.create({
      data: { tenantId: tenant.id, createdById: user.id, name: `seed-key-${String(i).padStart(2, "0")}`, keyHash: gen.keyHash, keyPrefix: gen.keyPrefix },
      select: { id: true },
    }),
  );
}
const keyTable = `(SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM "ApiKey" WHERE "tenantId" = '${tenant.id}')`;
const models = `ARRAY[${MODELS.map((m) => `'${m}'`).join(",")}]`;

let t0 = performance.now();
await db.$executeRawUnsafe(`
  INSERT INTO "RequestLog" (id, "apiKeyId", "tenantId", "createdAt", model, provider, endpoint, stream, status,
    "inputTokens", "outputTokens", "cacheReadTokens", "costMicros", "latencyMs", "ttfbMs", "usageSource")
  SELECT 'large-' || g, k.id, '${tenant.id}', now() - ((g::bigint * 7919) % ${HOURS * 3600}) * interval '1 second',
    (${models})[1 + g % ${MODELS.length}], 'ANTHROPIC', '/v1/messages', g % 3 = 0,
    CASE WHEN g % 50 = 0 THEN 529 WHEN g % 97 = 0 THEN 429 ELSE 200 END,
    300 + g % 900, 40 + g % 400, (g % 5) * 500, 1000 + (g % 40) * 250, 200 + g % 2500, 30 + g % 300, 'UPSTREAM'
  FROM generate_series(1, ${LOG_ROWS}) g
  JOIN ${keyTable} k ON k.n = g % ${KEYS}`);
const logSeconds = (performance.now() - t0) / 1000;

t0 = performance.now();
await db.$executeRawUnsafe(`
  INSERT INTO "UsageHourly" ("apiKeyId", "tenantId", model, "hourStart", requests, "inputTokens", "outputTokens",
    "cacheReadTokens", "costMicros", "errorCount", "latencyMsSum")
  SELECT k.id, '${tenant.id}', (${models})[1 + (g / ${KEYS}) % ${MODELS.length}],
    date_trunc('hour', now()) - (g / ${KEYS * MODELS.length}) * interval '1 hour',
    1 + g % 9, (1 + g % 9) * 800, (1 + g % 9) * 150, (g % 4) * 1000,
    (1 + g % 9) * (2000 + ((g / ${KEYS}) % ${MODELS.length}) * 3000 + (g % ${KEYS}) * 40), CASE WHEN g % 23 = 0 THEN 1 ELSE 0 END,
    (1 + g % 9) * (400 + g % 600)
  FROM generate_series(0, ${ROLLUP_ROWS - 1}) g
  JOIN ${keyTable} k ON k.n = g % ${KEYS}
  ON CONFLICT DO NOTHING`);
const rollupSeconds = (performance.now() - t0) / 1000;
await db.$executeRawUnsafe(`ANALYZE "RequestLog"`);
await db.$executeRawUnsafe(`ANALYZE "UsageHourly"`);

console.log(
  JSON.stringify(
    {
      tenantId: tenant.id,
      firstKeyId: keys[0]!.id,
      email: values.email,
      password: values.password,
      requestLogRows: LOG_ROWS,
      rollupRows: ROLLUP_ROWS,
      hours: HOURS,
      seconds: { requestLog: Number(logSeconds.toFixed(1)), rollups: Number(rollupSeconds.toFixed(1)), total: Number(((performance.now() - started) / 1000).toFixed(1)) },
    },
    null,
    2,
  ),
);
await db.$disconnect();
redis.disconnect();
