/**
 * Moves request events from the Redis streams into Postgres, exactly once.
 *
 * Protocol, per shard (a lease lock keeps one runner per shard; correctness does not depend on it;
 * the lock lives FLUSH_LOCK_TTL_MS and is renewed every third of that while the runner works, so a
 * killed runner's shard is free again within seconds):
 *  0. Sweep the shard's expired leases into `orphaned` events (leases.ts).
 *  1. Read the oldest events of the shard's stream (XRANGE; the stream only holds unflushed events).
 *  2. One SQL statement: insert them into RequestLog with ON CONFLICT (id) DO NOTHING, and add only
 *     the rows actually inserted to the UsageHourly rollups. A request id is thus counted at most
 *     once, whatever crashed before; the statement is atomic, so it is also counted at least once.
 *     The same statement adds them to the People and Session rollups (attribution-rollups.ts).
 *     If Postgres refuses the statement for its data (SQLSTATE class 22, 23 or 54: a bad value, a
 *     constraint, an index row too large), the batch is split in halves and each half committed
 *     the same way, down to single events: every event is then either committed, or refused on
 *     its own. Refused events (and entries that cannot be parsed) are written to the DeadLetter
 *     table, keyed by shard and stream id, with ON CONFLICT DO NOTHING. Any other error (Postgres
 *     unreachable, a dropped connection) fails the shard's run and nothing is quarantined.
 *  3. One Lua script: for each event, XDEL it and, only if it was still there, subtract its usage
 *     from the tenant's unflushed deltas. A crash between 2 and 3 re-reads events already in
 *     Postgres (or already quarantined): step 2 then inserts nothing and step 3 still cleans up, once.
 *
 * Shards fail independently: an error in one shard's run is collected and the other shards are
 * flushed; flushOnce then rejects with a FlushError that carries the errors and what did succeed.
 */
import { writeAudit, type AuditAction } from "~/audit";
import { randomUUID } from "node:crypto";
import { env } from "~/infra/env";
import { db as defaultDb } from "~/infra/db";
import { redis as defaultRedis, type RedisClient } from "~/infra/redis";
import type { PrismaClient } from "~/generated/prisma/client";
import { attributionRollupCtes } from "./attribution-rollups";
import { explanationOf, pendingDeltas, storedEventSchema, type StoredEvent } from "./event";
import { safeText, wellFormed } from "./sanitize";
import { LuaScript } from "./lua";
import { sweepOrphans } from "./leases";
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
  /** Entries that could not be parsed (quarantined to the DeadLetter table). */
  invalid: number;
  /** Events Postgres refused for their data, found by splitting their batch (quarantined too). */
  refused: number;
  /** DeadLetter rows written by this run (new ones: a retried quarantine writes none). */
  deadLettered: number;
  /** Orphaned admissions (expired leases of requests never recorded) turned into events. */
  orphaned: number;
  shardsLocked: number;
  /** Keys and tenants whose usage this run moved (for alert evaluation). */
  apiKeyIds: string[];
  tenantIds: string[];
}

function defaults(): FlushDeps {
  return { db: defaultDb, redis: defaultRedis, shards: env.LEDGER_SHARDS, batchSize: 2000, lockTtlMs: env.FLUSH_LOCK_TTL_MS };
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
  { name: "promptCacheRetention", sqlType: "text", value: (e) => e.billing.promptCacheRetention },
  { name: "costExplanation", sqlType: "jsonb", value: explanationOf },
  { name: "endUserId", sqlType: "text", value: (e) => e.endUserId },
  { name: "sessionId", sqlType: "text", value: (e) => e.sessionId },
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
)${attributionRollupCtes()}, touched AS (
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
  /** Why event is null. */
  parseError: string | null;
}

async function readBatch(deps: FlushDeps, shard: number): Promise<ParsedEntry[]> {
  const entries = (await deps.redis.xrange(ledgerKeys.events(shard), "-", "+", "COUNT", deps.batchSize)) as Array<
    [string, string[]]
  >;
  return entries.map(([streamId, fields]) => {
    const raw = fields[fields.indexOf("e") + 1] ?? "";
    try {
      const parsed = storedEventSchema.safeParse(JSON.parse(raw));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return { streamId, event: null, raw, parseError: `invalid event: ${issue?.path.join(".") ?? ""} ${issue?.message ?? ""}`.trim() };
      }
      toRow(parsed.data); // what cannot become a row (e.g. a start time out of Date's range) is unparseable too
      return { streamId, event: parsed.data, raw, parseError: null };
    } catch (err) {
      return { streamId, event: null, raw, parseError: `unparseable entry: ${err instanceof Error ? err.message : String(err)}` };
    }
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

/** What runs the flush statement: the client, or a transaction of it (replay). */
export type SqlRunner = Pick<PrismaClient, "$queryRawUnsafe">;

/** Step 2 for some events: one atomic statement. Returns the request-log rows it inserted. */
export async function commitEvents(db: SqlRunner, events: readonly StoredEvent[], shard: number): Promise<number> {
  const rows = await db.$queryRawUnsafe<Array<{ inserted: number }>>(
    INSERT_SQL,
    JSON.stringify(events.map(toRow)),
    randomUUID(),
    shard,
  );
  return rows[0]?.inserted ?? 0;
}

/** The SQLSTATE of a Postgres error as Prisma's driver adapter reports it, if any. */
export function sqlState(err: unknown): string | null {
  const meta = (err as { meta?: { driverAdapterError?: { cause?: { originalCode?: unknown; code?: unknown } } } } | null)?.meta;
  const cause = meta?.driverAdapterError?.cause;
  const code = cause?.originalCode ?? cause?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : null;
}

/**
 * Postgres refused the statement because of the data in it: data exception (22: bad text, JSON,
 * uuid, number out of range), integrity constraint (23), program limit (54: index row size, jsonb
 * too large). Retrying the same events can never succeed; anything else may (connection, lock).
 */
export function isDataError(err: unknown): boolean {
  const code = sqlState(err);
  return code !== null && ["22", "23", "54"].includes(code.slice(0, 2));
}

/** The error text kept with a dead letter: SQLSTATE, message and detail, bounded. */
export function describeError(err: unknown): string {
  const cause = (err as { meta?: { driverAdapterError?: { cause?: { message?: unknown; originalMessage?: unknown; detail?: unknown } } } } | null)
    ?.meta?.driverAdapterError?.cause;
  const code = sqlState(err);
  const message = cause?.originalMessage ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
  const detail = typeof cause?.detail === "string" ? ` (${cause.detail})` : "";
  return safeText(`${code ? `${code}: ` : ""}${String(message)}${detail}`, 1000);
}

interface Refusal {
  entry: ParsedEntry & { event: StoredEvent };
  error: string;
}

/**
 * Commits the events; a batch Postgres refuses for its data is split in halves until the refused
 * events stand alone (k bad events in n cost O(k log n) statements; a clean batch costs one).
 */
async function commitIsolating(
  deps: FlushDeps,
  shard: number,
  entries: Array<ParsedEntry & { event: StoredEvent }>,
): Promise<{ inserted: number; refused: Refusal[] }> {
  try {
    return { inserted: await commitEvents(deps.db, entries.map((e) => e.event), shard), refused: [] };
  } catch (err) {
    if (!isDataError(err)) throw err;
    if (entries.length === 1) return { inserted: 0, refused: [{ entry: entries[0]!, error: describeError(err) }] };
    const mid = Math.ceil(entries.length / 2);
    const left = await commitIsolating(deps, shard, entries.slice(0, mid));
    const right = await commitIsolating(deps, shard, entries.slice(mid));
    return { inserted: left.inserted + right.inserted, refused: [...left.refused, ...right.refused] };
  }
}

export interface DeadLetterInput {
  shard: number;
  streamId: string;
  raw: string;
  error: string;
  event: StoredEvent | null;
}

/** Raw entries are kept verbatim, except that text cannot hold NUL: it is written as the JSON escape. */
const RAW_LIMIT = 1_000_000;
export function storableRaw(raw: string): string {
  const s = wellFormed(raw).replaceAll("\u0000", "\\u0000");
  return s.length > RAW_LIMIT ? s.slice(0, RAW_LIMIT) : s;
}

export const DEAD_LETTER_AUDIT_ACTION = "ledger.dead_letter" satisfies AuditAction;

/**
 * Writes dead letters, idempotently (id = shard:streamId, ON CONFLICT DO NOTHING), and tells the
 * platform admins in the same transaction: one platform-level AuditLog row (tenantId null) per
 * run that quarantined something new. Returns the rows newly written.
 */
export async function quarantine(db: PrismaClient, items: readonly DeadLetterInput[]): Promise<number> {
  if (items.length === 0) return 0;
  return db.$transaction(async (tx) => {
    const created = await tx.deadLetter.createManyAndReturn({
      data: items.map((d) => ({
        id: `${d.shard}:${d.streamId}`,
        shard: d.shard,
        streamId: d.streamId,
        eventId: d.event ? safeText(d.event.id, 200) : null,
        tenantId: d.event ? safeText(d.event.tenantId, 200) : null,
        raw: storableRaw(d.raw),
        error: safeText(d.error, 1000),
      })),
      skipDuplicates: true,
      select: { id: true, tenantId: true, error: true },
    });
    if (created.length > 0) {
      await writeAudit(tx, { kind: "system", via: "flush" }, {
        action: DEAD_LETTER_AUDIT_ACTION,
        tenantId: null,
        target: created[0]!.id,
        details: {
          count: created.length,
          ids: created.slice(0, 20).map((c) => c.id),
          tenants: [...new Set(created.flatMap((c) => (c.tenantId ? [c.tenantId] : [])))].slice(0, 20),
          errors: [...new Set(created.map((c) => c.error))].slice(0, 5),
        },
      });
    }
    return created.length;
  });
}

/** One batch of one shard: read, commit, ack. Returns what it did; read = 0 means the shard is empty. */
type BatchResult = Omit<FlushResult, "shardsLocked" | "apiKeyIds" | "tenantIds" | "orphaned"> & { events: StoredEvent[] };

async function flushBatch(deps: FlushDeps, shard: number): Promise<BatchResult> {
  const entries = await readBatch(deps, shard);
  if (entries.length === 0) return { read: 0, inserted: 0, acked: 0, invalid: 0, refused: 0, deadLettered: 0, events: [] };
  await deps.onStep?.("read", shard);
  const valid = entries.filter((e): e is ParsedEntry & { event: StoredEvent } => e.event !== null);
  const invalid = entries.filter((e) => !e.event);
  const { inserted, refused } = valid.length > 0 ? await commitIsolating(deps, shard, valid) : { inserted: 0, refused: [] };
  const deadLettered = await quarantine(deps.db, [
    ...invalid.map((e) => ({ shard, streamId: e.streamId, raw: e.raw, error: e.parseError ?? "unparseable entry", event: null })),
    ...refused.map((r) => ({ shard, streamId: r.entry.streamId, raw: r.entry.raw, error: r.error, event: r.entry.event })),
  ]);
  await deps.onStep?.("committed", shard);
  const acked = await ack(deps, shard, entries);
  await deps.onStep?.("acked", shard);
  const refusedIds = new Set(refused.map((r) => r.entry.streamId));
  return {
    read: entries.length,
    inserted,
    acked,
    invalid: invalid.length,
    refused: refused.length,
    deadLettered,
    events: valid.filter((e) => !refusedIds.has(e.streamId)).map((e) => e.event),
  };
}

/**
 * Entries an older version moved to the shard's `:dead` Redis stream: into the DeadLetter table
 * too (same id scheme, so a crash between the insert and the XDEL writes nothing twice).
 */
async function drainLegacyDeadStream(deps: FlushDeps, shard: number): Promise<number> {
  const dead = `${ledgerKeys.events(shard)}:dead`;
  const entries = (await deps.redis.xrange(dead, "-", "+", "COUNT", deps.batchSize)) as Array<[string, string[]]>;
  if (entries.length === 0) return 0;
  const field = (fields: string[], name: string) => fields[fields.indexOf(name) + 1] ?? "";
  const written = await quarantine(
    deps.db,
    entries.map(([deadId, fields]) => ({
      shard,
      streamId: field(fields, "id") || deadId,
      raw: field(fields, "raw"),
      error: "unparseable entry (moved from the Redis :dead stream)",
      event: null,
    })),
  );
  await deps.redis.xdel(dead, ...entries.map(([id]) => id));
  return written;
}

export interface ShardError {
  shard: number;
  error: unknown;
}

/** Some shards could not be flushed; `result` is what the others did. */
export class FlushError extends AggregateError {
  constructor(
    readonly result: FlushResult,
    readonly shardErrors: ShardError[],
  ) {
    const first = shardErrors[0];
    const message = first?.error instanceof Error ? first.error.message : String(first?.error);
    super(
      shardErrors.map((e) => e.error),
      `flush failed on shard${shardErrors.length > 1 ? "s" : ""} ${shardErrors.map((e) => e.shard).join(", ")}: ${message}`,
    );
    this.name = "FlushError";
  }
}

/**
 * Runs every shard whose lock this runner can take until its stream is empty. A shard that fails
 * does not stop the others: its error is collected and flushOnce rejects with a FlushError at the end.
 */
export async function flushOnce(overrides: Partial<FlushDeps> = {}): Promise<FlushResult> {
  const deps = { ...defaults(), ...overrides };
  const total: FlushResult = {
    read: 0, inserted: 0, acked: 0, invalid: 0, refused: 0, deadLettered: 0, orphaned: 0, shardsLocked: 0, apiKeyIds: [], tenantIds: [],
  };
  const keys = new Set<string>();
  const tenants = new Set<string>();
  const shardErrors: ShardError[] = [];
  for (let shard = 0; shard < deps.shards; shard++) {
    const lockKey = ledgerKeys.flushLock(shard);
    const token = randomUUID();
    let locked = false;
    // Keep the lease while this shard is worked on, also during one long statement; if it was
    // lost (we stalled past its TTL), stop after the current batch and let the new holder go on.
    let lockHeld = true;
    let renewal: NodeJS.Timeout | undefined;
    try {
      locked = (await deps.redis.set(lockKey, token, "PX", deps.lockTtlMs, "NX")) === "OK";
      if (!locked) continue;
      total.shardsLocked++;
      renewal = setInterval(() => {
        renewScript.run(deps.redis, [lockKey], [token, deps.lockTtlMs]).then(
          (r) => (lockHeld &&= Number(r) === 1),
          () => {},
        );
      }, Math.max(100, Math.floor(deps.lockTtlMs / 3)));
      total.deadLettered += await drainLegacyDeadStream(deps, shard);
      for (;;) {
        const swept = await sweepOrphans(shard, { redis: deps.redis });
        total.orphaned += swept.orphaned;
        if (swept.orphaned + swept.dropped < 500) break;
      }
      for (;;) {
        const r = await flushBatch(deps, shard);
        total.read += r.read;
        total.inserted += r.inserted;
        total.acked += r.acked;
        total.invalid += r.invalid;
        total.refused += r.refused;
        total.deadLettered += r.deadLettered;
        for (const e of r.events) {
          keys.add(e.apiKeyId);
          tenants.add(e.tenantId);
        }
        if (r.read < deps.batchSize || !lockHeld) break;
      }
    } catch (error) {
      shardErrors.push({ shard, error });
    } finally {
      clearInterval(renewal);
      // A lock that cannot be released (Redis gone) expires with its TTL.
      if (locked) await releaseScript.run(deps.redis, [lockKey], [token]).catch(() => {});
    }
  }
  total.apiKeyIds = [...keys];
  total.tenantIds = [...tenants];
  if (shardErrors.length > 0) throw new FlushError(total, shardErrors);
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
      .then(
        (r) => hooks.onFlushed?.(r, performance.now() - t0),
        (err: unknown) => {
          // The shards that did flush still count (metrics, alerts) before the error is reported.
          if (err instanceof FlushError) hooks.onFlushed?.(err.result, performance.now() - t0);
          throw err;
        },
      )
      .catch(onError)
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
