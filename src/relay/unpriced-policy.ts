/**
 * Never a silent $0: what the relay does with a model the pricing module cannot price.
 *  - refuse_when_capped (the platform default): refused, naming the model, when the key or its
 *    tenant has any spend cap or budget (its cost could not be counted against it); else allowed.
 *  - allow: always allowed.
 * Allowed unpriced use is recorded at cost 0 and flagged (priced = false, the unpricedCount metric).
 */
import { z } from "zod";
import type { KeyLimits } from "~/ledger";

export const UNPRICED_MODEL_POLICIES = ["refuse_when_capped", "allow"] as const;
export const unpricedModelPolicySchema = z.enum(UNPRICED_MODEL_POLICIES);
export type UnpricedModelPolicy = z.infer<typeof unpricedModelPolicySchema>;

export function hasSpendCap(l: KeyLimits): boolean {
  return [l.rateMaxCostMicros, l.dailyCostMicros, l.weeklyCostMicros, l.monthlyCostMicros, l.totalCostMicros, l.tenantMonthlyBudgetMicros].some(
    (cap) => cap !== null,
  );
}

export function refusesUnpriced(policy: UnpricedModelPolicy, limits: KeyLimits): boolean {
  return policy === "refuse_when_capped" && hasSpendCap(limits);
}

export function unpricedRefusalMessage(model: string): string {
  return (
    `The model ${model} has no price in Metergate, and this API key or its organization has a spend limit, ` +
    `so its cost could not be counted against it. Ask an administrator to set a price for ${model}.`
  );
}
