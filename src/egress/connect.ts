/**
 * The policy enforced where it cannot be dodged: when the socket is opened. An undici Agent whose
 * connector checks the IP literal it is given, or resolves the name itself and checks every
 * address before net/tls connect to one of them. A name that resolved to a public address when
 * the URL was saved and to 127.0.0.1 now (DNS rebinding) is refused now. A name with any refused
 * address is refused as a whole.
 *
 * Errors leaving this module never carry a URL (undici's do: credentials included); see
 * sanitizeFetchError.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import type { LookupAddress, LookupAllOptions, LookupOneOptions } from "node:dns";
import type { EventEmitter } from "node:events";
import type { Readable } from "node:stream";
import { Agent, buildConnector, fetch as undiciFetch, type Dispatcher } from "undici";
import { normalizeHost, parseIp } from "~/infra/net/address";
import { addressRefusal, envEgressPolicy, isHostAllowlisted, type EgressPolicy } from "./policy";
import { EgressUrlError } from "~/infra/net/url";
import { scrubSecrets } from "~/infra/observability/logger";

/** A connection the egress policy refused; the message names the address, never the URL. */
export class EgressRefusedError extends Error {
  readonly code = "EGRESS_REFUSED";
}

/** Resolves a name to all its addresses (injectable: tests play DNS rebinding with it). */
export type EgressLookup = (hostname: string) => Promise<readonly LookupAddress[]>;

const systemLookup: EgressLookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export interface EgressAgentOptions {
  /** Default: the env policy, read at each connect. */
  policy?: EgressPolicy | (() => EgressPolicy);
  lookup?: EgressLookup;
  connectTimeoutMs: number;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
}

/**
 * How long an idle upstream connection is kept when the server does not say (a `Keep-Alive:
 * timeout=N` answer is honoured, up to keepAliveMaxTimeout). It must be shorter than the server's
 * own idle timeout: a request written to a connection the server is closing is reset (ECONNRESET)
 * after it was sent, and a POST that may have reached the upstream cannot be retried without
 * risking a double charge. Node's server closes idle connections after 5 s and announces it only
 * when the handler sets no Connection header of its own (the stub's SSE answers set one); many
 * proxies announce nothing. 4 s is undici's own default.
 */
export const UPSTREAM_KEEPALIVE_MS = 4_000;

type NetLookupCallback = (err: Error | null, address: string | LookupAddress[], family?: number) => void;

/** An undici Agent that only connects to addresses the policy allows. */
export function createEgressAgent(opts: EgressAgentOptions): Agent {
  const policyOf = (): EgressPolicy =>
    typeof opts.policy === "function" ? opts.policy() : (opts.policy ?? envEgressPolicy());
  const resolve = opts.lookup ?? systemLookup;

  // net.connect / tls.connect call this for host names (never for IP literals).
  const guardedLookup = (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: NetLookupCallback): void => {
    const policy = policyOf();
    const allowlisted = isHostAllowlisted(hostname, policy);
    resolve(hostname).then(
      (all) => {
        if (all.length === 0) return callback(new EgressRefusedError(`${hostname} did not resolve`), []);
        for (const a of all) {
          const ip = parseIp(a.address);
          const refusal = ip ? addressRefusal(ip, policy, allowlisted) : `${a.address} is not an IP address`;
          if (refusal) return callback(new EgressRefusedError(`egress refused: ${hostname} resolves to ${refusal}`), []);
        }
        const family = options.family === 4 || options.family === 6 ? options.family : 0;
        const usable = family === 0 ? all : all.filter((a) => a.family === family);
        if (usable.length === 0) return callback(Object.assign(new Error(`${hostname}: no IPv${family} address`), { code: "ENOTFOUND" }), []);
        if (options.all) return callback(null, usable.map((a) => ({ address: a.address, family: a.family })));
        callback(null, usable[0]!.address, usable[0]!.family);
      },
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err)), []),
    );
  };

  const connectSocket = buildConnector({ timeout: opts.connectTimeoutMs, lookup: guardedLookup as never });
  const connector: buildConnector.connector = (options, callback) => {
    const host = normalizeHost(options.hostname);
    const ip = host === null ? null : parseIp(host);
    if (ip) {
      // undici hands IP literals straight to net.connect, which skips the lookup.
      const refusal = addressRefusal(ip, policyOf());
      if (refusal) return callback(new EgressRefusedError(`egress refused: ${refusal}`), null);
    } else if (host === null) {
      return callback(new EgressRefusedError("egress refused: invalid host"), null);
    }
    connectSocket(options, callback);
  };

  return new Agent({
    connect: connector,
    headersTimeout: opts.headersTimeoutMs,
    bodyTimeout: opts.bodyTimeoutMs,
    keepAliveTimeout: opts.keepAliveTimeoutMs ?? UPSTREAM_KEEPALIVE_MS,
    keepAliveMaxTimeout: 600_000,
  });
}

/** The first error in a cause chain satisfying `is`. */
function findCause<T extends Error>(err: unknown, is: (e: unknown) => e is T): T | null {
  for (let e: unknown = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) if (is(e)) return e;
  return null;
}

/** An outbound request failure, with a message that names no URL (so it can be logged and stored). */
export class EgressFetchError extends Error {
  constructor(
    message: string,
    readonly code: string | null,
  ) {
    super(message);
  }
}

/**
 * undici errors as they may be logged: "fetch failed" plus the cause's code and message, scrubbed
 * of anything URL- or credential-shaped. Egress refusals and abort/timeout errors pass through
 * (they carry no URL), so callers can still tell them apart.
 */
export function sanitizeFetchError(err: unknown): Error {
  const refused = findCause(err, (e): e is EgressRefusedError => e instanceof EgressRefusedError);
  if (refused) return refused;
  const urlError = findCause(err, (e): e is EgressUrlError => e instanceof EgressUrlError);
  if (urlError) return urlError;
  const top = err as { name?: string };
  if (top?.name === "AbortError" || top?.name === "TimeoutError") return err as Error;
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? (err as { code?: string })?.code ?? null;
  const detail = cause?.message ?? (err instanceof Error ? err.message : String(err));
  return new EgressFetchError(`request failed: ${stripUrls(detail)}`, code ?? null);
}

/** Replaces every URL in free text by its origin-free marker; then the usual secret scrub. */
function stripUrls(text: string): string {
  return scrubSecrets(text.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]*/gi, "[url]"), 300);
}

export interface EgressRequestInit {
  method: string;
  headers: Record<string, string>;
  body: Uint8Array | string | null;
  signal: AbortSignal;
}

export type EgressFetch = (url: string, init: EgressRequestInit) => Promise<Response>;

export interface EgressResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
}

/** undici.request also takes an EventEmitter as its signal (the relay's UpstreamAbort: cheaper than an AbortSignal). */
export type EgressDispatchInit = Omit<EgressRequestInit, "signal"> & { signal: AbortSignal | EventEmitter };

export type EgressRequest = (url: string, init: EgressDispatchInit) => Promise<EgressResponse>;

/**
 * undici.request over a dispatcher (an egress Agent, or a plain one for trusted targets): a node
 * stream body, none of fetch's web objects. Failures come out sanitised; redirects are never
 * followed (request does not follow them). (The ECONNRESETs once blamed on request() came from
 * idle connections kept past the server's own idle timeout: see UPSTREAM_KEEPALIVE_MS.)
 */
export function createEgressRequest(dispatcher: Dispatcher): EgressRequest {
  // A relay sends to a handful of URLs: each is split into origin and path once, not parsed per request (profiled).
  const split = new Map<string, { origin: string; path: string }>();
  return async (url, init) => {
    try {
      let target = split.get(url);
      if (!target) {
        const u = new URL(url);
        target = { origin: u.origin, path: u.pathname + u.search };
        if (split.size >= 1000) split.clear();
        split.set(url, target);
      }
      const res = await dispatcher.request({
        origin: target.origin,
        path: target.path,
        method: init.method as Dispatcher.HttpMethod,
        headers: init.headers,
        body: init.body,
        signal: init.signal,
      });
      // undici's body is a node Readable (BodyReadable).
      return { status: res.statusCode, headers: res.headers, body: res.body as unknown as Readable };
    } catch (err) {
      throw sanitizeFetchError(err);
    }
  };
}

/** fetch over a dispatcher (an egress Agent, or a plain one for trusted targets); failures come out sanitised. Never follows redirects. */
export function createEgressFetch(dispatcher: Dispatcher): EgressFetch {
  return async (url, init) => {
    try {
      const res = await undiciFetch(url, { ...init, redirect: "manual", dispatcher });
      // undici's Response is structurally the web Response.
      return res as unknown as Response;
    } catch (err) {
      throw sanitizeFetchError(err);
    }
  };
}
