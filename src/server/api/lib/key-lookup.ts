/**
 * Public self-lookup by API ID. An unknown, malformed-but-valid-UUID or revoked ID gets the same
 * shape as a live one with no data, so IDs cannot be probed.
 */
import { z } from "zod";
import { usageRows } from "~/ledger";
import { db } from "~/server/db";
import { floorHour, nextHour } from "./time-range";
import { byModel, emptyTotals, sumTotals, type ModelUsage, type UsageTotals } from "./usage-report";

export const apiIdSchema = z.uuid({ message: "An API ID is a UUID, like 123e4567-e89b-12d3-a456-426614174000" });

export interface KeyLookup {
  apiId: string;
  /** All-time totals of the key. */
  totals: UsageTotals;
  /** All-time usage per model, by cost descending. */
  models: ModelUsage[];
  /** When the numbers were read (ISO 8601). */
  asOf: string;
}

export async function lookupKeyUsage(apiId: string, now: Date = new Date()): Promise<KeyLookup> {
  const empty: KeyLookup = { apiId, totals: emptyTotals(), models: [], asOf: now.toISOString() };
  const key = await db.apiKey.findUnique({ where: { id: apiId }, select: { createdAt: true, revokedAt: true } });
  if (!key || key.revokedAt) return empty;
  const rows = await usageRows({ apiKeyId: apiId, from: floorHour(key.createdAt), to: nextHour(now) });
  return { ...empty, totals: sumTotals(rows), models: byModel(rows) };
}
