/**
 * Public self-lookup by API ID (or by the key itself, hashed here and never logged). An unknown or
 * revoked ID gets the same answer (`found: false`, no data, after the same one query), so the two
 * cannot be told apart.
 */
import { z } from "zod";
import { dayPeriod, limitStatus, monthPeriod, usageRows, type LimitStatus } from "~/ledger";
import { hashApiKey, keyExpiresAt, keyLimitsSelect, looksLikeApiKey, toKeyLimits } from "~/keys";
import { db } from "~/infra/db";
import { floorHour, nextHour, zoneOrUtc } from "~/lib/time";
import { byModel, emptyTotals, sumTotals, type ModelUsage, type UsageTotals } from "./usage-report";

export const apiIdSchema = z.uuid({ message: "An API ID is a UUID, like 123e4567-e89b-12d3-a456-426614174000" });

export const apiKeySecretSchema = z
  .string()
  .trim()
  .max(200)
  .refine(looksLikeApiKey, "A Metergate key starts with mg- and is about 46 characters long");

export interface PeriodUsage {
  /** Start of the period (ISO 8601), in the key's tenant time zone. */
  from: string;
  totals: UsageTotals;
  /** Per model, by cost descending. */
  models: ModelUsage[];
}

export interface KeyLookup {
  apiId: string;
  /** False for an unknown or a revoked ID alike: there is no data to show for it. */
  found: boolean;
  /** All-time totals of the key. */
  totals: UsageTotals;
  /** All-time usage per model, by cost descending. */
  models: ModelUsage[];
  /** Today and this calendar month in `timeZone`. */
  today: PeriodUsage;
  thisMonth: PeriodUsage;
  /** The key's tenant time zone, in which days, weeks and months are counted. */
  timeZone: string;
  /** When the key stops working (fixed date or N days after first use, the earlier); null = no expiry. */
  expiresAt: string | null;
  /** Each limit with its current use and seconds until it frees. */
  limits: LimitStatus[];
  /** When the numbers were read (ISO 8601). */
  asOf: string;
}

function periodUsage(from: Date, rows: Awaited<ReturnType<typeof usageRows>>): PeriodUsage {
  const inPeriod = rows.filter((r) => r.hourStart.getTime() >= from.getTime());
  return { from: from.toISOString(), totals: sumTotals(inPeriod), models: byModel(inPeriod) };
}

export function emptyLookup(apiId: string, now: Date = new Date()): KeyLookup {
  const empty = (from: number): PeriodUsage => ({ from: new Date(from).toISOString(), totals: emptyTotals(), models: [] });
  return {
    apiId,
    found: false,
    totals: emptyTotals(),
    models: [],
    today: empty(dayPeriod(now.getTime()).startMs),
    thisMonth: empty(monthPeriod(now.getTime()).startMs),
    timeZone: "UTC",
    expiresAt: null,
    limits: [],
    asOf: now.toISOString(),
  };
}

export async function lookupKeyUsage(apiId: string, now: Date = new Date()): Promise<KeyLookup> {
  const empty = emptyLookup(apiId, now);
  const key = await db.apiKey.findUnique({
    where: { id: apiId },
    select: { ...keyLimitsSelect, createdAt: true, revokedAt: true, expiresAt: true, firstUsedAt: true },
  });
  if (!key || key.revokedAt) return empty;
  const timeZone = zoneOrUtc(key.tenant.timeZone);
  const [rows, limits] = await Promise.all([
    usageRows({ apiKeyId: apiId, from: floorHour(key.createdAt), to: nextHour(now), dayBucketsIn: timeZone }),
    limitStatus(toKeyLimits(key), { now: now.getTime() }),
  ]);
  const expiry = keyExpiresAt(key);
  return {
    ...empty,
    found: true,
    totals: sumTotals(rows),
    models: byModel(rows),
    today: periodUsage(new Date(dayPeriod(now.getTime(), timeZone).startMs), rows),
    thisMonth: periodUsage(new Date(monthPeriod(now.getTime(), timeZone).startMs), rows),
    timeZone,
    expiresAt: expiry ? expiry.toISOString() : null,
    limits,
  };
}

/**
 * The API ID of an active key given its secret, or null (unknown or revoked: the same answer).
 * The secret is hashed at once; callers must never log it.
 */
export async function apiIdForSecret(secret: string): Promise<string | null> {
  const key = await db.apiKey.findUnique({ where: { keyHash: hashApiKey(secret.trim()) }, select: { id: true, revokedAt: true } });
  return key && !key.revokedAt ? key.id : null;
}
