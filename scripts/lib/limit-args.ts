/** Parses the CLI's key-limit flags into an ApiKey update; "none" clears a limit. Dollars → µ$ exactly. */
import { z } from "zod";
import { MoneyFormatError, parseUsdToMicros as parseUsd } from "~/lib/money";

export class LimitArgError extends Error {}

/** "12.5" → 12_500_000 micro-dollars, by string arithmetic (no float rounding); see src/lib/money.ts. */
export function parseUsdToMicros(text: string): bigint {
  try {
    return parseUsd(text);
  } catch (error) {
    throw error instanceof MoneyFormatError ? new LimitArgError(error.message) : error;
  }
}

const wholeNumber = z.coerce.number().int().nonnegative();

type Flags = Record<string, string | boolean | undefined>;

export function parseKeyLimitArgs(flags: Flags) {
  const data: Record<string, number | bigint | Date | string[] | null> = {};
  const str = (name: string) => {
    const v = flags[name];
    return typeof v === "string" ? v : undefined;
  };
  const ints: Array<[string, string, { min?: number; max?: number }?]> = [
    ["rate-window-minutes", "rateWindowMinutes", { min: 1 }],
    ["rate-max-requests", "rateMaxRequests"],
    ["max-concurrency", "maxConcurrency", { min: 1 }],
    ["expires-after-first-use-days", "expiresAfterFirstUseDays", { min: 1 }],
    ["weekly-reset-day", "weeklyResetDay", { max: 6 }],
    ["weekly-reset-hour", "weeklyResetHour", { max: 23 }],
  ];
  for (const [flag, field, bounds] of ints) {
    const v = str(flag);
    if (v === undefined) continue;
    if (v === "none" && !field.startsWith("weeklyReset")) {
      data[field] = null;
      continue;
    }
    const n = wholeNumber.safeParse(v);
    if (!n.success || (bounds?.min !== undefined && n.data < bounds.min) || (bounds?.max !== undefined && n.data > bounds.max)) {
      throw new LimitArgError(`--${flag} must be a whole number${bounds?.min ? ` ≥ ${bounds.min}` : ""}${bounds?.max !== undefined ? ` ≤ ${bounds.max}` : ""}`);
    }
    data[field] = n.data;
  }
  const bigs: Array<[string, string]> = [
    ["rate-max-tokens", "rateMaxTokens"],
    ["total-tokens", "totalTokens"],
  ];
  for (const [flag, field] of bigs) {
    const v = str(flag);
    if (v === undefined) continue;
    if (v !== "none" && !/^\d+$/.test(v)) throw new LimitArgError(`--${flag} must be a whole number or "none"`);
    data[field] = v === "none" ? null : BigInt(v);
  }
  const dollars: Array<[string, string]> = [
    ["rate-max-cost-usd", "rateMaxCostMicros"],
    ["daily-usd", "dailyCostMicros"],
    ["weekly-usd", "weeklyCostMicros"],
    ["monthly-usd", "monthlyCostMicros"],
    ["total-usd", "totalCostMicros"],
  ];
  for (const [flag, field] of dollars) {
    const v = str(flag);
    if (v !== undefined) data[field] = v === "none" ? null : parseUsdToMicros(v);
  }
  const expires = str("expires-at");
  if (expires !== undefined) {
    const d = new Date(expires);
    if (expires !== "none" && Number.isNaN(d.getTime())) throw new LimitArgError(`--expires-at is not a date: "${expires}"`);
    data.expiresAt = expires === "none" ? null : d;
  }
  const models = str("allowed-models");
  if (models !== undefined) {
    data.allowedModels = models === "none" ? [] : models.split(",").map((m) => m.trim()).filter(Boolean);
  }
  return data;
}
