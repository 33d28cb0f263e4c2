/**
 * The alerts a tenant's portal banner shows: those of the periods that are still running (today's
 * daily cap, this week's, this month's, the all-time cap, this month's tenant budget), the highest
 * threshold per cap, newest first, with the key's name.
 */
import { dayPeriod, monthPeriod, weekPeriod } from "~/ledger";
import { dbRead as defaultDb } from "~/infra/db";
import type { PrismaClient } from "~/generated/prisma/client";
import { alertPeriodId, isAlertKind, type AlertKind } from "./types";

export interface ActiveAlert {
  id: string;
  kind: AlertKind;
  /** 80 or 100 (percent of the cap). */
  threshold: number;
  apiKeyId: string | null;
  /** Null for tenant-budget alerts, and for a key deleted since. */
  keyName: string | null;
  periodId: string;
  spentMicros: number;
  capMicros: number;
  createdAt: Date;
}

export type ActiveAlerts = ActiveAlert[];

/** No period outlives a month; a little slack for time zones. */
const LOOKBACK_MS = 32 * 86_400_000;

export async function activeAlerts(
  tenantId: string,
  deps: { db?: PrismaClient; now?: number } = {},
): Promise<ActiveAlerts> {
  const db = deps.db ?? defaultDb;
  const now = deps.now ?? Date.now();
  const [tenant, rows] = await Promise.all([
    db.tenant.findUnique({ where: { id: tenantId }, select: { timeZone: true } }),
    db.alert.findMany({
      where: {
        tenantId,
        OR: [{ createdAt: { gte: new Date(now - LOOKBACK_MS) } }, { kind: "cost_total" }],
      },
      orderBy: [{ createdAt: "desc" }, { threshold: "desc" }],
    }),
  ]);
  if (!tenant || rows.length === 0) return [];
  const tz = tenant.timeZone;
  const keyIds = [...new Set(rows.flatMap((r) => (r.apiKeyId ? [r.apiKeyId] : [])))];
  const keys = await db.apiKey.findMany({
    where: { id: { in: keyIds } },
    select: { id: true, name: true, weeklyResetDay: true, weeklyResetHour: true, totalCostMicros: true },
  });
  const keyOf = new Map(keys.map((k) => [k.id, k]));
  const day = dayPeriod(now, tz).id;
  const month = monthPeriod(now, tz).id;

  const current = (kind: AlertKind, periodId: string, apiKeyId: string | null): boolean => {
    switch (kind) {
      case "cost_daily":
        return periodId === day;
      case "cost_weekly": {
        const k = apiKeyId ? keyOf.get(apiKeyId) : undefined;
        return k !== undefined && periodId === weekPeriod(now, tz, k.weeklyResetDay, k.weeklyResetHour).id;
      }
      case "cost_monthly":
      case "tenant_budget":
        return periodId === month;
      case "cost_total": {
        const k = apiKeyId ? keyOf.get(apiKeyId) : undefined;
        return k?.totalCostMicros != null && periodId === alertPeriodId(kind, "all", Number(k.totalCostMicros));
      }
    }
  };

  const out: ActiveAlert[] = [];
  const shown = new Set<string>();
  // Highest threshold first within a cap, so the 100 % alert hides the 80 % one of the same period.
  const ordered = [...rows].sort((a, b) => b.threshold - a.threshold || b.createdAt.getTime() - a.createdAt.getTime());
  for (const r of ordered) {
    if (!isAlertKind(r.kind) || !current(r.kind, r.periodId, r.apiKeyId)) continue;
    const cap = `${r.scope}|${r.kind}|${r.periodId}`;
    if (shown.has(cap)) continue;
    shown.add(cap);
    out.push({
      id: r.id,
      kind: r.kind,
      threshold: r.threshold,
      apiKeyId: r.apiKeyId,
      keyName: r.apiKeyId ? (keyOf.get(r.apiKeyId)?.name ?? null) : null,
      periodId: r.periodId,
      spentMicros: Number(r.spentMicros),
      capMicros: Number(r.capMicros),
      createdAt: r.createdAt,
    });
  }
  return out.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
}
