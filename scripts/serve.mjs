/**
 * `npm run serve`, `npm start` and the container: the production build on a node:http server,
 * which is `next start` plus the one thing `next start` cannot do.
 *
 * `next start` ends every WebSocket upgrade request with an empty reply (its router proxies upgrades
 * only for rewrites to external URLs). Codex opens `GET /v1/responses` with `Upgrade: websocket`
 * first and, on an empty reply, backs off five times (about 6.5 s) before it falls back to HTTPS.
 * Here upgrade GETs under /v1/ go to Next's ordinary request handler instead, so the relay's
 * route answers them (426 in the OpenAI shape, logged and counted, as on the bare-node relay tier)
 * and Codex falls back at once. Every other upgrade still reaches Next's own upgrade handling.
 *
 * The flush loop (and the spend alerts evaluated after each flush) runs in a child process of
 * this one (scripts/flush-worker.ts, as `npm run flush:worker`), not on the event loop that serves
 * requests: a flush of a large batch (stream reads, JSON, SQL) stalled relay responses behind it.
 * Exactly-once does not depend on where it runs (per-shard flush locks, ON CONFLICT inserts, the
 * ack script). It is restarted if it dies, stopped with this process (SIGTERM, or the IPC channel
 * closing). FLUSH_IN_PROCESS=false: no flush runner here at all (run `npm run flush:worker`).
 *
 *   node scripts/serve.mjs [-p PORT] [-H HOSTNAME]     (defaults: $PORT or 3000; all interfaces)
 */
import { spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import http from "node:http";
import path from "node:path";
import { parseArgs } from "node:util";
import next from "next";

const { values } = parseArgs({ options: { port: { type: "string", short: "p" }, hostname: { type: "string", short: "H" } } });
const port = Number(values.port ?? process.env.PORT ?? 3000);
const hostname = values.hostname;
if (!process.env.NODE_ENV) process.env.NODE_ENV = "production";
const root = path.resolve(import.meta.dirname, "..");

// As src/env.ts reads it: "false" or "0" turns it off (default on).
const flushHere = process.env.FLUSH_IN_PROCESS !== "false" && process.env.FLUSH_IN_PROCESS !== "0";
// Next's instrumentation must not start a second loop in this process.
process.env.FLUSH_IN_PROCESS = "false";
let flushChild = null;
let stopping = false;
function startFlushChild() {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/flush-worker.ts"], {
    cwd: root,
    env: process.env,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  flushChild = child;
  child.on("exit", (code, signal) => {
    if (flushChild === child) flushChild = null;
    if (stopping) return;
    console.error(`[serve] flush runner exited (${signal ?? code}); restarting in 1 s`);
    setTimeout(startFlushChild, 1_000).unref();
  });
}
if (flushHere) {
  startFlushChild();
  for (const sig of ["SIGTERM", "SIGINT"]) {
    process.once(sig, () => {
      stopping = true;
      flushChild?.kill("SIGTERM");
    });
  }
}

// Next attaches its upgrade listener to `httpServer` on the first request: hand it this emitter
// and pass it the upgrades that are not the relay's.
const nextUpgrades = new EventEmitter();
const app = next({ dev: false, dir: root, port, hostname, httpServer: nextUpgrades });
await app.prepare();
const handle = app.getRequestHandler();

const server = http.createServer((req, res) => void handle(req, res));
server.on("upgrade", (req, socket, head) => {
  // A WebSocket handshake is a GET without a body; anything else keeps Next's own handling.
  if (req.method !== "GET" || !(req.url ?? "").startsWith("/v1/")) {
    nextUpgrades.emit("upgrade", req, socket, head);
    return;
  }
  // An ordinary request on the upgrade's socket, which closes once it is answered.
  const res = new http.ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket);
  res.on("finish", () => {
    res.detachSocket(socket);
    socket.destroySoon();
  });
  if (head.length > 0) socket.unshift(head);
  void handle(req, res);
});
server.listen(port, hostname, () => console.log(`[serve] metergate listening on http://${hostname ?? "0.0.0.0"}:${port}`));
