/**
 * Keys and tenants, server side: the database reads the relay, the ledger and the portal need,
 * and every write to keys, tenants and price overrides (each audited, see operations.ts).
 * Callers: tRPC routers, the operator CLI, the relay's wiring, the ledger, alerts.
 */
export { OPERATOR, auditActorOf, type Actor, type KeyManager } from "./actor";
export { loadKeyLimits, loadTenantUpstreams, prismaKeyLookup, resolveUnpricedPolicy, type TenantUpstream } from "./lookup";
export { deletePriceOverride, loadPriceOverrides, setPriceOverride, toPriceOverrides, type OverridePrices } from "./price-overrides";
export {
  createKey,
  createTenant,
  findTenant,
  reactivateKey,
  revokeKey,
  rotateKey,
  setKeyLimits,
  setTenantSuspended,
  setWebhookSecret,
  slugFromName,
  updateKeyDetails,
  updateTenantSettings,
  type TenantSettingsChange,
} from "./operations";
