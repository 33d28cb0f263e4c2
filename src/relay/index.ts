/**
 * The relay's public surface. Framework-free: a web Request in, a Response out.
 *  - handleRelay: the process-wide relay (keys from src/keys, ledger recording, env upstreams).
 *  - createRelay: the same with injected dependencies (tests, benches, a dedicated relay tier).
 */
export { createRelay, protocolFromHeaders, type RelayContext, type RelayDeps, type RelayEndpoint, type RelayHandler } from "./relay";
export { handleRelay, relayRoute, createDefaultRelay, drainRelay, processRecorder, envTargets, tenantTargets } from "./default";
export { RelayLifecycle, processLifecycle, type DrainReport } from "./lifecycle";
export { encryptCredential, decryptCredential, isEncryptedCredential } from "./credentials";
export { cachedKeyLookup, type KeyLookup, type RelayKey } from "./auth";
export { createUpstreamFetch, type UpstreamFetch, type UpstreamTarget } from "./upstream";
export { readLimitedBody } from "./request-body";
export { errorBody, errorResponse, RelayError, type WireProtocol } from "./errors";
