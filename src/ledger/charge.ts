/**
 * What the record script must update for an admitted request: the one definition, also used to
 * validate charges read back from the local journal and from lease info (untrusted bytes).
 * Kept apart from quota.ts so leases.ts and journal.ts can use it without an import cycle.
 */
import { z } from "zod";

export const quotaChargeSchema = z.object({
  requestId: z.string(),
  keys: z.object({
    leases: z.string(),
    keyReservations: z.string(),
    tenantReservations: z.string(),
    windowTokens: z.string(),
    windowCost: z.string(),
    costCounters: z.array(z.string()),
    totalTokens: z.string(),
    /** The shard's lease index, lease info and epoch (see ledgerKeys). */
    leaseIndex: z.string(),
    leaseInfo: z.string(),
    epoch: z.string(),
  }),
  windowTtlSec: z.number().int(),
  /** The Redis dataset's epoch at admission: tells a duplicate record from one after a wipe. */
  epoch: z.string(),
});

export type QuotaCharge = z.infer<typeof quotaChargeSchema>;
