/**
 * Network facts about a request:
 *  - clientIpFrom: the client's address, honouring TRUSTED_PROXY_HOPS (the one definition).
 *  - installSocketHop: makes the socket address visible to Next route handlers (instrumentation).
 *  - servesLoopbackOnly: whether this process listens on loopback only.
 */
export { clientIpFrom, normalizeIp } from "./client-ip";
export { installSocketHop, servesLoopbackOnly, assumeListenAddressesForTest } from "./socket-hop";
