/**
 * 80 % / 100 % evaluation of spend caps (per key) and monthly budgets (per tenant).
 *
 * Spend comes from the ledger's limitStatus (Postgres rollups + unflushed Redis deltas), the same
 * numbers the public lookup shows. An alert is one row per (scope, kind, threshold, period): the
 * unique index turns "once per period" into an INSERT … ON CONFLICT DO NOTHING, which holds across
 * instances and repeated evaluations. Only rows actually inserted get an audit entry and a queued
 * webhook, in the same transaction as the insert.
 */
import { limitStatus, unlimited, type KeyLimits, type LimitStatus } from "~/ledger";
import { db as defaultDb } from "~/infra/db";
import { redis as defaultRedis, type RedisClient } from "~/infra/redis";
import { keyLimitsSelect, toKeyLimits } from "~/server/key-limits";
import type { PrismaClient } from "~/generated/prisma/client";
import {
  ALERT_THRESHOLDS,
  alertAction,
  alertPeriodId,
  isAlertKind,
  keyScope,
  tenantScope,
  type AlertKind,
} from "./types";

export interface EvaluateInput {
  apiKeyIds: readonly string[];
  tenantIds: readonly string[];
}

export interface EvaluateDeps {
  db?: PrismaClient;
  redis?: RedisClient;
  /** Clock (ms); also the alert's createdAt and first delivery time. */
  now?: number;
  /** limitStatus calls in flight at once. */
  concurrency?: number;
}

export interface CreatedAlert {
  id: string;
  tenantId: string;
  apiKeyId: string | null;
  scope: string;
  kind: AlertKind;
  threshold: number;
  periodId: string;
  spentMicros: number;
  capMicros: number;
  /** A webhook delivery was queued (the tenant has a webhook URL). */
  queued: boolean;
}

export interface EvaluateResult {
  keysEvaluated: number;
  tenantsEvaluated: number;
  created: CreatedAlert[];
}

interface Candidate {
  tenantId: string;
  apiKeyId: string | null;
  scope: string;
  kind: AlertKind;
  threshold: number;
  periodId: string;
  spentMicros: number;
  capMicros: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Thresholds (percent) that `used` has reached of `max`. Integer arithmetic, no float rounding. */
export function crossedThresholds(used: number, max: number): number[] {
  if (!(max > 0)) return [];
  return ALERT_THRESHOLDS.filter((t) => used * 100 >= max * t);
}

function candidatesFrom(
  statuses: LimitStatus[],
  target: { tenantId: string; apiKeyId: string | null; scope: string },
): Candidate[] {
  const out: Candidate[] = [];
  for (const s of statuses) {
    if (!isAlertKind(s.name) || s.periodId === null) continue;
    const periodId = alertPeriodId(s.name, s.periodId, s.max);
    for (const threshold of crossedThresholds(s.used, s.max)) {
      out.push({ ...target, kind: s.name, threshold, periodId, spentMicros: s.used, capMicros: s.max });
    }
  }
  return out;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/** Only the spend caps of a key: limitStatus then reads nothing else (no rate windows, no tenant budget). */
function spendCapsOnly(l: KeyLimits): KeyLimits {
  return {
    ...unlimited(l.apiKeyId, l.tenantId),
    timeZone: l.timeZone,
    weeklyResetDay: l.weeklyResetDay,
    weeklyResetHour: l.weeklyResetHour,
    dailyCostMicros: l.dailyCostMicros,
    weeklyCostMicros: l.weeklyCostMicros,
    monthlyCostMicros: l.monthlyCostMicros,
    totalCostMicros: l.totalCostMicros,
  };
}

export async function evaluateAlerts(input: EvaluateInput, deps: EvaluateDeps = {}): Promise<EvaluateResult> {
  const db = deps.db ?? defaultDb;
  const redis = deps.redis ?? defaultRedis;
  const now = deps.now ?? Date.now();
  const concurrency = deps.concurrency ?? 8;
  const keyIds = [...new Set(input.apiKeyIds)].filter((id) => UUID.test(id));

  const keys =
    keyIds.length === 0
      ? []
      : await db.apiKey.findMany({
          where: {
            id: { in: keyIds },
            OR: [
              { dailyCostMicros: { not: null } },
              { weeklyCostMicros: { not: null } },
              { monthlyCostMicros: { not: null } },
              { totalCostMicros: { not: null } },
            ],
          },
          select: keyLimitsSelect,
        });

  // A touched key's tenant is touched too, whether or not the caller listed it.
  const tenantIds = [...new Set([...input.tenantIds, ...keys.map((k) => k.tenantId)])];
  const tenants =
    tenantIds.length === 0
      ? []
      : await db.tenant.findMany({
          where: { id: { in: tenantIds } },
          select: { id: true, timeZone: true, monthlyBudgetMicros: true, webhookUrl: true },
        });
  const budgeted = tenants.filter((t) => t.monthlyBudgetMicros !== null);

  const keyCandidates = await mapLimited(keys, concurrency, async (row) => {
    const limits = spendCapsOnly(toKeyLimits(row));
    const statuses = await limitStatus(limits, { redis, now, db });
    return candidatesFrom(statuses, { tenantId: row.tenantId, apiKeyId: row.id, scope: keyScope(row.id) });
  });
  const tenantCandidates = await mapLimited(budgeted, concurrency, async (t) => {
    // Only the tenant budget is set, so limitStatus reads nothing of the (placeholder) key.
    const limits: KeyLimits = {
      ...unlimited("00000000-0000-0000-0000-000000000000", t.id),
      timeZone: t.timeZone,
      tenantMonthlyBudgetMicros: Number(t.monthlyBudgetMicros),
    };
    const statuses = await limitStatus(limits, { redis, now, db });
    return candidatesFrom(statuses, { tenantId: t.id, apiKeyId: null, scope: tenantScope(t.id) });
  });

  const candidates = [...keyCandidates.flat(), ...tenantCandidates.flat()];
  const result: EvaluateResult = { keysEvaluated: keys.length, tenantsEvaluated: budgeted.length, created: [] };
  if (candidates.length === 0) return result;

  // Already alerted this period: skip without a write (the common case on every flush).
  const existing = await db.alert.findMany({
    where: { OR: candidates.map((c) => ({ scope: c.scope, kind: c.kind, threshold: c.threshold, periodId: c.periodId })) },
    select: { scope: true, kind: true, threshold: true, periodId: true },
  });
  const seen = new Set(existing.map((a) => `${a.scope}|${a.kind}|${a.threshold}|${a.periodId}`));
  const fresh = candidates.filter((c) => !seen.has(`${c.scope}|${c.kind}|${c.threshold}|${c.periodId}`));
  if (fresh.length === 0) return result;

  const webhookOf = new Map(tenants.map((t) => [t.id, t.webhookUrl !== null && t.webhookUrl !== ""]));
  const createdAt = new Date(now);
  const inserted = await db.$transaction(async (tx) => {
    // ON CONFLICT DO NOTHING RETURNING: only rows this call inserted come back, so a concurrent
    // evaluation on another instance never doubles the audit entry or the webhook.
    const rows = await tx.alert.createManyAndReturn({
      data: fresh.map((c) => ({
        tenantId: c.tenantId,
        scope: c.scope,
        apiKeyId: c.apiKeyId,
        kind: c.kind,
        threshold: c.threshold,
        periodId: c.periodId,
        spentMicros: BigInt(Math.round(c.spentMicros)),
        capMicros: BigInt(Math.round(c.capMicros)),
        createdAt,
        nextAttemptAt: webhookOf.get(c.tenantId) ? createdAt : null,
      })),
      skipDuplicates: true,
    });
    if (rows.length > 0) {
      await tx.auditLog.createMany({
        data: rows.map((a) => ({
          tenantId: a.tenantId,
          actorId: null,
          action: alertAction(a.kind as AlertKind, a.threshold),
          target: a.apiKeyId ?? a.tenantId,
          details: {
            alertId: a.id,
            scope: a.scope,
            kind: a.kind,
            threshold: a.threshold,
            periodId: a.periodId,
            spentMicros: Number(a.spentMicros),
            capMicros: Number(a.capMicros),
          },
        })),
      });
    }
    return rows;
  });

  result.created = inserted.map((a) => ({
    id: a.id,
    tenantId: a.tenantId,
    apiKeyId: a.apiKeyId,
    scope: a.scope,
    kind: a.kind as AlertKind,
    threshold: a.threshold,
    periodId: a.periodId,
    spentMicros: Number(a.spentMicros),
    capMicros: Number(a.capMicros),
    queued: a.nextAttemptAt !== null,
  }));
  return result;
}
