/**
 * The relay's public surface. Framework-free: a web Request in, a Response out.
 *  - handleRelay: the process-wide relay (Postgres keys, ledger recording, env upstreams).
 *  - createRelay: the same with injected dependencies (tests, benches, a dedicated relay tier).
 *  - clientIpFrom: the caller's IP from proxy headers.
 */
export { createRelay, protocolFromHeaders, type RelayContext, type RelayDeps, type RelayEndpoint, type RelayHandler } from "./relay";
export { handleRelay, relayRoute, createDefaultRelay, envTargets, tenantTargets, prismaKeyLookup } from "./default";
export { encryptCredential, decryptCredential, isEncryptedCredential } from "./credentials";
export { cachedKeyLookup, type KeyLookup, type RelayKey } from "./auth";
export { createUpstreamFetch, type UpstreamFetch, type UpstreamTarget } from "./upstream";
export { clientIpFrom } from "./client-ip";
export { errorBody, errorResponse, RelayError, type WireProtocol } from "./errors";
