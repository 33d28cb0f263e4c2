/**
 * A timestamping Anthropic stream upstream, for measuring how fast the relay forwards a byte
 * after it arrives. It answers POST /v1/messages with the stream-basic fixture in two writes,
 * each preceded by an SSE comment `: ts=<CLOCK_MONOTONIC ns>` (ignored by every SSE parser, passed
 * through untouched by the relay):
 *   headers → wait GAP ms → `: ts=…` + first frame → wait GAP ms → `: ts=…` + the rest → end.
 * process.hrtime is CLOCK_MONOTONIC, shared by every process on the machine, so the client
 * computes arrival − sent for the first body byte and for a mid-stream chunk.
 *
 *   node --import tsx bench/ts-upstream.ts PORT [GAP_MS]
 */
import { readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";

const port = Number(process.argv[2] ?? 0);
const gapMs = Number(process.argv[3] ?? 20);
const fixture = readFileSync(path.resolve(import.meta.dirname, "../stub/fixtures/anthropic/stream-basic.sse"), "utf8");
const firstFrameEnd = fixture.indexOf("\n\n") + 2;
const firstFrame = fixture.slice(0, firstFrameEnd);
const rest = fixture.slice(firstFrameEnd);

const stamp = (): string => `: ts=${process.hrtime.bigint()}\n\n`;

const server = http.createServer({ keepAlive: true }, (req, res) => {
  req.resume();
  req.on("end", () => {
    if (req.method !== "POST" || !(req.url ?? "").startsWith("/v1/messages")) {
      res.writeHead(404, { "content-type": "application/json" }).end('{"type":"error","error":{"type":"not_found_error","message":"not found"}}');
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
    res.flushHeaders();
    setTimeout(() => {
      if (res.destroyed) return;
      res.write(stamp() + firstFrame);
      setTimeout(() => {
        if (res.destroyed) return;
        res.end(stamp() + rest);
      }, gapMs);
    }, gapMs);
  });
});
server.listen(port, "127.0.0.1", () => console.log(`ts upstream listening on 127.0.0.1:${port}`));
process.once("SIGTERM", () => process.exit(0));
