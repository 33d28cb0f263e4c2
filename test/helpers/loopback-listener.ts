/**
 * A plain HTTP listener on a loopback address that records every request it receives: the
 * "internal service" an egress test must not reach (or must reach, once allowlisted).
 */
import http from "node:http";

export interface Hit {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface LoopbackListener {
  hits: Hit[];
  close(): Promise<void>;
}

export async function startLoopbackListener(
  port: number,
  host = "127.0.0.1",
  respond: (hit: Hit) => { status: number; body: string; contentType?: string } = () => ({ status: 200, body: "reached" }),
): Promise<LoopbackListener> {
  const hits: Hit[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const hit = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      hits.push(hit);
      const r = respond(hit);
      res.writeHead(r.status, { "content-type": r.contentType ?? "text/plain" }).end(r.body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  return {
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
