/**
 * Reads of keys for the relay and the ledger: a key by its hash with everything admission needs,
 * a key's limits by id, and a tenant's enabled upstreams. The relay caches these (src/relay/auth.ts,
 * its wiring); here they are plain database reads.
 */
import { env } from "~/infra/env";
import type { ProviderName } from "~/ledger/types";
import type { KeyLimits } from "~/ledger";
import type { KeyLookup } from "~/relay/auth";
import { unpricedModelPolicySchema, type UnpricedModelPolicy } from "~/relay/unpriced-policy";
import { db } from "~/infra/db";
import { keyLimitsSelect, toKeyLimits } from "./limits-row";
import { loadPriceOverrides } from "./price-overrides";

export async function loadKeyLimits(apiKeyId: string): Promise<KeyLimits | null> {
  const row = await db.apiKey.findUnique({ where: { id: apiKeyId }, select: keyLimitsSelect });
  return row ? toKeyLimits(row) : null;
}

/** The tenant's own policy when it set a valid one, else the platform default. */
export function resolveUnpricedPolicy(tenantPolicy: string | null): UnpricedModelPolicy {
  const parsed = unpricedModelPolicySchema.safeParse(tenantPolicy);
  return parsed.success ? parsed.data : env.UNPRICED_MODEL_POLICY;
}

/** The relay's key lookup by secret hash (uncached; the relay wraps it in cachedKeyLookup). */
export const prismaKeyLookup: KeyLookup = async (keyHash) => {
  const row = await db.apiKey.findUnique({
    where: { keyHash },
    select: {
      ...keyLimitsSelect,
      revokedAt: true,
      expiresAt: true,
      firstUsedAt: true,
      allowedModels: true,
      upstreamId: true,
      tenant: { select: { ...keyLimitsSelect.tenant.select, suspendedAt: true, unpricedModelPolicy: true } },
    },
  });
  if (!row) return null;
  return {
    id: row.id,
    tenantId: row.tenantId,
    revokedAt: row.revokedAt,
    expiresAt: row.expiresAt,
    firstUsedAt: row.firstUsedAt,
    expiresAfterFirstUseDays: row.expiresAfterFirstUseDays,
    allowedModels: row.allowedModels,
    upstreamId: row.upstreamId,
    tenantSuspendedAt: row.tenant.suspendedAt,
    limits: toKeyLimits(row),
    priceOverrides: await loadPriceOverrides(row.tenantId),
    unpricedModelPolicy: resolveUnpricedPolicy(row.tenant.unpricedModelPolicy),
  };
};

export interface TenantUpstream {
  id: string;
  provider: ProviderName;
  baseUrl: string;
  credentialEnc: string;
  models: string[];
}

/** The tenant's enabled upstreams, lowest priority number first (then oldest). */
export function loadTenantUpstreams(tenantId: string): Promise<TenantUpstream[]> {
  return db.upstream.findMany({
    where: { tenantId, enabled: true },
    orderBy: [{ priority: "asc" }, { createdAt: "asc" }],
    select: { id: true, provider: true, baseUrl: true, credentialEnc: true, models: true },
  });
}
