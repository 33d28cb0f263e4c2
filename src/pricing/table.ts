/**
 * The flat price shape: one rate set per model, with an optional long-context tier. It is what
 * tenant price overrides (PriceOverride rows) and LiteLLM conversions produce, and the view older
 * callers read (`priceTable`). The effective-dated catalog (catalog.ts) is the source of truth.
 */
import { z } from "zod";

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

/**
 * Tenant overrides keyed by model name, checked before the catalog. Read only through
 * `findOverride` (own properties only), so a plain object built from rows is safe to pass.
 */
export type PriceOverrides = Readonly<Record<string, ModelPrice>>;

export const DATE_SUFFIX = /-(\d{8}|\d{4}-\d{2}-\d{2})$/;

/** Own-property lookup: "constructor", "__proto__" and friends never resolve to Object.prototype. */
export function ownValue<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

/** The override for a model id as sent (exact, then without a date suffix), with the key that matched. */
export function findOverride(
  overrides: PriceOverrides | undefined,
  model: string,
): { key: string; price: ModelPrice } | undefined {
  if (!overrides) return undefined;
  const exact = ownValue(overrides, model);
  if (exact) return { key: model, price: exact };
  const base = model.replace(DATE_SUFFIX, "");
  const folded = base !== model ? ownValue(overrides, base) : undefined;
  return folded ? { key: base, price: folded } : undefined;
}
