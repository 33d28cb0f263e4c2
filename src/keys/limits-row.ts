/** The one mapping from an ApiKey row (with its tenant) to the ledger's KeyLimits, derived from KEY_LIMITS. */
import type { KeyLimits } from "~/ledger";
import { KEY_LIMITS, LIMIT_COLUMNS, type LimitColumn } from "./limits";

type Defs = typeof KEY_LIMITS;
/** The limit columns the ledger reads (admission, limit status). */
export type LedgerColumn = { [C in LimitColumn]: Defs[C]["ledger"] extends null ? never : C }[LimitColumn];
const LEDGER_COLUMNS = LIMIT_COLUMNS.filter((c): c is LedgerColumn => KEY_LIMITS[c].ledger !== null);

export const keyLimitsSelect = {
  id: true,
  tenantId: true,
  ...(Object.fromEntries(LEDGER_COLUMNS.map((c) => [c, true])) as { [C in LedgerColumn]: true }),
  tenant: { select: { timeZone: true, monthlyBudgetMicros: true } },
} as const;

type Big = bigint | number | null;
export type KeyLimitsRow = { id: string; tenantId: string; tenant: { timeZone: string; monthlyBudgetMicros: Big } } & {
  [C in LedgerColumn]: Defs[C]["kind"] extends "choice" ? number : Defs[C]["kind"] extends "count" ? number | null : Big;
};

const n = (v: Big) => (v === null ? null : Number(v));

export function toKeyLimits(row: KeyLimitsRow): KeyLimits {
  const limits: Record<string, unknown> = {
    apiKeyId: row.id,
    tenantId: row.tenantId,
    timeZone: row.tenant.timeZone,
    tenantMonthlyBudgetMicros: n(row.tenant.monthlyBudgetMicros),
  };
  for (const column of LEDGER_COLUMNS) {
    const value: Big = row[column];
    limits[KEY_LIMITS[column].ledger] = typeof value === "bigint" ? Number(value) : value;
  }
  return limits as unknown as KeyLimits;
}
