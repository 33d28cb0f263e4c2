/**
 * Egress: where this server may send requests on a tenant's behalf (upstream base URLs,
 * webhooks). One policy for both:
 *  - checkEgressUrl: at save time and before each use; shape (http(s), no credentials, no
 *    fragment, for base URLs no query and no path tricks) and IP-literal / loopback-name hosts.
 *  - createEgressAgent / createEgressFetch: every resolved address checked when the socket opens
 *    (DNS rebinding cannot pass); refused ranges in address.ts; EGRESS_ALLOW_CIDRS /
 *    EGRESS_ALLOW_HOSTS for private provider networks.
 *  - joinUpstreamUrl: base + endpoint path without re-rooting; redactUrl for logs and audit.
 *  - HOP_HEADER, hopRefusal, outgoingHops: the relay's loop stop.
 * The deployment's own upstreams (UPSTREAM_*_BASE_URL) are trusted as configured.
 */
export { checkEgressUrl, envEgressPolicy, egressPolicy, addressRefusal, isHostAllowlisted, type EgressPolicy, type EgressPolicyInput } from "./policy";
export { checkUrlShape, joinUpstreamUrl, redactUrl, EgressUrlError, type EgressUrlKind, type UrlCheck } from "~/infra/net/url";
export {
  createEgressAgent,
  createEgressFetch,
  createEgressRequest,
  UPSTREAM_KEEPALIVE_MS,
  sanitizeFetchError,
  EgressRefusedError,
  EgressFetchError,
  type EgressAgentOptions,
  type EgressFetch,
  type EgressLookup,
} from "./connect";
export { HOP_HEADER, MAX_HOPS, deploymentHopId, hopRefusal, outgoingHops } from "./hop";
export { egressUrlSchema } from "./schema";
