/**
 * Live usage: Postgres hourly rollups plus the deltas Redis holds that are not flushed yet, so a
 * request shows up on a dashboard within moments. Postgres is read first: if a flush lands between
 * the two reads, a request is briefly missing, never counted twice.
 */
import { env } from "~/infra/env";
import { dbRead as defaultDb } from "~/infra/db";
import { redis as defaultRedis, type RedisClient } from "~/infra/redis";
import type { PrismaClient } from "~/generated/prisma/client";
import { dayPeriod } from "./periods";
import { FIELD_SEP, METRICS, ledgerKeys, shardOf, type Metric } from "./redis-keys";

export interface UsageQuery {
  tenantId?: string;
  apiKeyId?: string;
  /** Inclusive start. */
  from: Date;
  /** Exclusive end. */
  to: Date;
  /**
   * Aggregate to calendar days of this time zone: each row's hourStart is then the start of its
   * local day. Far fewer rows for long ranges (dashboards, exports); totals are unchanged.
   */
  dayBucketsIn?: string;
  /**
   * With dayBucketsIn: also start a new bucket at each of these hours (epoch ms, hour-aligned), so a
   * bucket's hourStart is the later of its day's start and the last of them at or before its
   * hours. Cache economics split at price changes (baseRateChangeHours) to price each bucket once.
   */
  splitAt?: readonly number[];
}

export type UsageRow = {
  apiKeyId: string;
  tenantId: string;
  model: string;
  hourStart: Date;
} & Record<Metric, number>;

export interface QueryDeps {
  db: PrismaClient;
  redis: RedisClient;
  shards: number;
}

function rowKey(apiKeyId: string, model: string, hourMs: number): string {
  return `${apiKeyId}${FIELD_SEP}${model}${FIELD_SEP}${hourMs}`;
}

/** Tenants whose unflushed deltas can matter for the query. */
async function tenantsFor(q: UsageQuery, db: PrismaClient): Promise<string[]> {
  if (q.tenantId) return [q.tenantId];
  if (q.apiKeyId) {
    const key = await db.apiKey.findUnique({ where: { id: q.apiKeyId }, select: { tenantId: true } });
    return key ? [key.tenantId] : [];
  }
  return (await db.tenant.findMany({ select: { id: true } })).map((t) => t.id);
}

/** The bucket of an hour in a day starting at dayStartMs, split at `splitAt` (as storedRows does in SQL). */
function splitBucket(dayStartMs: number, hourMs: number, splitAt: readonly number[] | undefined): number {
  let start = dayStartMs;
  for (const s of splitAt ?? []) if (s <= hourMs && s > start) start = s;
  return start;
}

const METRIC_SUMS = METRICS.map((m) => `sum("${m}")::float8 AS "${m}"`).join(", ");

/** Rollups from Postgres, hourly or summed per local day, in one SQL query. */
async function storedRows(db: PrismaClient, q: UsageQuery): Promise<UsageRow[]> {
  const where: string[] = ['"hourStart" >= $1', '"hourStart" < $2'];
  const params: unknown[] = [q.from, q.to];
  if (q.tenantId) where.push(`"tenantId" = $${params.push(q.tenantId)}`);
  if (q.apiKeyId) where.push(`"apiKeyId" = $${params.push(q.apiKeyId)}::uuid`);
  let bucket = q.dayBucketsIn
    ? `(date_trunc('day', "hourStart" AT TIME ZONE 'UTC' AT TIME ZONE $${params.push(q.dayBucketsIn)}) AT TIME ZONE $${params.length}) AT TIME ZONE 'UTC'`
    : '"hourStart"';
  if (q.dayBucketsIn && q.splitAt && q.splitAt.length > 0) {
    // GREATEST skips the NULL of an hour before every split.
    const splits = `$${params.push(q.splitAt.map((ms) => new Date(ms)))}::timestamptz[]`;
    bucket = `GREATEST(${bucket}, (SELECT max(s) FROM unnest(${splits}) s WHERE s <= "hourStart"))`;
  }
  // float8 sums: exact below 2^53, and the driver returns them as numbers without BigInt work.
  const sql = `SELECT "apiKeyId"::text AS "apiKeyId", "tenantId", model, ${bucket} AS "hourStart", ${METRIC_SUMS}
    FROM "UsageHourly" WHERE ${where.join(" AND ")} GROUP BY 1, 2, 3, 4`;
  return db.$queryRawUnsafe<UsageRow[]>(sql, ...params);
}

export async function usageRows(q: UsageQuery, overrides: Partial<QueryDeps> = {}): Promise<UsageRow[]> {
  const deps: QueryDeps = { db: defaultDb, redis: defaultRedis, shards: env.LEDGER_SHARDS, ...overrides };
  const rows = new Map<string, UsageRow>();
  for (const r of await storedRows(deps.db, q)) rows.set(rowKey(r.apiKeyId, r.model, r.hourStart.getTime()), r);

  const tenants = await tenantsFor(q, deps.db);
  // One HGETALL per tenant; auto-pipelining batches them per node (a Cluster-wide pipeline can't span slots).
  const pending = await Promise.all(tenants.map((t) => deps.redis.hgetall(ledgerKeys.pending(shardOf(t, deps.shards), t))));
  pending.forEach((value, i) => {
    const tenantId = tenants[i]!;
    for (const [field, raw] of Object.entries(value)) {
      const [apiKeyId, model, hourText, metric] = field.split(FIELD_SEP);
      const hourMs = Number(hourText);
      if (!apiKeyId || !model || !metric || !(METRICS as readonly string[]).includes(metric)) continue;
      if (q.apiKeyId && apiKeyId !== q.apiKeyId) continue;
      if (hourMs < q.from.getTime() || hourMs >= q.to.getTime()) continue;
      const bucketMs = q.dayBucketsIn ? splitBucket(dayPeriod(hourMs, q.dayBucketsIn).startMs, hourMs, q.splitAt) : hourMs;
      const k = rowKey(apiKeyId, model, bucketMs);
      let row = rows.get(k);
      if (!row) {
        row = { apiKeyId, tenantId, model, hourStart: new Date(bucketMs) } as UsageRow;
        for (const m of METRICS) row[m] = 0;
        rows.set(k, row);
      }
      row[metric as Metric] += Number(raw);
    }
  });
  return [...rows.values()].sort((a, b) => a.hourStart.getTime() - b.hourStart.getTime());
}

export interface Spend {
  costMicros: number;
  tokens: number;
}

/** Cost and tokens recorded for a key or a tenant in [fromMs, toMs), unflushed usage included. */
export async function spentInRange(
  scope: { apiKeyId?: string; tenantId?: string },
  fromMs: number,
  toMs: number,
  overrides: Partial<QueryDeps> = {},
): Promise<Spend> {
  // Only sums are needed: day buckets keep the row count small over long ranges.
  const rows = await usageRows({ ...scope, from: new Date(fromMs), to: new Date(toMs), dayBucketsIn: "UTC" }, overrides);
  let costMicros = 0;
  let tokens = 0;
  for (const r of rows) {
    costMicros += r.costMicros;
    tokens += r.inputTokens + r.outputTokens + r.cacheWrite5mTokens + r.cacheWrite1hTokens + r.cacheReadTokens;
  }
  return { costMicros, tokens };
}
