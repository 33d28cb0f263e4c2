/**
 * Loop stop: every request the relay sends upstream carries `x-metergate-hop`, the list of
 * deployments it has passed through. A request arriving with this deployment's id in it (the
 * gateway configured as its own upstream, directly or through another gateway) is refused before
 * any upstream is called, so a loop ends after one hop. The id is the same on every instance of a
 * deployment (derived from ENCRYPTION_KEY, which they share) and reveals nothing about the key.
 */
import { createHmac } from "node:crypto";
import { decodeKey, env } from "~/infra/env";

export const HOP_HEADER = "x-metergate-hop";
/** More hops than this is a loop through several deployments, or a forged header: refused. */
export const MAX_HOPS = 5;

let cachedId: string | null = null;

/** This deployment's hop id (16 hex characters). */
export function deploymentHopId(): string {
  cachedId ??= createHmac("sha256", decodeKey(env.ENCRYPTION_KEY) ?? Buffer.alloc(0))
    .update("metergate egress hop id")
    .digest("hex")
    .slice(0, 16);
  return cachedId;
}

/** Hop ids have one shape; anything else a client put in the header is dropped, not forwarded. */
const HOP_ID = /^[0-9a-f]{16}$/;

const parseHops = (header: string | null): string[] =>
  (header ?? "")
    .split(",", 64)
    .map((s) => s.trim().toLowerCase())
    .filter((s) => HOP_ID.test(s));

/** Why an incoming request is a loop, or null. */
export function hopRefusal(incoming: string | null, selfId: string = deploymentHopId()): string | null {
  const hops = parseHops(incoming);
  if (hops.includes(selfId)) return "This request has already passed through this gateway: its upstream points back at it.";
  if (hops.length >= MAX_HOPS) return `This request has passed through ${hops.length} gateways.`;
  return null;
}

/** The header value to send upstream: the incoming hops plus this deployment. */
export function outgoingHops(incoming: string | null, selfId: string = deploymentHopId()): string {
  return [...parseHops(incoming).slice(0, MAX_HOPS), selfId].join(", ");
}
