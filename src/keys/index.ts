/**
 * Keys and tenants, the part without a database (relay, scripts, server code): key secrets,
 * expiry, roles, and the one definition of every key limit with what is derived from it.
 * Database reads and every write to keys, tenants and price overrides are in `~/keys/server`.
 * Client components import `~/keys/limits` (the definitions alone; secret.ts needs node:crypto).
 */
export { KEY_PREFIX, generateApiKey, hashApiKey, looksLikeApiKey, redactApiKeys, type GeneratedKey } from "./secret";
export { isKeyExpired, keyExpiresAt, keyExpiresAtMs, keyStatus, type KeyExpiryFields, type KeyStatus } from "./expiry";
export { ROLE_RANK, hasRole } from "./roles";
export { KeysError, type KeysErrorCode } from "./errors";
export {
  KEY_LIMITS,
  LIMIT_COLUMNS,
  LIMIT_FIELDS,
  auditValue,
  checkRateWindow,
  keyLimitsInputSchema,
  keyLimitsShape,
  limitColumnsSelect,
  limitDefinition,
  modelPatternListSchema,
  modelPatternSchema,
  toLimitColumns,
  toLimitValues,
  type KeyLimitValues,
  type KeyLimitsColumns,
  type KeyLimitsInput,
  type KeyLimitsParsed,
  type LimitColumn,
  type LimitDefinition,
  type LimitField,
  type LimitGroup,
  type LimitKind,
  type LimitUnit,
} from "./limits";
export { LEGACY_SETTER_ROLE, authorizeKeyChange, lockedLimitFields, limitSettersSchema, type KeyChange } from "./field-rules";
export { keyLimitsSelect, toKeyLimits, type KeyLimitsRow } from "./limits-row";
export { LIMIT_FLAGS, LimitArgError, parseKeyLimitArgs } from "./limit-flags";
