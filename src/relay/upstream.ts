/**
 * The upstream side: where to send (targets, in order, with cool-down after failures), what
 * headers to send (an allow-list: never the client's Metergate key, never hop-by-hop headers;
 * always the loop-stop hop header), and a keep-alive HTTP client with connect and idle timeouts
 * whose connections to tenant upstreams go through the egress policy.
 */
import { EventEmitter } from "node:events";
import type { Readable } from "node:stream";
import {
  createEgressAgent,
  createEgressRequest,
  deploymentHopId,
  HOP_HEADER,
  outgoingHops,
  type EgressLookup,
  type EgressPolicy,
  UPSTREAM_KEEPALIVE_MS,
} from "~/egress";
import type { ProviderName } from "~/ledger/types";
import { Agent } from "undici";

export interface UpstreamTarget {
  /** Stable id for cool-down bookkeeping ("env:ANTHROPIC" or an Upstream row id). */
  id: string;
  provider: ProviderName;
  baseUrl: string;
  /** The provider credential; undefined sends none (e.g. a local stub). */
  credential: string | undefined;
  /**
   * The deployment's own upstream from env: its address is trusted as configured. Anything else
   * (a tenant's upstream) connects only where the egress policy allows.
   */
  trusted?: boolean;
}

/** Client request headers that may travel upstream. Everything else stays here. */
const FORWARDED_REQUEST_HEADERS = ["anthropic-version", "anthropic-beta", "accept", "content-type", "openai-beta", "idempotency-key"];

/** Upstream response headers the client may see. */
const FORWARDED_RESPONSE_HEADERS = new Set(["content-type", "retry-after", "request-id", "x-request-id", "openai-processing-ms", "openai-version"]);
const FORWARDED_RESPONSE_PREFIXES = ["anthropic-ratelimit-", "x-ratelimit-"];

/** What the relay reads of a request's headers: a web Headers, or the relay tier's node view of them. */
export interface HeaderReader {
  get(name: string): string | null;
  has(name: string): boolean;
}

export function upstreamRequestHeaders(
  target: UpstreamTarget,
  client: HeaderReader,
  bodyLength: number | null,
  hopId: string = deploymentHopId(),
): Record<string, string> {
  const headers: Record<string, string> = { "accept-encoding": "identity", [HOP_HEADER]: outgoingHops(client.get(HOP_HEADER), hopId) };
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = client.get(name);
    if (value !== null) headers[name] = value;
  }
  if (bodyLength !== null) headers["content-length"] = String(bodyLength);
  if (target.credential) {
    if (target.provider === "ANTHROPIC") headers["x-api-key"] = target.credential;
    else headers.authorization = `Bearer ${target.credential}`;
  }
  return headers;
}

/** The upstream's headers the client may see, as a plain record (a web Headers is made only where a Response needs one). */
export function clientResponseHeaders(upstream: UpstreamHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in upstream) {
    const value = upstream[name];
    if (value === undefined) continue;
    if (FORWARDED_RESPONSE_HEADERS.has(name) || FORWARDED_RESPONSE_PREFIXES.some((p) => name.startsWith(p))) {
      out[name] = Array.isArray(value) ? value.join(", ") : value;
    }
  }
  return out;
}

/** One response header's value (names are lower case), repeated ones joined as fetch would. */
export function upstreamHeader(headers: UpstreamHeaders, name: string): string | null {
  const v = headers[name];
  return v === undefined ? null : Array.isArray(v) ? v.join(", ") : v;
}

/** Joins base and path (one definition, in the egress module). */
export { joinUpstreamUrl as upstreamUrl } from "~/egress";

/** Statuses after which the next upstream is tried (only before the client saw a byte). */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/** Remembers failing upstreams for a while; cooled ones go last rather than being skipped. */
export class Cooldown {
  private readonly until = new Map<string, number>();
  constructor(
    private readonly durationMs: number,
    private readonly now: () => number,
  ) {}

  mark(id: string): void {
    this.until.set(id, this.now() + this.durationMs);
  }

  order<T extends { id: string }>(targets: readonly T[]): T[] {
    if (this.until.size === 0) return [...targets];
    const t = this.now();
    const hot: T[] = [];
    const cooled: T[] = [];
    for (const target of targets) ((this.until.get(target.id) ?? 0) > t ? cooled : hot).push(target);
    return hot.concat(cooled);
  }
}

/**
 * Stops an upstream request. An EventEmitter, which undici.request takes as its signal, not an
 * AbortController: each of those costs microseconds to make and to listen to (profiled on the
 * relay tier, where every request made one). undici fails the request with its RequestAbortedError.
 */
export class UpstreamAbort extends EventEmitter {
  aborted = false;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit("abort");
  }
}

export interface UpstreamRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Uint8Array | string | null;
  signal: AbortSignal | UpstreamAbort;
  /** From UpstreamTarget.trusted: skip the egress policy (deployment upstreams only). */
  trusted?: boolean;
}

/** Response headers as undici gives them: lower-case names, repeated ones as arrays. */
export type UpstreamHeaders = Record<string, string | string[] | undefined>;

/**
 * The upstream's answer: a node stream body (undici.request), no web Response or web streams, so
 * the relay tier pipes it to its socket directly and route handlers wrap it once.
 */
export interface UpstreamResponse {
  status: number;
  headers: UpstreamHeaders;
  body: Readable;
}

export type UpstreamFetch = (req: UpstreamRequest) => Promise<UpstreamResponse>;

/** Drops a body the client will not see (a retried failure, HEAD): read off a little to keep the connection, else cut. */
export function discardBody(body: Readable): void {
  body.on("error", () => {});
  const dump = (body as Readable & { dump?: (opts?: { limit: number }) => Promise<void> }).dump;
  if (typeof dump === "function") void dump.call(body, { limit: 64 * 1024 }).catch(() => {});
  else body.destroy();
}

export interface UpstreamClientOptions {
  connectTimeoutMs: number;
  /** Max silence while waiting for headers or between body chunks. */
  idleTimeoutMs: number;
  /** Egress policy for untrusted targets (default: env's, read at each connect) and a DNS stand-in for tests. */
  egress?: { policy?: EgressPolicy; lookup?: EgressLookup };
}

/**
 * undici.request over two keep-alive pools per process: deployment upstreams connect directly,
 * every other target through the egress Agent. Errors come out without URLs in them.
 */
export function createUpstreamFetch(opts: UpstreamClientOptions): UpstreamFetch {
  const timeouts = { headersTimeout: opts.idleTimeoutMs, bodyTimeout: opts.idleTimeoutMs, keepAliveTimeout: UPSTREAM_KEEPALIVE_MS, keepAliveMaxTimeout: 600_000 };
  const trusted = createEgressRequest(new Agent({ connect: { timeout: opts.connectTimeoutMs }, ...timeouts }));
  const guarded = createEgressRequest(
    createEgressAgent({
      policy: opts.egress?.policy,
      lookup: opts.egress?.lookup,
      connectTimeoutMs: opts.connectTimeoutMs,
      headersTimeoutMs: opts.idleTimeoutMs,
      bodyTimeoutMs: opts.idleTimeoutMs,
    }),
  );
  return (req) =>
    (req.trusted ? trusted : guarded)(req.url, { method: req.method, headers: req.headers, body: req.body, signal: req.signal });
}
