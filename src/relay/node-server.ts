/**
 * A lean node:http server mounting the relay entry, for a dedicated relay tier, integration tests
 * and the bench. Proves the relay is framework-free: IncomingMessage → web Request (streamed body,
 * duplex "half"), web Response → ServerResponse with backpressure; a client that goes away aborts
 * the request signal, which aborts the upstream.
 */
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { clientIpFrom } from "~/net";
import type { RelayHandler } from "./relay";
import { endpointForPath } from "./routes";

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

function toWebHeaders(raw: readonly string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  return headers;
}

async function writeResponse(response: Response, req: http.IncomingMessage, res: http.ServerResponse, signal: AbortSignal): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => (headers[name] = value));
  if (!req.complete) {
    // Answered before the body was read (refused early): don't let the client reuse a
    // connection with an unread body on it; discard what is still coming.
    headers.connection = "close";
    req.resume();
  }
  res.writeHead(response.status, headers);
  if (!response.body) {
    res.end();
    return;
  }
  res.flushHeaders();
  const reader = response.body.getReader();
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
    const abort = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) abort.abort();
    });
    const url = `http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`;
    const method = req.method ?? "GET";
    const headers = toWebHeaders(req.rawHeaders);
    const hasBody = method !== "GET" && method !== "HEAD";
    const request = new Request(url, {
      method,
      headers,
      body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
      signal: abort.signal,
      // Node's fetch requires this for streamed request bodies.
      duplex: "half",
    } as RequestInit & { duplex: "half" });
    const ctx = { endpoint: endpointForPath(new URL(url).pathname), clientIp: clientIpFrom(headers, req.socket.remoteAddress ?? null) };
    handler(request, ctx)
      .then((response) => writeResponse(response, req, res, abort.signal))
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
