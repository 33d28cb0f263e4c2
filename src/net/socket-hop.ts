/**
 * Makes the socket address visible to Next route handlers, which get a web Request without it.
 * Next itself sets X-Forwarded-For to the socket address only when the client sent none, so a
 * client could otherwise choose its own address. This hook runs on every HTTP request the process
 * receives, before Next sees it, and appends the peer address to X-Forwarded-For, as one more
 * proxy would (see client-ip.ts for how the chain is read).
 *
 * It also records whether every listening HTTP server of the process is bound to loopback only,
 * which /api/metrics uses to serve without a token (see metricsAccess).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

interface SocketHopState {
  installed: boolean;
  /** Tests: the listen addresses to assume instead of the ones seen. */
  assumedListen: Set<string> | null;
  /** Listening addresses seen on requests; all loopback means nothing outside the host can connect. */
  listenAddresses: Set<string>;
}

const STATE_KEY = Symbol.for("metergate.socketHop");
const globalState = globalThis as unknown as Record<symbol, SocketHopState | undefined>;

function state(): SocketHopState {
  return (globalState[STATE_KEY] ??= { installed: false, assumedListen: null, listenAddresses: new Set() });
}

/** Appends the peer address of `req`'s connection to its X-Forwarded-For header. */
export function appendSocketHop(req: http.IncomingMessage): void {
  const peer = req.socket?.remoteAddress;
  if (!peer) return;
  const existing = req.headers["x-forwarded-for"];
  const joined = Array.isArray(existing) ? existing.join(", ") : existing;
  req.headers["x-forwarded-for"] = joined && joined.trim() !== "" ? `${joined}, ${peer}` : peer;
}

export function installSocketHop(): void {
  const s = state();
  if (s.installed) return;
  s.installed = true;
  const originalEmit = http.Server.prototype.emit as (this: http.Server, event: string | symbol, ...args: unknown[]) => boolean;
  http.Server.prototype.emit = function emit(this: http.Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event === "request") {
      appendSocketHop(args[0] as http.IncomingMessage);
      const address = this.address() as AddressInfo | string | null;
      if (address && typeof address === "object") s.listenAddresses.add(address.address);
    }
    return originalEmit.call(this, event, ...args);
  } as typeof http.Server.prototype.emit;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1", "localhost"]);

/** True when every server that took requests listens on loopback only (false before any did). */
export function servesLoopbackOnly(): boolean {
  const s = state();
  const addresses = s.assumedListen ?? (s.installed ? s.listenAddresses : new Set<string>());
  if (addresses.size === 0) return false;
  return [...addresses].every((a) => a === "::1" || a === "localhost" || a.replace(/^::ffff:/, "").startsWith("127."));
}

/** Tests: pretend the process listens on these addresses only (null: back to what was seen). */
export function assumeListenAddressesForTest(addresses: string[] | null): void {
  state().assumedListen = addresses ? new Set(addresses) : null;
}
