/**
 * Request lines and Host headers no URL parser accepts reach the relay tier's listener as they
 * are. Each gets an answer in the caller's protocol and the server keeps serving: a `Host: a b`
 * once made the listener's URL parsing throw, which stopped the process.
 */
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRelayHarness, type RelayHarness } from "../helpers/relay-harness";

let h: RelayHarness;
beforeAll(async () => {
  h = await startRelayHarness();
});
afterAll(async () => {
  await h?.close();
});

/** Writes raw bytes, returns the status line and body of the answer (or what came before the close). */
function rawRequest(url: string, bytes: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    // Written, not ended: each request says connection: close, so the server closes once it has answered.
    const socket = net.connect(Number(port), "127.0.0.1", () => socket.write(bytes));
    let out = "";
    socket.on("data", (d: Buffer) => (out += d.toString("latin1")));
    socket.on("error", reject);
    socket.on("close", () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(out)?.[1] ?? 0);
      resolve({ status, body: out.slice(out.indexOf("\r\n\r\n") + 4) });
    });
  });
}

describe("hostile request lines on the relay tier", () => {
  const cases: Array<[string, string]> = [
    ["a Host with a space, a path the fast path does not take", "GET /v1/models/claude-3.5 HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n"],
    ["a Host with a space, Anthropic headers and a query", "POST /v1/messages?beta=true HTTP/1.1\r\nHost: a b\r\nanthropic-version: 2023-06-01\r\nx-api-key: mg-nope\r\ncontent-length: 2\r\nConnection: close\r\n\r\n{}"],
    ["a Host that is half an IPv6 literal", "GET /v1/models/x.y HTTP/1.1\r\nHost: [::1\r\nConnection: close\r\n\r\n"],
    ["an absolute-form target naming another host", "GET http://evil.example/v1/models HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"],
    ["an asterisk target", "OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"],
  ];
  for (const [name, bytes] of cases) {
    it(`answers ${name}, and keeps serving`, async () => {
      const res = await rawRequest(h.relay.url, bytes);
      expect(res.status).toBeGreaterThanOrEqual(200);
      expect(res.status).toBeLessThan(500);
      if (res.status >= 400) expect(res.body).toContain('"error"');
      // Nothing reached the upstream: no key, or no such path.
      expect(h.stub.stats.requests).toEqual([]);
      const after = await fetch(`${h.relay.url}/v1/nope`);
      expect(after.status).toBe(404);
    });
  }
});
