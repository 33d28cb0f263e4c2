/**
 * A lean node:http server mounting the relay entry, for a dedicated relay tier, integration tests
 * and the bench. Proves the relay is framework-free, and keeps web objects off its hot path: the
 * relay reads a node view of the request (headers from node's parsed object, the body straight
 * from the socket) and a relayed upstream body is piped from undici's node stream to the socket
 * (relay-stream.ts pipeToNode), with backpressure; other answers (errors, refusals) are web
 * Responses written out. A client that goes away aborts the request signal, which aborts the
 * upstream.
 */
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { clientIpFrom } from "~/net";
import type { RelayHandler } from "./relay";
import { pipedAnswerOf } from "./relay-stream";
import { tooLarge, type ClientConnection, type RelayRequest } from "./request-body";
import { endpointForPath, pathnameOf } from "./routes";
import type { HeaderReader } from "./upstream";

export interface RelayServer {
  url: string;
  server: http.Server;
  /** Closes at once: open connections are cut (tests, benches). */
  close(): Promise<void>;
  /**
   * Graceful: stops accepting connections, closes idle ones, runs `drain` (which lets open
   * requests finish or cuts them, and waits for their records), then closes what is left.
   */
  shutdown(drain: () => Promise<unknown>): Promise<void>;
}

/** The request's headers as the relay reads them, straight from node's parsed object (no web Headers). */
function headerReader(headers: http.IncomingHttpHeaders): HeaderReader {
  return {
    get(name) {
      const v = headers[name.toLowerCase()];
      return v === undefined ? null : Array.isArray(v) ? v.join(", ") : v;
    },
    has: (name) => headers[name.toLowerCase()] !== undefined,
  };
}

/** The body, read from the socket with the limit checked while reading. */
function readNodeBody(req: http.IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        // Discard the rest; the answer says connection: close (writeResponse).
        req.resume();
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onClose = (): void => {
      if (!req.complete) onError(new Error("client closed the request body"));
    };
    const cleanup = (): void => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("close", onClose);
  });
}

/**
 * The client connection of one request: tells the relay when the client went away. An
 * AbortSignal costs microseconds to make and to listen to (profiled: two per request were a few
 * per cent of the relay tier's CPU), so the relay listens here (RelayRequest.client) and the
 * signal is made only if something asks for it.
 */
class NodeClient implements ClientConnection {
  gone = false;
  private listeners: Array<() => void> | null = null;
  private controller: AbortController | null = null;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.gone) this.controller.abort();
    }
    return this.controller.signal;
  }

  /** As an abort listener: never called for a client that was gone before it was added. */
  onGone(listener: () => void): void {
    if (!this.gone) (this.listeners ??= []).push(listener);
  }

  markGone(): void {
    if (this.gone) return;
    this.gone = true;
    this.controller?.abort();
    const listeners = this.listeners;
    this.listeners = null;
    if (listeners) for (const listener of listeners) listener();
  }
}

/** The relay's view of a node request: no web Request, Headers or stream on the hot path. */
class NodeRelayRequest implements RelayRequest {
  readonly method: string;
  readonly headers: HeaderReader;
  readonly pipesToSocket = true;
  private readonly hasBody: boolean;
  private webBody: ReadableStream<Uint8Array> | null | undefined = undefined;

  constructor(
    private readonly req: http.IncomingMessage,
    readonly url: string,
    readonly client: NodeClient,
  ) {
    this.method = req.method ?? "GET";
    this.headers = headerReader(req.headers);
    this.hasBody = req.method !== "GET" && req.method !== "HEAD";
  }

  get signal(): AbortSignal {
    return this.client.signal;
  }

  /** Only for code that wants a web stream; the relay itself calls readBody. */
  get body(): ReadableStream<Uint8Array> | null {
    return (this.webBody ??= this.hasBody ? (Readable.toWeb(this.req) as ReadableStream<Uint8Array>) : null);
  }

  readBody(maxBytes: number): Promise<Uint8Array> {
    return this.hasBody ? readNodeBody(this.req, maxBytes) : Promise.resolve(new Uint8Array(0));
  }
}

/** Paths the URL parser leaves as they are (no dot segments, escapes or odd bytes): most requests, read without parsing. */
const PLAIN_PATH = /^\/[A-Za-z0-9_\-/]*$/;

/** The request's pathname as `new URL(url).pathname` gives it; parsed only when it is not plain. */
function requestPathname(rawUrl: string, url: string): string {
  const q = rawUrl.indexOf("?");
  const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
  return PLAIN_PATH.test(path) ? path : pathnameOf(url);
}

/**
 * The origin of the URL the relay sees. Never the Host header: the relay does not route by host
 * (upstreams come from the key's tenant), and a Host such as "a b" made URL parsing throw inside
 * the request listener, which stopped the process.
 */
const REQUEST_ORIGIN = "http://relay.invalid";

async function writeResponse(response: Response, req: http.IncomingMessage, res: http.ServerResponse, request: NodeRelayRequest): Promise<void> {
  const piped = pipedAnswerOf(response);
  let headers: Record<string, string>;
  if (piped) headers = piped.headers;
  else {
    headers = {};
    response.headers.forEach((value, name) => (headers[name] = value));
  }
  if (!req.complete) {
    // Answered before the body was read (refused early): don't let the client reuse a
    // connection with an unread body on it; discard what is still coming.
    headers.connection = "close";
    req.resume();
  }
  res.writeHead(response.status, headers);
  // A relayed upstream body: written straight to the socket (backpressure and outcome in relay-stream.ts).
  if (piped) {
    piped.relayed.pipeToNode(res);
    // Headers go out with the first body chunk when it is already there (one write instead of
    // two), else on their own right after, so a slow first byte never holds them back.
    setImmediate(() => {
      if (!res.headersSent && !res.destroyed) res.flushHeaders();
    });
    return;
  }
  if (!response.body) {
    res.end();
    return;
  }
  res.flushHeaders();
  const reader = response.body.getReader();
  const signal = request.signal;
  const onAbort = (): void => void reader.cancel().catch(() => {});
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) {
        await Promise.race([once(res, "drain"), once(res, "close")]);
        if (res.destroyed) return;
      }
    }
    res.end();
  } catch {
    // Upstream failed mid-body: cut the connection so the client sees an incomplete response.
    res.destroy();
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

export function createRelayRequestListener(handler: RelayHandler): http.RequestListener {
  return (req, res) => {
    const client = new NodeClient();
    res.on("close", () => {
      if (!res.writableFinished) client.markGone();
    });
    const rawUrl = req.url ?? "/";
    const url = REQUEST_ORIGIN + rawUrl;
    const request = new NodeRelayRequest(req, url, client);
    const ctx = { endpoint: endpointForPath(requestPathname(rawUrl, url)), clientIp: clientIpFrom(request.headers, req.socket.remoteAddress ?? null) };
    handler(request, ctx)
      .then((response) => writeResponse(response, req, res, request))
      .catch(() => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end('{"error":{"message":"Internal relay error.","type":"server_error","param":null,"code":null}}');
      });
  };
}

export async function startRelayServer(handler: RelayHandler, port = 0, host = "127.0.0.1"): Promise<RelayServer> {
  const server = http.createServer({ keepAlive: true }, createRelayRequestListener(handler));
  server.listen(port, host);
  await once(server, "listening");
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${actual}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    async shutdown(drain) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      try {
        await drain();
      } finally {
        server.closeAllConnections();
        await closed;
      }
    },
  };
}

/** SIGTERM / SIGINT for a relay tier process: drain (RELAY_DRAIN_TIMEOUT_MS), then exit. */
export function exitGracefullyOnSignals(server: RelayServer, drain: () => Promise<unknown>, log: (msg: string) => void): void {
  let started = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (started) return;
    started = true;
    log(`[relay] ${sig}: draining`);
    void server
      .shutdown(drain)
      .catch((err: unknown) => log(`[relay] drain failed: ${String(err)}`))
      .finally(() => process.exit(0));
  };
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
}
