/**
 * The one definition of "the client's address", for rate limits, throttles and the request log.
 *
 * Each reverse proxy appends the address it received the connection from to X-Forwarded-For, so
 * the list reads [what the client claimed…, what proxy 1 saw, …, what the last proxy saw], and the
 * connection's own peer (the socket address) comes after it. Only the entries written by proxies
 * we run can be believed: with TRUSTED_PROXY_HOPS = N the client is the entry N places left of
 * the socket address; with 0 (the default) it is the socket address itself and X-Forwarded-For is
 * ignored. The leftmost entries are whatever the client sent and are never used.
 *
 * Next route handlers do not see the socket: `installSocketHop` (src/net/socket-hop.ts, installed
 * by src/instrumentation.ts before the first request) appends it to X-Forwarded-For on every
 * request the process receives, exactly as one more proxy would, so that there the last entry is
 * the socket address. Callers that own the socket (the node:http relay tier) pass it instead.
 */
import { isIP } from "node:net";
import { env } from "~/infra/env";

/** "::ffff:10.0.0.1" → "10.0.0.1"; trims brackets and an IPv4 ":port". */
export function normalizeIp(raw: string): string | null {
  let value = raw.trim();
  if (value.startsWith("[")) value = value.slice(1, value.indexOf("]") === -1 ? undefined : value.indexOf("]"));
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(value)) value = value.slice(0, value.lastIndexOf(":"));
  if (value.toLowerCase().startsWith("::ffff:") && isIP(value.slice(7)) === 4) value = value.slice(7);
  return isIP(value) ? value.toLowerCase() : null;
}

/** The X-Forwarded-For entries, in order (every header line, comma-separated). */
function forwardedChain(headers: Pick<Headers, "get">): string[] {
  const value = headers.get("x-forwarded-for");
  return value ? value.split(",").map((s) => s.trim()).filter((s) => s !== "") : [];
}

/**
 * The client's IP, or null when it cannot be known (no socket address and no X-Forwarded-For).
 * `socketAddress`: the connection's peer when the caller has the socket; without it the last
 * X-Forwarded-For entry is taken to be the peer (the socket hop). An entry that is not an IP
 * address (a proxy bug or a forged "unknown") counts as unknown.
 */
export function clientIpFrom(
  headers: Pick<Headers, "get">,
  socketAddress: string | null = null,
  trustedHops: number = env.TRUSTED_PROXY_HOPS,
): string | null {
  const chain = forwardedChain(headers);
  if (socketAddress) chain.push(socketAddress);
  if (chain.length === 0) return null;
  // Fewer entries than trusted hops means a proxy did not append: take the oldest entry a proxy
  // could have written rather than anything further left.
  const index = Math.max(0, chain.length - 1 - trustedHops);
  return normalizeIp(chain[index]!);
}
