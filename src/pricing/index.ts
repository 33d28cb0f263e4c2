/**
 * The one place cost is computed. Prices are integer micro-dollars per million tokens, so the cost
 * of a request is an exact integer division rounded once (half up) to micro-dollars.
 * Unknown models cost zero and are flagged `priced: false`; we never guess a price.
 */
import { z } from "zod";
import shippedTable from "./prices.json" with { type: "json" };
import type { TokenUsage } from "~/ledger/types";

const rates = {
  input: z.number().int().nonnegative(),
  output: z.number().int().nonnegative(),
  cacheWrite5m: z.number().int().nonnegative(),
  cacheWrite1h: z.number().int().nonnegative(),
  cacheRead: z.number().int().nonnegative(),
};

export const modelPriceSchema = z.object({
  provider: z.enum(["anthropic", "openai"]),
  ...rates,
  /** Long-context tier: applies to the whole request when its prompt exceeds the threshold. */
  longContext: z.object({ thresholdInputTokens: z.number().int().positive(), ...rates }).optional(),
});

export const priceTableSchema = z.object({
  version: z.string(),
  unit: z.literal("micro-dollars per million tokens"),
  source: z.string().optional(),
  models: z.record(z.string(), modelPriceSchema),
});

export type ModelPrice = z.infer<typeof modelPriceSchema>;
export type PriceTable = z.infer<typeof priceTableSchema>;

export const priceTable: PriceTable = priceTableSchema.parse(shippedTable);

const DATE_SUFFIX = /-(\d{8}|\d{4}-\d{2}-\d{2})$/;

/** Tenant overrides keyed by model name, checked before the shipped table. */
export type PriceOverrides = Readonly<Record<string, ModelPrice>>;

/**
 * Finds the price for a model id as clients send it: exact name, then without a date suffix
 * ("claude-sonnet-4-5-20250929" → "claude-sonnet-4-5", "gpt-4o-2024-08-06" → "gpt-4o").
 */
export function findModelPrice(
  model: string,
  overrides?: PriceOverrides,
  table: PriceTable = priceTable,
): ModelPrice | undefined {
  const base = model.replace(DATE_SUFFIX, "");
  return overrides?.[model] ?? overrides?.[base] ?? table.models[model] ?? table.models[base];
}

export interface Cost {
  costMicros: number;
  /** False when the model is not in the table: cost is zero and must be shown as unpriced. */
  priced: boolean;
}

export function costOf(
  model: string,
  usage: TokenUsage,
  overrides?: PriceOverrides,
  table: PriceTable = priceTable,
): Cost {
  const price = findModelPrice(model, overrides, table);
  if (!price) return { costMicros: 0, priced: false };
  const prompt = usage.input + usage.cacheWrite5m + usage.cacheWrite1h + usage.cacheRead;
  const r = price.longContext && prompt > price.longContext.thresholdInputTokens ? price.longContext : price;
  // Each product is below 2^53 for any realistic request (tokens < 1e8, rates < 1e9).
  const microsTimesMillion =
    usage.input * r.input +
    usage.output * r.output +
    usage.cacheWrite5m * r.cacheWrite5m +
    usage.cacheWrite1h * r.cacheWrite1h +
    usage.cacheRead * r.cacheRead;
  return { costMicros: Math.floor((microsTimesMillion + 500_000) / 1_000_000), priced: true };
}

/** Formats micro-dollars as dollars for display, e.g. 15807 → "$0.015807" (never via floats for sums). */
export function formatMicros(micros: number | bigint, digits = 4): string {
  const n = typeof micros === "bigint" ? micros : BigInt(Math.round(micros));
  const neg = n < 0n;
  const abs = neg ? -n : n;
  const scale = 10n ** BigInt(6 - digits);
  const rounded = (abs + scale / 2n) / scale; // half up at the shown precision
  const whole = rounded / 10n ** BigInt(digits);
  const frac = (rounded % 10n ** BigInt(digits)).toString().padStart(digits, "0");
  return `${neg ? "-" : ""}$${whole.toLocaleString("en-US")}${digits > 0 ? "." + frac : ""}`;
}
