/**
 * The whole path with the process-wide relay: SDK → relay (env upstream = stub) → ledger (Redis)
 * → flush → Postgres, asserting the request log row and its cost.
 */
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, expect, it } from "vitest";
import { resetEnvCache } from "~/infra/env";
import { flushOnce } from "~/ledger";
import { createDefaultRelay } from "~/server/relay/default";
import { startRelayServer, type RelayServer } from "~/relay/node-server";
import { db } from "~/infra/db";
import { redis } from "~/infra/redis";
import { createTenantWithKey } from "../helpers/fixtures-db";
import { startStubUpstream, type StubUpstream } from "../../stub/upstream";

let stub: StubUpstream;
let relay: RelayServer;

beforeAll(async () => {
  stub = await startStubUpstream();
  process.env.UPSTREAM_ANTHROPIC_BASE_URL = stub.url;
  process.env.UPSTREAM_ANTHROPIC_API_KEY = "sk-ant-from-env";
  resetEnvCache();
  relay = await startRelayServer(createDefaultRelay());
});

afterAll(async () => {
  await relay.close();
  await stub.close();
  await db.$disconnect();
  redis.disconnect();
});

it("a streamed request lands in Postgres with exact tokens and cost", async () => {
  const { tenant, key, secret } = await createTenantWithKey("relay-ledger");
  const client = new Anthropic({ apiKey: secret, baseURL: relay.url, maxRetries: 0 });
  const { data: stream, response } = await client.messages
    .create({ model: "claude-sonnet-4-5-20250929", max_tokens: 100, stream: true, messages: [{ role: "user", content: "hi" }] })
    .withResponse();
  for await (const _ of stream) void _;
  const requestId = response.headers.get("x-metergate-request-id")!;
  expect(stub.stats.last()!.headers["x-api-key"]).toBe("sk-ant-from-env");

  // Recording happens just after the stream ends; flush until the row shows up.
  let row = null;
  for (let i = 0; i < 50 && !row; i++) {
    await flushOnce();
    row = await db.requestLog.findUnique({ where: { id: requestId } });
    if (!row) await new Promise((r) => setTimeout(r, 100));
  }
  expect(row).toMatchObject({
    apiKeyId: key.id,
    tenantId: tenant.id,
    status: 200,
    stream: true,
    inputTokens: 472,
    outputTokens: 89,
    cacheWrite5mTokens: 1024,
    cacheWrite1hTokens: 1024,
    cacheReadTokens: 10240,
    costMicros: 15807n,
    usageSource: "UPSTREAM",
    endpoint: "/v1/messages",
  });
});
