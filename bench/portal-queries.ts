/**
 * Server time of each tRPC procedure the portal pages call, over the bench:portal database (run
 * bench:portal once first, or scripts/seed-large.ts into BENCH_DB). Median of RUNS calls each,
 * through the app router with the seeded owner's session, plus the answer's superjson size.
 *
 *   BENCH_DB=metergate_portal_bench npx tsx --tsconfig tsconfig.json bench/portal-queries.ts
 */
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import superjson from "superjson";

const DB = process.env.BENCH_DB ?? "metergate_portal_bench";
const RUNS = Number(process.env.RUNS ?? 7);
process.env.DATABASE_URL = `postgresql://postgres@127.0.0.1:5432/${DB}`;
process.env.REDIS_PREFIX = process.env.BENCH_DB ? `${DB}:` : "mgportal:";
process.env.NEXTAUTH_SECRET ??= "portal-bench-secret-portal-bench-secret-01";
process.env.ENCRYPTION_KEY ??= "0".repeat(64);
process.env.LOG_LEVEL ??= "warn";

const seed = JSON.parse(readFileSync(join(tmpdir(), `${DB}.seed.json`), "utf8")) as { tenantId: string; firstKeyId: string; email: string };
const { db } = await import("~/infra/db");
const { redis } = await import("~/infra/redis");
const { createCaller } = await import("~/server/api/root");
const { createTRPCContext } = await import("~/server/api/trpc");

const user = await db.user.findUniqueOrThrow({ where: { email: seed.email }, select: { id: true, email: true } });
const session = { user: { id: user.id, email: user.email }, expires: new Date(Date.now() + 3_600_000).toISOString() };
const caller = createCaller(createTRPCContext({ headers: new Headers({ "x-forwarded-for": "10.9.9.9" }), session: session as never }));
const tenantId = seed.tenantId;
const keyId = seed.firstKeyId;

const calls: Array<[string, () => Promise<unknown>]> = [
  ["tenant.get", () => caller.tenant.get({ tenantId })],
  ["tenant.mine", () => caller.tenant.mine()],
  ["usage.overview 7d", () => caller.usage.overview({ tenantId, range: { kind: "7d" } })],
  ["usage.overview 30d", () => caller.usage.overview({ tenantId, range: { kind: "30d" } })],
  ["usage.overview today (hours)", () => caller.usage.overview({ tenantId, range: { kind: "today" } })],
  ["usage.cacheEconomics 7d", () => caller.usage.cacheEconomics({ tenantId, range: { kind: "7d" } })],
  ["tenant.alerts", () => caller.tenant.alerts({ tenantId })],
  ["admin.tenants 7d", () => caller.admin.tenants({ range: { kind: "7d" } })],
  ["admin.tenant 7d", () => caller.admin.tenant({ tenantId, range: { kind: "7d" } })],
  ["lookup.byApiId", () => caller.lookup.byApiId({ apiId: keyId })],
  ["apiKey.list", () => caller.apiKey.list({ tenantId })],
  ["member.list", () => caller.member.list({ tenantId })],
  ["apiKey.get", () => caller.apiKey.get({ tenantId, keyId })],
  ["apiKey.limitUse", () => caller.apiKey.limitUse({ tenantId, keyId })],
  ["apiKey.usage 30d", () => caller.apiKey.usage({ tenantId, keyId, days: 30 })],
  ["apiKey.usage 90d", () => caller.apiKey.usage({ tenantId, keyId, days: 90 })],
  ["apiKey.requestLog", () => caller.apiKey.requestLog({ tenantId, keyId, filter: {}, cursor: null, limit: 50 })],
  ["people.list 7d", () => caller.people.list({ tenantId, days: 7 })],
  ["people.sessions 7d", () => caller.people.sessions({ tenantId, days: 7, cursor: null, limit: 25 })],
];
const only = process.env.ONLY;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const table: Record<string, { "median ms": string; "first ms": string; "answer KiB": string }> = {};
for (const [name, call] of calls) {
  if (only && !name.includes(only)) continue;
  const times: number[] = [];
  let size = 0;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    let out: unknown;
    try {
      out = await call();
    } catch (error) {
      out = { error: String(error) };
    }
    times.push(performance.now() - t0);
    size = JSON.stringify(superjson.serialize(out)).length;
  }
  table[name] = { "median ms": median(times.slice(1)).toFixed(0), "first ms": times[0]!.toFixed(0), "answer KiB": (size / 1024).toFixed(1) };
}
console.log(`Portal procedures over ${DB} (median of ${RUNS - 1} after the first)`);
console.table(table);
await db.$disconnect();
redis.disconnect();
