/**
 * The client address every limit and log uses: spoofed X-Forwarded-For / X-Real-IP are ignored
 * with TRUSTED_PROXY_HOPS=0, on the node:http relay tier and on Next route handlers (through the
 * socket hop), and key-like strings in a User-Agent never reach the ledger.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as lookupGet } from "~/app/api/lookup/route";
import { resetEnvCache } from "~/infra/env";
import { installSocketHop } from "~/net";
import { db } from "~/infra/db";
import { createTenantWithKey } from "../helpers/fixtures-db";
import { startRelayHarness, type RelayHarness } from "../helpers/relay-harness";

let h: RelayHarness;
let secret: string;

beforeAll(async () => {
  h = await startRelayHarness();
  secret = (await createTenantWithKey("client-address")).secret;
});

afterAll(async () => {
  await h.close();
});

async function relayOnce(headers: Record<string, string>): Promise<void> {
  const res = await fetch(`${h.relay.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": secret, ...headers },
    body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 16, messages: [{ role: "user", content: "hi" }] }),
  });
  await res.arrayBuffer();
  expect(res.status).toBe(200);
}

describe("relay tier", () => {
  it("records the socket address, not what the client claims, and redacts keys in the User-Agent", async () => {
    await relayOnce({ "x-forwarded-for": "6.6.6.6", "x-real-ip": "7.7.7.7", "user-agent": `evil-bot/1.0 ${secret}` });
    const rec = await h.nextRecord();
    expect(rec.clientIp).toBe("127.0.0.1");
    expect(rec.userAgent).toBe("evil-bot/1.0 mg-[redacted]");
    expect(JSON.stringify(rec)).not.toContain(secret.slice(3));
  });

  it("with TRUSTED_PROXY_HOPS=1, believes the entry our proxy appended and nothing left of it", async () => {
    process.env.TRUSTED_PROXY_HOPS = "1";
    resetEnvCache();
    try {
      await relayOnce({ "x-forwarded-for": "6.6.6.6, 203.0.113.9" });
      expect((await h.nextRecord()).clientIp).toBe("203.0.113.9");
    } finally {
      delete process.env.TRUSTED_PROXY_HOPS;
      resetEnvCache();
    }
  });
});

describe("Next route handlers behind the socket hop", () => {
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    installSocketHop();
    // What Next does with a route: a web Request built from the node request's headers.
    server = http.createServer((req, res) => {
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(name, value);
      void lookupGet(new Request(`http://localhost${req.url}`, { headers })).then(async (response) => {
        res.writeHead(response.status, { "content-type": "application/json" });
        res.end(await response.text());
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // A fresh window for 127.0.0.1 is not guaranteed (other files use it): start from a clean count.
    const { redis } = await import("~/infra/redis");
    const { env } = await import("~/infra/env");
    const keys = await redis.keys(`${env.REDIS_PREFIX}rl:lookup:127.0.0.1:*`);
    if (keys.length > 0) await redis.del(...keys);
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await db.$disconnect();
  });

  it("limits the public lookup per socket address: 35 requests with spoofed X-Forwarded-For do not all pass", async () => {
    // The limit is a fixed one-minute window: do not straddle its end.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 55_000) await new Promise((r) => setTimeout(r, 60_500 - intoMinute));
    const statuses: number[] = [];
    for (let i = 0; i < 35; i++) {
      const res = await fetch(`${base}/api/lookup?id=${randomUUID()}`, {
        headers: { "x-forwarded-for": `198.51.100.${i + 1}`, "x-real-ip": `192.0.2.${i + 1}` },
      });
      await res.text();
      statuses.push(res.status);
    }
    // LOOKUP_RATE_LIMIT_PER_MINUTE (30 in tests): the rest are refused, whatever the headers said.
    expect(statuses.filter((s) => s === 200)).toHaveLength(30);
    expect(statuses.slice(30)).toEqual([429, 429, 429, 429, 429]);
  });
});
