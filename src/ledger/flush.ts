/**
 * Moves request events from the Redis streams into Postgres, exactly once.
 *
 * Protocol, per shard (a lease lock keeps one runner per shard; correctness does not depend on it):
 *  1. Read the oldest events of the shard's stream (XRANGE; the stream only holds unflushed events).
 *  2. One SQL statement: insert them into RequestLog with ON CONFLICT (id) DO NOTHING, and add only
 *     the rows actually inserted to the UsageHourly rollups. A request id is thus counted at most
 *     once, whatever crashed before; the statement is atomic, so it is also counted at least once.
 *  3. One Lua script: for each event, XDEL it and, only if it was still there, subtract its usage
 *     from the tenant's unflushed deltas. A crash between 2 and 3 re-reads events already in
 *     Postgres: step 2 then inserts nothing and step 3 still cleans up, once.
 */
import { randomUUID } from "node:crypto";
import { env } from "~/env";
import { db as defaultDb } from "~/server/db";
import { redis as defaultRedis, type RedisClient } from "~/server/redis";
import type { PrismaClient } from "~/generated/prisma/client";
import { explanationOf, pendingDeltas, storedEventSchema, type StoredEvent } from "./event";
import { LuaScript } from "./lua";
import { purgeRequestLogs } from "./maintenance";
import { ledgerKeys } from "./redis-keys";
import { METRIC_DEFS, METRICS } from "./types";

export interface FlushDeps {
  db: PrismaClient;
  redis: RedisClient;
  shards: number;
  batchSize: number;
  lockTtlMs: number;
  /** Test hook: called between the steps of the protocol, to inject crashes. */
  onStep?: (step: "read" | "committed" | "acked", shard: number) => void | Promise<void>;
}

export interface FlushResult {
  /** Events read from Redis. */
  read: number;
  /** Rows newly inserted into the request log (read − already flushed before a crash). */
  inserted: number;
  /** Events removed from Redis. */
  acked: number;
  /** Entries that could not be parsed, moved aside to the shard's dead-letter stream. */
  invalid: number;
  shardsLocked: number;
  /** Keys and tenants whose usage this run moved (for alert evaluation). */
  apiKeyIds: string[];
  tenantIds: string[];
}

function defaults(): FlushDeps {
  return { db: defaultDb, redis: defaultRedis, shards: env.LEDGER_SHARDS, batchSize: 2000, lockTtlMs: 30_000 };
}

const releaseScript = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);
const renewScript = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`);

/** KEYS = [stream, pending hashes...]; ARGV = per event: id, pending key index, n, n × (field, delta). */
const ackScript = new LuaScript(`
local i = 1
local acked = 0
while i <= #ARGV do
  local id = ARGV[i]
  local k = KEYS[tonumber(ARGV[i + 1])]
  local n = tonumber(ARGV[i + 2])
  if redis.call('XDEL', KEYS[1], id) == 1 then
    acked = acked + 1
    for j = 0, n - 1 do
      local field = ARGV[i + 3 + 2 * j]
      if redis.call('HINCRBY', k, field, -tonumber(ARGV[i + 4 + 2 * j])) == 0 then
        redis.call('HDEL', k, field)
      end
    end
  end
  i = i + 3 + 2 * n
end
return acked
`);

/**
 * The request-log columns the flush writes that are not metrics, with how each comes from the
 * stored event. Together with the metrics' log columns (METRIC_DEFS) they generate the record set,
 * the INSERT and toRow, so a new field is added in one place.
 */
interface LogColumn {
  name: string;
  /** Type in jsonb_to_recordset. */
  sqlType: string;
  /** Expression inserted (casts to enums, defaults). */
  insert?: string;
  value(e: StoredEvent): unknown;
}

const FIELD_COLUMNS: readonly LogColumn[] = [
  { name: "id", sqlType: "text", value: (e) => e.id },
  { name: "apiKeyId", sqlType: "uuid", value: (e) => e.apiKeyId },
  { name: "tenantId", sqlType: "text", value: (e) => e.tenantId },
  { name: "createdAt", sqlType: "timestamp(3)", value: (e) => new Date(e.startedAt).toISOString() },
  { name: "model", sqlType: "text", value: (e) => e.model },
  { name: "requestedModel", sqlType: "text", value: (e) => e.requestedModel },
  { name: "provider", sqlType: "text", insert: `provider::"Provider"`, value: (e) => e.provider },
  { name: "endpoint", sqlType: "text", value: (e) => e.endpoint },
  { name: "stream", sqlType: "boolean", value: (e) => e.stream },
  { name: "status", sqlType: "int", value: (e) => e.status },
  { name: "ttfbMs", sqlType: "int", value: (e) => e.ttfbMs },
  { name: "usageSource", sqlType: "text", insert: `"usageSource"::"UsageSource"`, value: (e) => e.usageSource },
  { name: "priced", sqlType: "boolean", value: (e) => e.priced },
  { name: "clientIp", sqlType: "text", value: (e) => e.clientIp },
  { name: "userAgent", sqlType: "text", value: (e) => e.userAgent },
  { name: "error", sqlType: "text", value: (e) => e.error },
  { name: "flags", sqlType: "text[]", insert: `COALESCE(flags, '{}')`, value: (e) => e.flags },
  { name: "speed", sqlType: "text", value: (e) => e.billing.speed },
  { name: "inferenceGeo", sqlType: "text", value: (e) => e.billing.inferenceGeo },
  { name: "serviceTier", sqlType: "text", value: (e) => e.billing.serviceTier },
  { name: "webFetchRequests", sqlType: "int", value: (e) => e.billing.webFetchRequests },
  { name: "costExplanation", sqlType: "jsonb", value: explanationOf },
];

const LOG_COLUMNS: readonly LogColumn[] = [
  ...FIELD_COLUMNS,
  ...METRICS.flatMap((m): LogColumn[] => {
    const def = METRIC_DEFS[m];
    return def.logColumn ? [{ name: def.logColumn.name, sqlType: def.logColumn.sqlType, value: (e) => def.of(e) }] : [];
  }),
];

const q = (name: string) => `"${name}"`;

function buildInsertSql(): string {
  const recordset = LOG_COLUMNS.map((c) => `${q(c.name)} ${c.sqlType}`).join(", ");
  const names = LOG_COLUMNS.map((c) => q(c.name)).join(", ");
  const selected = LOG_COLUMNS.map((c) => c.insert ?? q(c.name)).join(", ");
  const metrics = METRICS.map(q).join(", ");
  const sums = METRICS.map((m) => METRIC_DEFS[m].rollupSql).join(", ");
  const adds = METRICS.map((m) => `${q(m)} = "UsageHourly".${q(m)} + EXCLUDED.${q(m)}`).join(",\n    ");
  return `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(${recordset})
), ins AS (
  INSERT INTO "RequestLog" (${names})
  SELECT ${selected}
  FROM input
  ON CONFLICT (id) DO NOTHING
  RETURNING *
), rollup AS (
  INSERT INTO "UsageHourly" ("apiKeyId", "tenantId", model, "hourStart", ${metrics})
  SELECT "apiKeyId", "tenantId", model, date_trunc('hour', "createdAt"), ${sums}
  FROM ins GROUP BY 1, 2, 3, 4
  ON CONFLICT ("apiKeyId", model, "hourStart") DO UPDATE SET
    ${adds}
  RETURNING 1
), touched AS (
  UPDATE "ApiKey" k SET "lastUsedAt" = GREATEST(k."lastUsedAt", u.last), "firstUsedAt" = COALESCE(k."firstUsedAt", u.first)
  FROM (SELECT "apiKeyId", max("createdAt") AS last, min("createdAt") AS first FROM ins GROUP BY 1) u
  WHERE k.id = u."apiKeyId"
  RETURNING 1
), batch AS (
  INSERT INTO "FlushBatch" (id, shard, events, "createdAt") SELECT $2, $3, count(*), now() FROM ins
  RETURNING events
)
SELECT events::int AS inserted FROM batch
`;
}

const INSERT_SQL = buildInsertSql();

function toRow(e: StoredEvent): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const c of LOG_COLUMNS) row[c.name] = c.value(e);
  return row;
}

interface ParsedEntry {
  streamId: string;
  event: StoredEvent | null;
  raw: string;
}

async function readBatch(deps: FlushDeps, shard: number): Promise<ParsedEntry[]> {
  const entries = (await deps.redis.xrange(ledgerKeys.events(shard), "-", "+", "COUNT", deps.batchSize)) as Array<
    [string, string[]]
  >;
  return entries.map(([streamId, fields]) => {
    const raw = fields[fields.indexOf("e") + 1] ?? "";
    let event: StoredEvent | null = null;
    try {
      const parsed = storedEventSchema.safeParse(JSON.parse(raw));
      event = parsed.success ? parsed.data : null;
    } catch {
      event = null;
    }
    return { streamId, event, raw };
  });
}

/** Events per ack script call: each event is acknowledged atomically on its own, so chunks are safe. */
const ACK_CHUNK = 500;

async function ack(deps: FlushDeps, shard: number, entries: ParsedEntry[]): Promise<number> {
  let acked = 0;
  for (let i = 0; i < entries.length; i += ACK_CHUNK) acked += await ackChunk(deps, shard, entries.slice(i, i + ACK_CHUNK));
  return acked;
}

async function ackChunk(deps: FlushDeps, shard: number, entries: ParsedEntry[]): Promise<number> {
  const keys = [ledgerKeys.events(shard)];
  const keyIndex = new Map<string, number>();
  const args: Array<string | number> = [];
  for (const { streamId, event } of entries) {
    if (!event) {
      // Unparseable: keep a copy aside for an operator, then drop it from the live stream.
      args.push(streamId, 1, 0);
      continue;
    }
    const pendingKey = ledgerKeys.pending(shard, event.tenantId);
    let idx = keyIndex.get(pendingKey);
    if (idx === undefined) {
      keys.push(pendingKey);
      idx = keys.length; // Lua KEYS are 1-based
      keyIndex.set(pendingKey, idx);
    }
    const deltas = pendingDeltas(event);
    args.push(streamId, idx, deltas.length);
    for (const [field, delta] of deltas) args.push(field, delta);
  }
  return Number(await ackScript.run(deps.redis, keys, args));
}

/** One batch of one shard: read, commit, ack. Returns what it did; read = 0 means the shard is empty. */
type BatchResult = Omit<FlushResult, "shardsLocked" | "apiKeyIds" | "tenantIds"> & { events: StoredEvent[] };

async function flushBatch(deps: FlushDeps, shard: number): Promise<BatchResult> {
  const entries = await readBatch(deps, shard);
  if (entries.length === 0) return { read: 0, inserted: 0, acked: 0, invalid: 0, events: [] };
  await deps.onStep?.("read", shard);
  const valid = entries.flatMap((e) => (e.event ? [e.event] : []));
  const invalid = entries.filter((e) => !e.event);
  if (invalid.length > 0) {
    const dead = `${ledgerKeys.events(shard)}:dead`;
    for (const e of invalid) await deps.redis.xadd(dead, "*", "id", e.streamId, "raw", e.raw);
  }
  let inserted = 0;
  if (valid.length > 0) {
    const rows = await deps.db.$queryRawUnsafe<Array<{ inserted: number }>>(
      INSERT_SQL,
      JSON.stringify(valid.map(toRow)),
      randomUUID(),
      shard,
    );
    inserted = rows[0]?.inserted ?? 0;
  }
  await deps.onStep?.("committed", shard);
  const acked = await ack(deps, shard, entries);
  await deps.onStep?.("acked", shard);
  return { read: entries.length, inserted, acked, invalid: invalid.length, events: valid };
}

/** Runs every shard whose lock this runner can take until its stream is empty. */
export async function flushOnce(overrides: Partial<FlushDeps> = {}): Promise<FlushResult> {
  const deps = { ...defaults(), ...overrides };
  const total: FlushResult = { read: 0, inserted: 0, acked: 0, invalid: 0, shardsLocked: 0, apiKeyIds: [], tenantIds: [] };
  const keys = new Set<string>();
  const tenants = new Set<string>();
  for (let shard = 0; shard < deps.shards; shard++) {
    const lockKey = ledgerKeys.flushLock(shard);
    const token = randomUUID();
    const locked = await deps.redis.set(lockKey, token, "PX", deps.lockTtlMs, "NX");
    if (locked !== "OK") continue;
    total.shardsLocked++;
    try {
      for (;;) {
        const r = await flushBatch(deps, shard);
        total.read += r.read;
        total.inserted += r.inserted;
        total.acked += r.acked;
        total.invalid += r.invalid;
        for (const e of r.events) {
          keys.add(e.apiKeyId);
          tenants.add(e.tenantId);
        }
        if (r.read < deps.batchSize) break;
        // Still working: keep the lease; if we lost it, stop and let the new holder continue.
        if (Number(await renewScript.run(deps.redis, [lockKey], [token, deps.lockTtlMs])) !== 1) break;
      }
    } finally {
      await releaseScript.run(deps.redis, [lockKey], [token]);
    }
  }
  total.apiKeyIds = [...keys];
  total.tenantIds = [...tenants];
  return total;
}

export interface FlushLoop {
  stop(): Promise<void>;
}

const RETENTION_LOCK_SECONDS = 3600;

/** Request-log retention, at most once an hour across all runners (a Redis lock with that TTL). */
async function maybePurge(deps: FlushDeps): Promise<void> {
  const got = await deps.redis.set(`${env.REDIS_PREFIX}retention-lock`, "1", "EX", RETENTION_LOCK_SECONDS, "NX");
  if (got === "OK") await purgeRequestLogs(env.REQUEST_LOG_RETENTION_DAYS, deps.db);
}

export interface FlushLoopHooks {
  onFlushed?: (result: FlushResult, durationMs: number) => void;
  onError?: (err: unknown) => void;
}

/** Flushes every FLUSH_INTERVAL_MS until stopped; errors go to the hook and are retried next tick. */
export function startFlushLoop(
  overrides: Partial<FlushDeps> = {},
  intervalMs: number = env.FLUSH_INTERVAL_MS,
  hooks: FlushLoopHooks = {},
): FlushLoop {
  const onError = hooks.onError ?? ((err: unknown) => console.error("[flush] failed:", err));
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    if (stopped) return;
    const t0 = performance.now();
    running = flushOnce(overrides)
      .then((r) => hooks.onFlushed?.(r, performance.now() - t0))
      .then(() => maybePurge({ ...defaults(), ...overrides }))
      .catch(onError)
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  let timer: NodeJS.Timeout = setTimeout(tick, intervalMs);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
