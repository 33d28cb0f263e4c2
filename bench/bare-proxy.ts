/**
 * The ceiling for bench/relay.ts: a bare node:http server passing every request to one upstream
 * through an undici Pool, no auth, no metering, no parsing. What any relay on Node costs at least.
 *
 *   node --import tsx bench/bare-proxy.ts PORT UPSTREAM_ORIGIN
 */
import http from "node:http";
import { pipeline } from "node:stream";
import { Pool } from "undici";

const port = Number(process.argv[2] ?? 0);
const upstream = new Pool(process.argv[3] ?? "http://127.0.0.1:4010", { connections: 512, pipelining: 1, keepAliveTimeout: 30_000 });

const server = http.createServer({ keepAlive: true }, (req, res) => {
  upstream.request(
    {
      path: req.url ?? "/",
      method: (req.method ?? "GET") as "POST",
      headers: { "content-type": req.headers["content-type"] ?? "application/json", "anthropic-version": "2023-06-01", "x-api-key": "sk-bare" },
      body: req.method === "GET" || req.method === "HEAD" ? null : req,
    },
    (err, data) => {
      if (err) {
        if (!res.headersSent) res.writeHead(502);
        res.end();
        return;
      }
      const ct = data.headers["content-type"];
      res.writeHead(data.statusCode, ct ? { "content-type": ct } : {});
      pipeline(data.body, res, () => {});
    },
  );
});
server.listen(port, "127.0.0.1", () => console.log(`bare proxy listening on ${port}`));
process.once("SIGTERM", () => process.exit(0));
