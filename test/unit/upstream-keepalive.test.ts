/**
 * The cause of the ECONNRESET → 502s seen with undici.request in multi-instance.test.ts: the
 * relay kept idle upstream connections for 30 s, the stub (a Node server: idle connections closed
 * after 5 s) does not announce its timeout on SSE answers (a handler that sets its own Connection
 * header gets no `Keep-Alive: timeout=5`), so a request could be written to a connection the
 * server was closing, and was reset after it was sent (not retryable: it may have been billed).
 * The relay's client must drop an idle connection before such a server does, on both of its
 * dispatchers (deployment upstreams, and tenant upstreams through the egress policy).
 */
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { egressPolicy } from "~/egress";
import { createUpstreamFetch } from "~/relay/upstream";

let server: http.Server | null = null;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = null;
});

/** A Node server with the default 5 s idle timeout whose answers carry no keep-alive hint. */
async function hintlessServer(): Promise<{ url: string; closedBy: Promise<"client" | "server"> }> {
  let resolve!: (by: "client" | "server") => void;
  const closedBy = new Promise<"client" | "server">((r) => (resolve = r));
  server = http.createServer({ keepAlive: true }, (_req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream", connection: "keep-alive" });
    res.end("data: {}\n\n");
  });
  server.keepAliveTimeout = 5_000;
  server.on("connection", (socket: Socket) => {
    let peerEnded = false;
    socket.on("end", () => (peerEnded = true));
    socket.on("close", () => resolve(peerEnded ? "client" : "server"));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, closedBy };
}

describe("idle upstream connections", () => {
  for (const trusted of [true, false]) {
    it(`are closed by the relay before a hint-less Node server closes them (${trusted ? "deployment" : "egress"} dispatcher)`, async () => {
      const { url, closedBy } = await hintlessServer();
      const fetchUpstream = createUpstreamFetch({
        connectTimeoutMs: 2_000,
        idleTimeoutMs: 10_000,
        egress: { policy: egressPolicy({ allowCidrs: "127.0.0.0/8" }) },
      });
      const res = await fetchUpstream({ method: "POST", url: `${url}/v1/messages`, headers: { "content-type": "application/json" }, body: "{}", signal: new AbortController().signal, trusted });
      expect(res.status).toBe(200);
      expect(res.headers["keep-alive"]).toBeUndefined();
      for await (const _ of res.body);
      expect(await closedBy).toBe("client");
    }, 15_000);
  }
});
