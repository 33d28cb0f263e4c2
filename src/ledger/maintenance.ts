/**
 * Operator tasks over the ledger: reconcile the three records of usage, reprice after a price
 * table change, and delete old request-log rows without long locks.
 */
import type { PriceOverrides } from "~/pricing";
import { priceRequest, type CostExplanation } from "~/pricing/request";
import { db as defaultDb } from "~/infra/db";
import { redis as defaultRedis, type RedisClient } from "~/infra/redis";
import { env } from "~/infra/env";
import { toPriceOverrides } from "~/keys/server";
import type { PrismaClient } from "~/generated/prisma/client";
import { storedEventSchema } from "./event";
import { usageRows } from "./query";
import { HOUR_MS } from "~/lib/time";
import { FIELD_SEP, ledgerKeys } from "./redis-keys";
import { METRIC_DEFS } from "./types";

export interface Totals {
  requests: number;
  tokens: number;
  costMicros: number;
}

export interface ReconcileDifference {
  apiKeyId: string;
  model: string;
  what: "requestLog vs rollups" | "stream events vs unflushed deltas";
  left: Totals;
  right: Totals;
}

export interface ReconcileReport {
  from: string;
  to: string;
  requestLog: Totals;
  rollups: Totals;
  unflushedEvents: Totals;
  unflushedDeltas: Totals;
  differences: ReconcileDifference[];
}

const zero = (): Totals => ({ requests: 0, tokens: 0, costMicros: 0 });
const add = (t: Totals, o: Totals) => {
  t.requests += o.requests;
  t.tokens += o.tokens;
  t.costMicros += o.costMicros;
};
const same = (a: Totals, b: Totals) => a.requests === b.requests && a.tokens === b.tokens && a.costMicros === b.costMicros;

function bucket(map: Map<string, Totals>, key: string): Totals {
  let t = map.get(key);
  if (!t) map.set(key, (t = zero()));
  return t;
}

/**
 * Compares, per key × model over whole hours [from, to): the request log with the hourly rollups
 * (both in Postgres), and the events still in the Redis streams with the unflushed deltas.
 */
export async function reconcile(
  fromDate: Date,
  toDate: Date,
  deps: { db: PrismaClient; redis: RedisClient; shards: number } = { db: defaultDb, redis: defaultRedis, shards: env.LEDGER_SHARDS },
): Promise<ReconcileReport> {
  const from = new Date(Math.floor(fromDate.getTime() / HOUR_MS) * HOUR_MS);
  const to = new Date(Math.ceil(toDate.getTime() / HOUR_MS) * HOUR_MS);
  const logs = await deps.db.$queryRawUnsafe<Array<{ apiKeyId: string; model: string; requests: bigint; tokens: bigint; cost: bigint }>>(
    `SELECT "apiKeyId"::text AS "apiKeyId", model, count(*) AS requests,
       sum("inputTokens" + "outputTokens" + "cacheWrite5mTokens" + "cacheWrite1hTokens" + "cacheReadTokens") AS tokens,
       sum("costMicros") AS cost
     FROM "RequestLog" WHERE "createdAt" >= $1 AND "createdAt" < $2 GROUP BY 1, 2`,
    from,
    to,
  );
  const rolls = await deps.db.usageHourly.groupBy({
    by: ["apiKeyId", "model"],
    where: { hourStart: { gte: from, lt: to } },
    _sum: { requests: true, inputTokens: true, outputTokens: true, cacheWrite5mTokens: true, cacheWrite1hTokens: true, cacheReadTokens: true, costMicros: true },
  });
  const logMap = new Map<string, Totals>();
  const rollMap = new Map<string, Totals>();
  for (const l of logs) add(bucket(logMap, `${l.apiKeyId}${FIELD_SEP}${l.model}`), { requests: Number(l.requests), tokens: Number(l.tokens), costMicros: Number(l.cost) });
  for (const r of rolls) {
    const s = r._sum;
    add(bucket(rollMap, `${r.apiKeyId}${FIELD_SEP}${r.model}`), {
      requests: Number(s.requests ?? 0),
      tokens: Number((s.inputTokens ?? 0n) + (s.outputTokens ?? 0n) + (s.cacheWrite5mTokens ?? 0n) + (s.cacheWrite1hTokens ?? 0n) + (s.cacheReadTokens ?? 0n)),
      costMicros: Number(s.costMicros ?? 0),
    });
  }

  // Unflushed: events in the streams vs the live deltas (both in Redis).
  const eventMap = new Map<string, Totals>();
  for (let shard = 0; shard < deps.shards; shard++) {
    const entries = (await deps.redis.xrange(ledgerKeys.events(shard), "-", "+")) as Array<[string, string[]]>;
    for (const [, fields] of entries) {
      const parsed = storedEventSchema.safeParse(JSON.parse(fields[fields.indexOf("e") + 1] ?? "null"));
      if (!parsed.success || parsed.data.startedAt < from.getTime() || parsed.data.startedAt >= to.getTime()) continue;
      const e = parsed.data;
      add(bucket(eventMap, `${e.apiKeyId}${FIELD_SEP}${e.model}`), {
        requests: 1,
        tokens: e.usage.input + e.usage.output + e.usage.cacheWrite5m + e.usage.cacheWrite1h + e.usage.cacheRead,
        costMicros: e.costMicros,
      });
    }
  }
  const live = await usageRows({ from, to }, deps);
  const deltaMap = new Map<string, Totals>();
  for (const r of live) {
    // usageRows = rollups + deltas; the deltas alone are the difference from the rollup totals.
    add(bucket(deltaMap, `${r.apiKeyId}${FIELD_SEP}${r.model}`), {
      requests: r.requests,
      tokens: r.inputTokens + r.outputTokens + r.cacheWrite5mTokens + r.cacheWrite1hTokens + r.cacheReadTokens,
      costMicros: r.costMicros,
    });
  }
  for (const [k, t] of rollMap) {
    const d = bucket(deltaMap, k);
    d.requests -= t.requests;
    d.tokens -= t.tokens;
    d.costMicros -= t.costMicros;
  }

  const differences: ReconcileDifference[] = [];
  const compare = (what: ReconcileDifference["what"], a: Map<string, Totals>, b: Map<string, Totals>) => {
    for (const k of new Set([...a.keys(), ...b.keys()])) {
      const left = a.get(k) ?? zero();
      const right = b.get(k) ?? zero();
      if (!same(left, right)) {
        const [apiKeyId = "", model = ""] = k.split(FIELD_SEP);
        differences.push({ apiKeyId, model, what, left, right });
      }
    }
  };
  compare("requestLog vs rollups", logMap, rollMap);
  compare("stream events vs unflushed deltas", eventMap, deltaMap);
  const sumOf = (m: Map<string, Totals>) => [...m.values()].reduce((t, x) => (add(t, x), t), zero());
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    requestLog: sumOf(logMap),
    rollups: sumOf(rollMap),
    unflushedEvents: sumOf(eventMap),
    unflushedDeltas: sumOf(deltaMap),
    differences,
  };
}

/** What repricing changes (or, in a dry run, would change) for one billed model. */
export interface RepriceModelDiff {
  model: string;
  /** Rows of this model in the window. */
  rows: number;
  /** Rows whose cost or priced flag changes. */
  changed: number;
  oldTotalMicros: number;
  newTotalMicros: number;
  /** Rows that were unpriced before and are priced now. */
  nowPriced: number;
}

export interface RepriceReport {
  from: string;
  to: string;
  dryRun: boolean;
  requestsRepriced: number;
  rollupsRepriced: number;
  costBeforeMicros: number;
  costAfterMicros: number;
  /** Per model: rows, old total, new total (sorted by model). */
  models: RepriceModelDiff[];
}

/**
 * Recomputes request costs in [from, to) with the pricing module: each row with the catalog entry
 * in effect at its createdAt and the modifiers its response reported (stored on the row), its cost
 * explanation rewritten alongside. Then each affected rollup's cost and unpriced count become the
 * sums of its requests (so rollups and logs keep agreeing). Hours whose request logs were already
 * removed by retention keep their rollup values. Run after a flush. A dry run changes nothing and
 * reports the per-model diff.
 */
export async function reprice(
  fromDate: Date,
  toDate: Date,
  /** `tenantId`: only that tenant's requests and rollups (one tenant's corrected prices; other tenants untouched). */
  opts: { dryRun: boolean; overrides?: PriceOverrides; tenantId?: string; db?: PrismaClient } = { dryRun: true },
): Promise<RepriceReport> {
  const db = opts.db ?? defaultDb;
  const from = new Date(Math.floor(fromDate.getTime() / HOUR_MS) * HOUR_MS);
  const to = new Date(Math.ceil(toDate.getTime() / HOUR_MS) * HOUR_MS);
  const report: RepriceReport = {
    from: from.toISOString(), to: to.toISOString(), dryRun: opts.dryRun,
    requestsRepriced: 0, rollupsRepriced: 0, costBeforeMicros: 0, costAfterMicros: 0, models: [],
  };
  const perModel = new Map<string, RepriceModelDiff>();
  // Each tenant's own prices apply to its requests, unless the caller gives one set for all.
  const byTenant = new Map<string, PriceOverrides>();
  if (!opts.overrides) {
    const rows = await db.priceOverride.findMany();
    for (const tenantId of new Set(rows.map((r) => r.tenantId))) {
      byTenant.set(tenantId, toPriceOverrides(rows.filter((r) => r.tenantId === tenantId)));
    }
  }
  let cursor: string | undefined;
  for (;;) {
    const batch = await db.requestLog.findMany({
      where: { createdAt: { gte: from, lt: to }, ...(opts.tenantId === undefined ? {} : { tenantId: opts.tenantId }) },
      orderBy: { id: "asc" },
      take: 5000,
      ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
    });
    if (batch.length === 0) break;
    cursor = batch[batch.length - 1]!.id;
    const changes: Array<{ id: string; cost: number; priced: boolean; explanation: CostExplanation | null }> = [];
    for (const r of batch) {
      const priced = priceRequest(
        {
          provider: r.provider,
          model: r.model,
          at: r.createdAt.getTime(),
          usage: {
            input: r.inputTokens, output: r.outputTokens, cacheWrite5m: r.cacheWrite5mTokens,
            cacheWrite1h: r.cacheWrite1hTokens, cacheRead: r.cacheReadTokens,
          },
          modifiers: {
            speed: r.speed, inferenceGeo: r.inferenceGeo, serviceTier: r.serviceTier,
            webSearchRequests: r.webSearchRequests, webFetchRequests: r.webFetchRequests,
            promptCacheRetention: r.promptCacheRetention,
          },
        },
        opts.overrides ?? byTenant.get(r.tenantId),
      );
      // Never write a cost that is not a whole non-negative number of micro-dollars (see sanitize.ts).
      const c = Number.isSafeInteger(priced.costMicros) && priced.costMicros >= 0 ? priced : { costMicros: 0, priced: false, explanation: null };
      const before = Number(r.costMicros);
      report.costBeforeMicros += before;
      report.costAfterMicros += c.costMicros;
      let m = perModel.get(r.model);
      if (!m) perModel.set(r.model, (m = { model: r.model, rows: 0, changed: 0, oldTotalMicros: 0, newTotalMicros: 0, nowPriced: 0 }));
      m.rows++;
      m.oldTotalMicros += before;
      m.newTotalMicros += c.costMicros;
      if (!r.priced && c.priced) m.nowPriced++;
      const explanationChanged = JSON.stringify(r.costExplanation ?? null) !== JSON.stringify(c.explanation);
      if (c.costMicros !== before || c.priced !== r.priced || explanationChanged) {
        if (c.costMicros !== before || c.priced !== r.priced) m.changed++;
        changes.push({ id: r.id, cost: c.costMicros, priced: c.priced, explanation: c.explanation });
      }
    }
    if (!opts.dryRun && changes.length > 0) {
      await db.$executeRawUnsafe(
        `UPDATE "RequestLog" r SET "costMicros" = x.cost, priced = x.priced, "costExplanation" = x.explanation
         FROM jsonb_to_recordset($1::jsonb) AS x(id text, cost bigint, priced boolean, explanation jsonb) WHERE r.id = x.id`,
        JSON.stringify(changes),
      );
    }
    if (batch.length < 5000) break;
  }
  report.models = [...perModel.values()].sort((a, b) => a.model.localeCompare(b.model));
  report.requestsRepriced = report.models.reduce((n, m) => n + m.changed, 0);
  if (!opts.dryRun) {
    const tenantScope = opts.tenantId ?? null;
    report.rollupsRepriced = await db.$executeRawUnsafe(
      `UPDATE "UsageHourly" u SET "costMicros" = l.cost, "unpricedCount" = l.unpriced
       FROM (SELECT "apiKeyId", model, date_trunc('hour', "createdAt") AS h, count(*) AS n, sum("costMicros") AS cost,
                    ${METRIC_DEFS.unpricedCount.rollupSql} AS unpriced
             FROM "RequestLog" WHERE "createdAt" >= $1 AND "createdAt" < $2 AND ($3::text IS NULL OR "tenantId" = $3) GROUP BY 1, 2, 3) l
       WHERE u."apiKeyId" = l."apiKeyId" AND u.model = l.model AND u."hourStart" = l.h
         AND u.requests = l.n AND (u."costMicros" <> l.cost OR u."unpricedCount" <> l.unpriced)`,
      from,
      to,
      tenantScope,
    );
    // The People and Session rollups, the same way: a cell is rewritten only when every request it
    // counts is in the repriced range (and in the log). Overflow buckets ("(other)") are not.
    const unpriced = METRIC_DEFS.unpricedCount.rollupSql;
    await db.$executeRawUnsafe(
      `UPDATE "UsageUserDaily" u SET "costMicros" = l.cost, "unpricedCount" = l.unpriced
       FROM (SELECT "apiKeyId", date_trunc('day', "createdAt") AS d, COALESCE("endUserId", '') AS uid, count(*) AS n,
                    sum("costMicros") AS cost, ${unpriced} AS unpriced
             FROM "RequestLog" WHERE "createdAt" >= $1 AND "createdAt" < $2 AND ($3::text IS NULL OR "tenantId" = $3) GROUP BY 1, 2, 3) l
       WHERE u."apiKeyId" = l."apiKeyId" AND u.day = l.d AND u."endUserId" = l.uid
         AND u.requests = l.n AND (u."costMicros" <> l.cost OR u."unpricedCount" <> l.unpriced)`,
      from,
      to,
      tenantScope,
    );
    await db.$executeRawUnsafe(
      `UPDATE "UsageSession" u SET "costMicros" = l.cost, "unpricedCount" = l.unpriced
       FROM (SELECT "apiKeyId", "sessionId", count(*) AS n, sum("costMicros") AS cost, ${unpriced} AS unpriced
             FROM "RequestLog" WHERE "createdAt" >= $1 AND "createdAt" < $2 AND ($3::text IS NULL OR "tenantId" = $3) AND "sessionId" IS NOT NULL GROUP BY 1, 2) l
       WHERE u."apiKeyId" = l."apiKeyId" AND u."sessionId" = l."sessionId"
         AND u.requests = l.n AND (u."costMicros" <> l.cost OR u."unpricedCount" <> l.unpriced)`,
      from,
      to,
      tenantScope,
    );
  }
  return report;
}

/** Deletes request-log rows older than `days` in small batches (short locks); rollups stay. */
export async function purgeRequestLogs(days: number = env.REQUEST_LOG_RETENTION_DAYS, db: PrismaClient = defaultDb, batchSize = 5000): Promise<number> {
  if (days <= 0) return 0;
  const cutoff = new Date(Date.now() - days * 86_400_000);
  let deleted = 0;
  for (;;) {
    const n = await db.$executeRawUnsafe(
      `DELETE FROM "RequestLog" WHERE id IN (SELECT id FROM "RequestLog" WHERE "createdAt" < $1 LIMIT $2)`,
      cutoff,
      batchSize,
    );
    deleted += n;
    if (n < batchSize) return deleted;
  }
}
