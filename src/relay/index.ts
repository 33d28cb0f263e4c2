/**
 * The relay's public surface. Framework-free and database-free: a web Request in, a Response out,
 * with every dependency injected (createRelay). The process-wide relay wired to Postgres, the
 * ledger and env (handleRelay, relayRoute, prismaKeyLookup, tenantTargets) is src/server/relay.
 */
export { createRelay, protocolFromHeaders, type RelayContext, type RelayDeps, type RelayEndpoint, type RelayHandler } from "./relay";
export { RelayLifecycle, processLifecycle, type DrainReport } from "./lifecycle";
export { encryptCredential, decryptCredential, isEncryptedCredential } from "./credentials";
export { cachedKeyLookup, type KeyLookup, type RelayKey } from "./auth";
export { createUpstreamFetch, type UpstreamFetch, type UpstreamTarget } from "./upstream";
export { readLimitedBody } from "./request-body";
export { errorBody, errorResponse, RelayError, type WireProtocol } from "./errors";
