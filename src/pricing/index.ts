/**
 * The one place cost is computed. The effective-dated catalog (catalog.ts, catalog.json) holds the
 * prices; `priceRequest` (request.ts) prices a request with the entry in effect at its start and
 * explains it. Rates are integer micro-dollars per million tokens and a request's cost is rounded
 * once (half up) to micro-dollars. Unknown or not-priced models cost zero and come back
 * `priced: false`; we never guess a price.
 *
 * `costOf`, `findModelPrice` and `priceTable` are the older flat API, kept for existing callers:
 * they read the catalog at the current time with no response modifiers.
 */
import type { TokenUsage } from "~/ledger/types";
import { catalogFromPriceTable, entryAt, priceTableAt, shippedCatalog, toModelPrice } from "./catalog";
import { NO_MODIFIERS, priceWithCatalog } from "./request";
import { DATE_SUFFIX, findOverride, ownValue, type ModelPrice, type PriceOverrides, type PriceTable } from "./table";

export { modelPriceSchema, priceTableSchema, type ModelPrice, type PriceOverrides, type PriceTable } from "./table";
export {
  NO_MODIFIERS,
  costOfRequest,
  baseRateChangeHours,
  lookupRates,
  priceRequest,
  type BaseRates,
  type BillingModifiers,
  type CostExplanation,
  type CostFee,
  type CostLine,
  type CostMultiplier,
  type PricedRequest,
  type PricingRequest,
  type RecordedPrice,
} from "./request";
export { shippedCatalog, TOKEN_KINDS, type PriceCatalog, type TokenKind } from "./catalog";
export { catalogListing, formatCatalogListing, type CatalogListingRow } from "./listing";

/** The flat view of the catalog entries in effect when the process started (older callers). */
export const priceTable: PriceTable = priceTableAt(shippedCatalog, Date.now());

/**
 * The flat price for a model id as clients send it (exact id or alias, then without a date
 * suffix): a tenant override first, then the catalog entry in effect now (or the given table).
 */
export function findModelPrice(model: string, overrides?: PriceOverrides, table?: PriceTable): ModelPrice | undefined {
  const override = findOverride(overrides, model);
  if (override) return override.price;
  if (table) {
    return ownValue(table.models, model) ?? ownValue(table.models, model.replace(DATE_SUFFIX, ""));
  }
  const e = entryAt(shippedCatalog, model, Date.now());
  return e?.kind === "priced" ? toModelPrice(e) : undefined;
}

export interface Cost {
  costMicros: number;
  /** False when the model is not priced: cost is zero and must be shown as unpriced. */
  priced: boolean;
}

/** Cost of a request at the current time with no response modifiers (a thin wrapper over priceRequest). */
export function costOf(model: string, usage: TokenUsage, overrides?: PriceOverrides, table?: PriceTable): Cost {
  const catalog = table ? catalogFromPriceTable(table) : shippedCatalog;
  const r = priceWithCatalog(catalog, { model, at: Date.now(), usage, modifiers: NO_MODIFIERS }, overrides);
  return { costMicros: r.costMicros, priced: r.priced };
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
