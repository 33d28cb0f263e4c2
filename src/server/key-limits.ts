/** The one mapping from an ApiKey row (with its tenant) to the ledger's KeyLimits. */
import type { KeyLimits } from "~/ledger";
import { db } from "~/infra/db";

export const keyLimitsSelect = {
  id: true,
  tenantId: true,
  expiresAfterFirstUseDays: true,
  rateWindowMinutes: true,
  rateMaxRequests: true,
  rateMaxTokens: true,
  rateMaxCostMicros: true,
  maxConcurrency: true,
  dailyCostMicros: true,
  weeklyCostMicros: true,
  monthlyCostMicros: true,
  totalCostMicros: true,
  totalTokens: true,
  weeklyResetDay: true,
  weeklyResetHour: true,
  tenant: { select: { timeZone: true, monthlyBudgetMicros: true } },
} as const;

type Big = bigint | number | null;
export interface KeyLimitsRow {
  id: string;
  tenantId: string;
  expiresAfterFirstUseDays: number | null;
  rateWindowMinutes: number | null;
  rateMaxRequests: number | null;
  rateMaxTokens: Big;
  rateMaxCostMicros: Big;
  maxConcurrency: number | null;
  dailyCostMicros: Big;
  weeklyCostMicros: Big;
  monthlyCostMicros: Big;
  totalCostMicros: Big;
  totalTokens: Big;
  weeklyResetDay: number;
  weeklyResetHour: number;
  tenant: { timeZone: string; monthlyBudgetMicros: Big };
}

const n = (v: Big) => (v === null ? null : Number(v));

export function toKeyLimits(row: KeyLimitsRow): KeyLimits {
  return {
    apiKeyId: row.id,
    tenantId: row.tenantId,
    timeZone: row.tenant.timeZone,
    rateWindowMinutes: row.rateWindowMinutes,
    rateMaxRequests: row.rateMaxRequests,
    rateMaxTokens: n(row.rateMaxTokens),
    rateMaxCostMicros: n(row.rateMaxCostMicros),
    maxConcurrency: row.maxConcurrency,
    dailyCostMicros: n(row.dailyCostMicros),
    weeklyCostMicros: n(row.weeklyCostMicros),
    monthlyCostMicros: n(row.monthlyCostMicros),
    totalCostMicros: n(row.totalCostMicros),
    totalTokens: n(row.totalTokens),
    weeklyResetDay: row.weeklyResetDay,
    weeklyResetHour: row.weeklyResetHour,
    expiresAfterFirstUseDays: row.expiresAfterFirstUseDays,
    tenantMonthlyBudgetMicros: n(row.tenant.monthlyBudgetMicros),
  };
}

export async function loadKeyLimits(apiKeyId: string): Promise<KeyLimits | null> {
  const row = await db.apiKey.findUnique({ where: { id: apiKeyId }, select: keyLimitsSelect });
  return row ? toKeyLimits(row) : null;
}
