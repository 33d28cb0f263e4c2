/**
 * The Next path: the route handlers under src/app/v1, driven by the real SDKs (their fetch goes
 * straight to the exported handler of the matching route file), with the process-wide relay
 * (Postgres keys, the ledger, env upstreams pointed at the stub, metrics and logs). It must answer
 * exactly like the bare-node relay tier (relay-protocol.test.ts).
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as notFoundRoute from "~/app/v1/[...path]/route";
import * as chatRoute from "~/app/v1/chat/completions/route";
import * as messagesRoute from "~/app/v1/messages/route";
import * as modelRoute from "~/app/v1/models/[...id]/route";
import * as modelsRoute from "~/app/v1/models/route";
import * as responsesRoute from "~/app/v1/responses/route";
import { resetEnvCache } from "~/infra/env";
import { flushOnce } from "~/ledger";
import { db } from "~/infra/db";
import { metricsText } from "~/server/metrics";
import { redis } from "~/infra/redis";
import { createTenantWithKey } from "../helpers/fixtures-db";
import { startStubUpstream, type StubUpstream } from "../../stub/upstream";

const CLAUDE = "claude-sonnet-4-5-20250929";
const GPT = "gpt-4o-2024-08-06";
const BASE = "http://next.test";

type Handler = (request: Request) => Promise<Response>;
type RouteModule = object;

/** The route file Next would pick for a path (specific routes before the catch-alls). */
function routeFor(pathname: string): RouteModule {
  const fixed: Record<string, RouteModule> = {
    "/v1/messages": messagesRoute,
    "/v1/chat/completions": chatRoute,
    "/v1/responses": responsesRoute,
    "/v1/models": modelsRoute,
  };
  return fixed[pathname] ?? (pathname.startsWith("/v1/models/") ? modelRoute : notFoundRoute);
}

let arrivals = 0;
/** What Next does for a request: the handler exported under the request's method. */
async function nextFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const request = new Request(input, init);
  const handler = (routeFor(new URL(request.url).pathname) as Partial<Record<string, Handler>>)[request.method];
  if (!handler) throw new Error(`no ${request.method} export: Next would answer it itself`);
  arrivals++;
  return handler(request);
}

let stub: StubUpstream;

beforeAll(async () => {
  stub = await startStubUpstream();
  process.env.UPSTREAM_ANTHROPIC_BASE_URL = stub.url;
  process.env.UPSTREAM_OPENAI_BASE_URL = stub.url;
  resetEnvCache();
});

afterAll(async () => {
  await stub.close();
  await db.$disconnect();
  redis.disconnect();
});

const fetchOption = nextFetch as unknown as typeof fetch;
const anthropic = (secret: string) => new Anthropic({ baseURL: BASE, apiKey: secret, fetch: fetchOption });
const openai = (secret: string) => new OpenAI({ baseURL: `${BASE}/v1`, apiKey: secret, fetch: fetchOption });

async function refused(call: () => Promise<unknown>): Promise<{ err: unknown; arrivals: number }> {
  const before = arrivals;
  const err = await call().then(
    () => expect.unreachable("should have been refused"),
    (e: unknown) => e,
  );
  return { err, arrivals: arrivals - before };
}

describe("Next route handlers answer like the relay tier", () => {
  it("models.retrieve with both SDKs, from the upstream", async () => {
    const { secret } = await createTenantWithKey("next-retrieve");
    expect(await anthropic(secret).models.retrieve(CLAUDE)).toMatchObject({ type: "model", id: CLAUDE });
    expect(stub.stats.last()).toMatchObject({ method: "GET", path: `/v1/models/${CLAUDE}` });
    expect(await openai(secret).models.retrieve(GPT)).toMatchObject({ id: GPT, object: "model" });
    expect((await refused(() => openai(secret).models.retrieve("gpt-nope"))).err).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("HEAD and OPTIONS on /v1/models", async () => {
    const { secret } = await createTenantWithKey("next-head");
    const head = await nextFetch(`${BASE}/v1/models`, { method: "HEAD", headers: { "x-api-key": secret } });
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
    const options = await nextFetch(`${BASE}/v1/models/${CLAUDE}`, { method: "OPTIONS" });
    expect(options.status).toBe(204);
    expect(options.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
  });

  it("spend cap on the OpenAI protocol: 429 insufficient_quota, one request with default retries", async () => {
    const { key, secret } = await createTenantWithKey("next-cap");
    await db.apiKey.update({ where: { id: key.id }, data: { monthlyCostMicros: 1n } });
    const { err, arrivals: n } = await refused(() => openai(secret).chat.completions.create({ model: GPT, messages: [{ role: "user", content: "hi" }] }));
    expect(n).toBe(1);
    expect(err).toMatchObject({ status: 429, code: "insufficient_quota" });
  });

  it("streams through the route's web body: estimated from the request when usage is missing, usage frames withheld", async () => {
    const { key, secret } = await createTenantWithKey("next-stream");
    const stream = await anthropic(secret).messages.create({
      model: `${CLAUDE}@fixture=stream-no-usage,chunk=3`,
      max_tokens: 16,
      stream: true,
      messages: [{ role: "user", content: "Write a haiku about relays, please." }],
    });
    let events = 0;
    for await (const _ of stream) events++;
    expect(events).toBeGreaterThan(2);
    const chat = await openai(secret).chat.completions.create({ model: `${GPT}@chunk=3`, stream: true, messages: [{ role: "user", content: "hi" }] });
    const chunks: Array<{ usage?: unknown; choices: unknown[] }> = [];
    for await (const c of chat) chunks.push(c);
    // The client did not ask for include_usage: the relay's own usage frame never reaches it.
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.every((c) => c.choices.length > 0)).toBe(true);
    let rows: Array<{ provider: string; status: number; usageSource: string; inputTokens: number }> = [];
    for (let i = 0; i < 50 && rows.length < 2; i++) {
      await flushOnce();
      rows = await db.requestLog.findMany({ where: { apiKeyId: key.id }, select: { provider: true, status: true, usageSource: true, inputTokens: true }, orderBy: { provider: "asc" } });
      if (rows.length < 2) await new Promise((r) => setTimeout(r, 50));
    }
    expect(rows).toMatchObject([
      { provider: "ANTHROPIC", status: 200, usageSource: "ESTIMATED" },
      { provider: "OPENAI", status: 200, usageSource: "UPSTREAM" },
    ]);
    expect(rows[0]!.inputTokens).toBeGreaterThan(5);
  });

  it("a model refusal is recorded in the request log by the process-wide relay", async () => {
    const { key, secret } = await createTenantWithKey("next-model");
    await db.apiKey.update({ where: { id: key.id }, data: { allowedModels: ["gpt-4o-mini"] } });
    const { err, arrivals: n } = await refused(() => anthropic(secret).messages.create({ model: CLAUDE, max_tokens: 8, messages: [{ role: "user", content: "hi" }] }));
    expect(n).toBe(1);
    expect(err).toBeInstanceOf(Anthropic.PermissionDeniedError);
    let rows: Array<{ status: number; error: string | null }> = [];
    for (let i = 0; i < 50 && rows.length === 0; i++) {
      await flushOnce();
      rows = await db.requestLog.findMany({ where: { apiKeyId: key.id }, select: { status: true, error: true } });
      if (rows.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(rows).toEqual([{ status: 403, error: "quota: model_not_allowed" }]);
    expect(await metricsText()).toMatch(/metergate_quota_refusals_total\{reason="model_not_allowed"\} [1-9]/);
  });

  it("a WebSocket upgrade of /v1/responses: 426, counted; 405 and 404 counted too", async () => {
    const upgrade = await nextFetch(`${BASE}/v1/responses`, { headers: { connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13" } });
    expect(upgrade.status).toBe(426);
    expect(await upgrade.json()).toMatchObject({ error: { code: "websocket_not_supported" } });
    const get = await nextFetch(`${BASE}/v1/chat/completions`, { method: "GET" });
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST, OPTIONS");
    expect((await nextFetch(`${BASE}/v1/nope`, { method: "DELETE" })).status).toBe(404);
    const text = await metricsText();
    expect(text).toMatch(/metergate_relay_unbilled_requests_total\{endpoint="openai_responses",outcome="upgrade_refused"\} 1/);
    expect(text).toMatch(/metergate_relay_unbilled_requests_total\{endpoint="openai_chat",outcome="method_not_allowed"\} 1/);
    expect(text).toMatch(/metergate_relay_unbilled_requests_total\{endpoint="not_found",outcome="not_found"\} 1/);
  });
});
