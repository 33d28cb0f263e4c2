/** A tenant's own model prices (PriceOverride rows) in the shape the pricing module takes. */
import type { ModelPrice, PriceOverrides } from "~/pricing";
import { db } from "~/infra/db";

interface OverrideRow {
  model: string;
  input: number;
  output: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
}

export function toPriceOverrides(rows: readonly OverrideRow[]): PriceOverrides {
  const out: Record<string, ModelPrice> = {};
  for (const r of rows) {
    out[r.model] = {
      provider: r.model.startsWith("claude") ? "anthropic" : "openai",
      input: r.input,
      output: r.output,
      cacheWrite5m: r.cacheWrite5m,
      cacheWrite1h: r.cacheWrite1h,
      cacheRead: r.cacheRead,
    };
  }
  return out;
}

export async function loadPriceOverrides(tenantId: string): Promise<PriceOverrides> {
  return toPriceOverrides(await db.priceOverride.findMany({ where: { tenantId } }));
}
