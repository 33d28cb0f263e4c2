/**
 * Protocol fidelity on the bare-node relay tier: every refusal answered the way the provider
 * answers it, driven by the real SDKs with their default retries (the relay counts what arrives),
 * model retrieval and HEAD from the upstream, and the answers given without one (404, 405,
 * OPTIONS, refused WebSocket upgrades).
 */
import http from "node:http";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { admit, flushOnce, recordRequest, type RequestEvent } from "~/ledger";
import type { UnservedRequest } from "~/relay/relay";
import { requestLogPage } from "~/server/api/lib/request-log";
import { db } from "~/infra/db";
import { redis } from "~/infra/redis";
import { createTenantWithKey } from "../helpers/fixtures-db";
import { startRelayHarness, UPSTREAM_ANTHROPIC_KEY, waitFor, type RelayHarness } from "../helpers/relay-harness";

const CLAUDE = "claude-sonnet-4-5-20250929";
const GPT = "gpt-4o-2024-08-06";
const ask = { model: CLAUDE, max_tokens: 64, messages: [{ role: "user" as const, content: "hi" }] };
const chat = { model: GPT, messages: [{ role: "user" as const, content: "hi" }] };

let h: RelayHarness;
const recorded: RequestEvent[] = [];
const refusals: string[] = [];
const unbilled: UnservedRequest[] = [];

beforeAll(async () => {
  h = await startRelayHarness({
    admit: (key, requestId, estimate) => admit(key.limits, requestId, estimate),
    record: async (event, charge, priceOverrides) => {
      recorded.push(event);
      await recordRequest(event, charge, { priceOverrides });
    },
    onRefusal: (reason) => refusals.push(reason),
    onUnserved: (event) => unbilled.push(event),
  });
});

afterAll(async () => {
  await h.close();
  await db.$disconnect();
  redis.disconnect();
});

beforeEach(() => {
  h.stub.knobs = {};
  h.stub.stats.reset();
});

// Default maxRetries (2) on purpose: a refusal the SDK would retry shows up as 3 arrivals.
const anthropic = (secret: string) => new Anthropic({ baseURL: h.relay.url, apiKey: secret });
const openai = (secret: string) => new OpenAI({ baseURL: `${h.relay.url}/v1`, apiKey: secret });

/** Runs a call that must fail; returns the error and how many requests reached the relay. */
async function refused(call: () => Promise<unknown>): Promise<{ err: unknown; arrivals: number }> {
  const before = h.arrived.length;
  const err = await call().then(
    () => expect.unreachable("should have been refused"),
    (e: unknown) => e,
  );
  return { err, arrivals: h.arrived.length - before };
}

async function keyWith(name: string, data: Parameters<typeof db.apiKey.update>[0]["data"]) {
  const t = await createTenantWithKey(name);
  await db.apiKey.update({ where: { id: t.key.id }, data });
  return t;
}

describe("spend caps: one refusal, one request, in each provider's answer", () => {
  it("OpenAI protocol: 429 insufficient_quota with x-should-retry: false (Codex and the SDK stop at once)", async () => {
    const { key, secret } = await keyWith("cap-openai", { monthlyCostMicros: 1n });
    const { err, arrivals } = await refused(() => openai(secret).chat.completions.create(chat));
    expect(arrivals).toBe(1);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const e = err as InstanceType<typeof OpenAI.APIError>;
    expect(e.status).toBe(429);
    expect(e.error).toMatchObject({ type: "insufficient_quota", code: "insufficient_quota", param: null });
    expect(e.headers?.get("x-should-retry")).toBe("false");
    expect(Number(e.headers?.get("retry-after"))).toBeGreaterThan(0);
    expect(h.stub.stats.requests).toHaveLength(0);
    await waitFor(() => recorded.some((r) => r.apiKeyId === key.id));
    expect(recorded.find((r) => r.apiKeyId === key.id)).toMatchObject({ status: 429, error: "quota: cost_monthly" });
  });

  it("Anthropic protocol: 400 invalid_request_error saying when access returns (Anthropic's answer to a spend limit)", async () => {
    const { key, secret } = await keyWith("cap-anthropic", { monthlyCostMicros: 1n });
    const { err, arrivals } = await refused(() => anthropic(secret).messages.create(ask));
    expect(arrivals).toBe(1);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    const e = err as InstanceType<typeof Anthropic.APIError>;
    expect(e.error).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    expect(e.message).toMatch(/Monthly spend cap of this API key reached\. You will regain access on \d{4}-\d{2}-\d{2} at \d{2}:\d{2} UTC\./);
    expect(e.headers?.get("x-should-retry")).toBe("false");
    await waitFor(() => recorded.some((r) => r.apiKeyId === key.id));
    expect(recorded.find((r) => r.apiKeyId === key.id)).toMatchObject({ status: 400, error: "quota: cost_monthly" });
    // The request log's "refused by limits" filter finds it although 400 is no refusal status.
    await flushOnce();
    const page = await requestLogPage(db, { tenantId: key.tenantId, apiKeyId: key.id, filter: { statusClass: "refused" }, limit: 10 });
    expect(page.rows.map((r) => [r.status, r.error])).toEqual([[400, "quota: cost_monthly"]]);
  });

  it("a tenant budget and a total cap (which never resets: no retry-after) answer the same way", async () => {
    const budget = await createTenantWithKey("budget");
    await db.tenant.update({ where: { id: budget.tenant.id }, data: { monthlyBudgetMicros: 1n } });
    const total = await keyWith("total", { totalCostMicros: 1n });
    for (const { secret } of [budget, total]) {
      const o = await refused(() => openai(secret).chat.completions.create(chat));
      expect(o.arrivals).toBe(1);
      expect(o.err).toMatchObject({ status: 429, code: "insufficient_quota" });
      const a = await refused(() => anthropic(secret).messages.create(ask));
      expect(a.arrivals).toBe(1);
      expect(a.err).toBeInstanceOf(Anthropic.BadRequestError);
    }
    const e = (await refused(() => openai(total.secret).chat.completions.create(chat))).err as InstanceType<typeof OpenAI.APIError>;
    expect(e.headers?.get("retry-after")).toBeNull();
    expect(e.message).toContain("Total spend cap of this API key reached.");
  });
});

describe("rate and concurrency: 429 with retry-after, which the SDKs honour", () => {
  it("a rate window answers 429 rate_limit_error / OpenAI requests + rate_limit_exceeded, without x-should-retry", async () => {
    const { secret } = await keyWith("rate", { rateWindowMinutes: 1, rateMaxRequests: 1 });
    await anthropic(secret).messages.create(ask);
    const noRetry = { maxRetries: 0 };
    const a = (await refused(() => anthropic(secret).messages.create(ask, noRetry))).err as InstanceType<typeof Anthropic.APIError>;
    expect(a).toBeInstanceOf(Anthropic.RateLimitError);
    expect(a.error).toMatchObject({ type: "error", error: { type: "rate_limit_error" } });
    expect(Number(a.headers?.get("retry-after"))).toBeGreaterThan(0);
    expect(a.headers?.get("x-should-retry")).toBeNull();
    const o = (await refused(() => openai(secret).chat.completions.create(chat, noRetry))).err as InstanceType<typeof OpenAI.APIError>;
    expect(o).toBeInstanceOf(OpenAI.RateLimitError);
    expect(o.error).toMatchObject({ type: "requests", code: "rate_limit_exceeded" });
  });

  it("concurrency: retry-after 1, so the SDK's retries arrive (3 requests) while the slot stays taken", async () => {
    const { secret } = await keyWith("conc", { maxConcurrency: 1 });
    h.stub.knobs = { chunk: 16, delay: 100 };
    const holder = new AbortController();
    const stream = await anthropic(secret).messages.create({ ...ask, stream: true }, { signal: holder.signal });
    const draining = (async () => {
      for await (const _ of stream) {
        // hold the lease
      }
    })().catch(() => {});
    const { err, arrivals } = await refused(() => anthropic(secret).messages.create(ask));
    const busy = (await refused(() => openai(secret).chat.completions.create(chat, { maxRetries: 0 }))).err;
    holder.abort();
    await draining;
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    expect(arrivals).toBe(3);
    expect(busy).toMatchObject({ status: 429, type: "requests", code: "rate_limit_exceeded" });
    expect((busy as InstanceType<typeof OpenAI.APIError>).headers?.get("retry-after")).toBe("1");
  });
});

describe("key state and model policy: never retried", () => {
  it("revoked and expired keys: 401 on both protocols, one request each", async () => {
    const revoked = await keyWith("revoked", { revokedAt: new Date(Date.now() - 1000) });
    const expired = await keyWith("expired", { expiresAt: new Date(Date.now() - 1000) });
    const firstUse = await keyWith("first-use", { expiresAfterFirstUseDays: 1, firstUsedAt: new Date(Date.now() - 2 * 86_400_000) });
    for (const { secret } of [revoked, expired, firstUse]) {
      const a = await refused(() => anthropic(secret).messages.create(ask));
      expect(a).toMatchObject({ arrivals: 1 });
      expect(a.err).toBeInstanceOf(Anthropic.AuthenticationError);
      const o = await refused(() => openai(secret).chat.completions.create(chat));
      expect(o).toMatchObject({ arrivals: 1 });
      expect(o.err).toMatchObject({ status: 401, code: "invalid_api_key" });
    }
    expect(refusals).toEqual(expect.arrayContaining(["revoked", "expired"]));
  });

  it("a suspended organization: Anthropic 400 (\"disabled\"), OpenAI 401 account_deactivated", async () => {
    const t = await createTenantWithKey("suspended");
    await db.tenant.update({ where: { id: t.tenant.id }, data: { suspendedAt: new Date(Date.now() - 1000) } });
    const a = await refused(() => anthropic(t.secret).messages.create(ask));
    expect(a.arrivals).toBe(1);
    expect(a.err).toBeInstanceOf(Anthropic.BadRequestError);
    const o = await refused(() => openai(t.secret).chat.completions.create(chat));
    expect(o.arrivals).toBe(1);
    expect(o.err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(o.err).toMatchObject({ code: "account_deactivated" });
  });

  it("a model the key may not use: 403 on both, recorded in the request log like a quota refusal", async () => {
    const { key, secret } = await keyWith("models", { allowedModels: ["claude-haiku-*", "gpt-4o-mini"] });
    const a = await refused(() => anthropic(secret).messages.create(ask));
    expect(a.arrivals).toBe(1);
    expect(a.err).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect((a.err as InstanceType<typeof Anthropic.APIError>).message).toContain(`may not use the model ${CLAUDE}`);
    const o = await refused(() => openai(secret).chat.completions.create(chat));
    expect(o.arrivals).toBe(1);
    expect(o.err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((o.err as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ type: "invalid_request_error", code: "model_not_found", param: "model" });
    expect(h.stub.stats.requests).toHaveLength(0);
    await waitFor(() => recorded.filter((r) => r.apiKeyId === key.id).length === 2);
    await flushOnce();
    const rows = await db.requestLog.findMany({ where: { apiKeyId: key.id }, orderBy: { createdAt: "asc" } });
    expect(rows.map((r) => [r.status, r.model, r.error])).toEqual([
      [403, CLAUDE, "quota: model_not_allowed"],
      [403, GPT, "quota: model_not_allowed"],
    ]);
    expect(refusals.filter((r) => r === "model_not_allowed")).toHaveLength(2);
  });
});

describe("models from the upstream: list, retrieve, HEAD", () => {
  it("Anthropic models.retrieve: the upstream's model object; an unknown id its 404", async () => {
    const { secret } = await createTenantWithKey("retrieve-a");
    const model = await anthropic(secret).models.retrieve(CLAUDE);
    expect(model).toMatchObject({ type: "model", id: CLAUDE, display_name: "Claude Sonnet 4.5" });
    const seen = h.stub.stats.last()!;
    expect(seen).toMatchObject({ method: "GET", path: `/v1/models/${CLAUDE}` });
    expect(seen.headers["x-api-key"]).toBe(UPSTREAM_ANTHROPIC_KEY);
    const { err, arrivals } = await refused(() => anthropic(secret).models.retrieve("claude-nope"));
    expect(arrivals).toBe(1);
    expect(err).toBeInstanceOf(Anthropic.NotFoundError);
    expect(recorded.some((r) => r.endpoint.startsWith("/v1/models"))).toBe(false);
  });

  it("OpenAI models.retrieve, also for fine-tuned ids with colons", async () => {
    const { secret } = await createTenantWithKey("retrieve-o");
    expect(await openai(secret).models.retrieve(GPT)).toMatchObject({ id: GPT, object: "model", owned_by: "system" });
    const ft = "ft:gpt-4o-mini-2024-07-18:acme:tagger:abc123";
    const { err } = await refused(() => openai(secret).models.retrieve(ft));
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err).toMatchObject({ code: "model_not_found" });
    expect(h.stub.stats.last()!.path).toBe(`/v1/models/${encodeURIComponent(ft)}`);
    // Only well-formed ids travel: what merely looks like one is a local 404.
    h.stub.stats.reset();
    for (const path of ["/v1/models/..%2Fmessages", "/v1/models/%2e%2e", "/v1/models/a%00b"]) {
      const res = await fetch(`${h.relay.url}${path}`, { headers: { authorization: `Bearer ${secret}` } });
      expect(res.status).toBe(404);
    }
    expect(h.stub.stats.requests).toHaveLength(0);
  });

  it("HEAD /v1/models answers the upstream's status without a body; OPTIONS lists GET and HEAD", async () => {
    const { secret } = await createTenantWithKey("head");
    const head = await fetch(`${h.relay.url}/v1/models`, { method: "HEAD", headers: { authorization: `Bearer ${secret}` } });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    expect(h.stub.stats.last()).toMatchObject({ method: "GET", path: "/v1/models" });
    const options = await fetch(`${h.relay.url}/v1/models`, { method: "OPTIONS" });
    expect(options.status).toBe(204);
    expect(options.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
  });
});

/** A WebSocket opening handshake, as Codex's Responses WebSocket mode sends it. */
function upgradeRequest(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; upgraded: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      headers: {
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        ...headers,
      },
    });
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, body: "", upgraded: true });
    });
    req.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, upgraded: false }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("answers without an upstream: logged and counted, never billed", () => {
  it("a WebSocket upgrade of /v1/responses is refused at once with 426 in the OpenAI shape", async () => {
    const { secret } = await createTenantWithKey("upgrade");
    const before = unbilled.length;
    const res = await upgradeRequest(`${h.relay.url}/v1/responses`, { authorization: `Bearer ${secret}` });
    expect(res).toMatchObject({ status: 426, upgraded: false });
    expect(JSON.parse(res.body)).toMatchObject({ error: { type: "invalid_request_error", code: "websocket_not_supported" } });
    expect(unbilled.slice(before)).toEqual([expect.objectContaining({ endpoint: "openai-responses", outcome: "upgrade_refused", status: 426, method: "GET" })]);
    expect(h.stub.stats.requests).toHaveLength(0);
  });

  it("a wrong method is 405 with allow in the caller's shape; an unknown path 404; both reported", async () => {
    const before = unbilled.length;
    const get = await fetch(`${h.relay.url}/v1/messages`, { headers: { "anthropic-version": "2023-06-01" } });
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST, OPTIONS");
    expect(await get.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    const nope = await fetch(`${h.relay.url}/v1/nope`, { method: "POST", body: "{}" });
    expect(nope.status).toBe(404);
    expect(unbilled.slice(before).map((e) => [e.endpoint, e.outcome, e.status])).toEqual([
      ["anthropic-messages", "method_not_allowed", 405],
      ["not-found", "not_found", 404],
    ]);
  });
});
