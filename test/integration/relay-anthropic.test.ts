/**
 * The real @anthropic-ai/sdk → relay (lean Node server) → stub upstream, asserting what the client
 * sees and exactly what the relay hands to the ledger.
 */
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "~/infra/db";
import { createTenantWithKey } from "../helpers/fixtures-db";
import { startRelayHarness, UPSTREAM_ANTHROPIC_KEY, waitFor, type RelayHarness } from "../helpers/relay-harness";

const MODEL = "claude-sonnet-4-5-20250929";
const BASIC = { input: 472, cacheWrite5m: 1024, cacheWrite1h: 1024, cacheRead: 10240, output: 89 };
const PARAMS = { model: MODEL, max_tokens: 256, messages: [{ role: "user" as const, content: "Say hello to the world in two languages." }] };

let h: RelayHarness;
let secret: string;
let keyId: string;
let tenantId: string;
let client: Anthropic;

beforeAll(async () => {
  h = await startRelayHarness();
  const t = await createTenantWithKey("relay-anthropic");
  secret = t.secret;
  keyId = t.key.id;
  tenantId = t.tenant.id;
  client = new Anthropic({ apiKey: secret, baseURL: h.relay.url, maxRetries: 0 });
});

afterAll(async () => {
  await h.close();
});

beforeEach(() => {
  h.stub.knobs = {};
  h.stub.stats.reset();
});

function expectNoMetergateKeyUpstream(): void {
  const seen = h.stub.stats.last()!;
  expect(JSON.stringify(seen.headers)).not.toContain(secret);
  expect(seen.headers["x-api-key"]).toBe(UPSTREAM_ANTHROPIC_KEY);
  expect(seen.headers.authorization).toBeUndefined();
}

describe("anthropic messages through the relay", () => {
  it("non-streaming create: body untouched, usage recorded exactly, upstream credential swapped", async () => {
    const { data, response } = await client.messages.create(PARAMS).withResponse();
    expect(data.usage.output_tokens).toBe(89);
    expect(data.content[0]).toMatchObject({ type: "text", text: "Hello, 世界! 👋" });
    const requestId = response.headers.get("x-metergate-request-id");
    const rec = await h.nextRecord();
    expect(rec).toMatchObject({
      id: requestId,
      apiKeyId: keyId,
      tenantId,
      model: MODEL,
      provider: "ANTHROPIC",
      endpoint: "/v1/messages",
      stream: false,
      status: 200,
      usage: BASIC,
      usageSource: "UPSTREAM",
      error: null,
      clientIp: "127.0.0.1",
    });
    expect(rec.userAgent).toMatch(/Anthropic/i);
    expect(rec.ttfbMs).not.toBeNull();
    expect(rec.latencyMs).toBeGreaterThanOrEqual(rec.ttfbMs!);
    expectNoMetergateKeyUpstream();
    expect(h.stub.stats.last()!.headers["anthropic-version"]).toBeDefined();
  });

  it("create({stream: true}) delivers every event and records stream-basic's numbers", async () => {
    const stream = await client.messages.create({ ...PARAMS, stream: true });
    const types: string[] = [];
    let text = "";
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "content_block_delta" && event.delta.type === "text_delta") text += event.delta.text;
    }
    expect(types[0]).toBe("message_start");
    expect(types.at(-1)).toBe("message_stop");
    expect(text).toBe("Hello, 世界! 👋");
    const rec = await h.nextRecord();
    expect(rec).toMatchObject({ stream: true, status: 200, usage: BASIC, usageSource: "UPSTREAM" });
  });

  it("messages.stream() helper, upstream cutting frames into 1..3-byte chunks", async () => {
    const stream = client.messages.stream({ ...PARAMS, model: `${MODEL}@chunk=3,seed=7` });
    const final = await stream.finalMessage();
    expect(final.usage).toMatchObject({ input_tokens: 472, output_tokens: 89, cache_read_input_tokens: 10240 });
    const rec = await h.nextRecord();
    expect(rec.usage).toEqual(BASIC);
  });

  for (const fixture of ["stream-cumulative-delta", "stream-crlf-nospace"]) {
    it(`${fixture}: nothing counted twice`, async () => {
      const stream = await client.messages.create({ ...PARAMS, model: `${MODEL}@fixture=${fixture},chunk=5`, stream: true });
      for await (const _ of stream) void _;
      expect((await h.nextRecord()).usage).toEqual(BASIC);
    });
  }

  it("server tool use: latest cumulative values", async () => {
    const stream = await client.messages.create({ ...PARAMS, model: `${MODEL}@fixture=stream-server-tool`, stream: true });
    for await (const _ of stream) void _;
    expect((await h.nextRecord()).usage).toEqual({ input: 2310, output: 112, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0 });
  });

  it("a stream without usage is recorded with estimated tokens, never zero", async () => {
    const stream = await client.messages.create({ ...PARAMS, model: `${MODEL}@fixture=stream-no-usage`, stream: true });
    for await (const _ of stream) void _;
    const rec = await h.nextRecord();
    expect(rec.usageSource).toBe("ESTIMATED");
    expect(rec.status).toBe(200);
    expect(rec.usage.input).toBeGreaterThan(5);
    expect(rec.usage.output).toBeGreaterThan(2);
  });

  it("x-api-key alone (no Authorization) authenticates; anthropic-beta passes through", async () => {
    const res = await fetch(`${h.relay.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": secret, "anthropic-version": "2023-06-01", "anthropic-beta": "prompt-caching-2024-07-31" },
      body: JSON.stringify(PARAMS),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { usage: { output_tokens: number } }).usage.output_tokens).toBe(89);
    expect(h.stub.stats.last()!.headers["anthropic-beta"]).toBe("prompt-caching-2024-07-31");
    expectNoMetergateKeyUpstream();
    await h.nextRecord();
  });

  it("streams the first event before the upstream has finished", async () => {
    h.stub.knobs = { delay: 150 };
    const started = Date.now();
    const res = await fetch(`${h.relay.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": secret, "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ ...PARAMS, stream: true, model: `${MODEL}@chunk=400` }),
    });
    const reader = res.body!.getReader();
    const first = await reader.read();
    const firstAt = Date.now() - started;
    expect(first.value!.byteLength).toBeGreaterThan(0);
    let total = first.value!.byteLength;
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      total += r.value.byteLength;
    }
    const doneAt = Date.now() - started;
    expect(total).toBe(1130);
    expect(doneAt - firstAt).toBeGreaterThan(250);
    await h.nextRecord();
  });
});

describe("errors", () => {
  it("upstream 429 passes through with retry-after as the SDK's RateLimitError; recorded as an error without tokens", async () => {
    h.stub.knobs = { status: 429 };
    const err = await client.messages.create(PARAMS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    const e = err as InstanceType<typeof Anthropic.RateLimitError>;
    expect(e.headers?.get("retry-after")).toBe("7");
    expect(e.error).toMatchObject({ type: "error", error: { type: "rate_limit_error" } });
    const rec = await h.nextRecord();
    expect(rec).toMatchObject({ status: 429, usage: { input: 0, output: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0 } });
    expect(rec.error).toMatch(/rate limit/);
  });

  it("upstream 529 is passed through as an InternalServerError", async () => {
    h.stub.knobs = { status: 529 };
    const err = await client.messages.create(PARAMS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.InternalServerError);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
    expect((await h.nextRecord()).status).toBe(529);
  });

  it("overloaded_error mid-stream reaches the client; partial usage recorded as a 529 error", async () => {
    const stream = await client.messages.create({ ...PARAMS, model: `${MODEL}@fixture=stream-error-midway`, stream: true });
    const err = await (async () => {
      for await (const _ of stream) void _;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(String(err)).toMatch(/Overloaded/);
    const rec = await h.nextRecord();
    expect(rec).toMatchObject({ status: 529, error: "Overloaded", usageSource: "ESTIMATED" });
    expect(rec.usage).toMatchObject({ input: 472, cacheRead: 10240, cacheWrite5m: 1024, cacheWrite1h: 1024 });
    expect(rec.usage.output).toBeGreaterThanOrEqual(1);
  });

  it("client disconnect mid-stream aborts the upstream and records estimated usage", async () => {
    // The stub sends message_start and the first text delta, then hangs.
    const body = (await import("../../stub/upstream")).fixture("anthropic/stream-basic.sse").toString("utf8");
    const hangAt = Buffer.byteLength(body.slice(0, body.indexOf("event: content_block_stop")));
    h.stub.knobs = { hang: hangAt };
    const abort = new AbortController();
    const res = await fetch(`${h.relay.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${secret}`, "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ ...PARAMS, stream: true }),
      signal: abort.signal,
    });
    const reader = res.body!.getReader();
    let seen = "";
    const decoder = new TextDecoder();
    while (!seen.includes("\\u4e16")) {
      const r = await reader.read();
      if (r.done) break;
      seen += decoder.decode(r.value, { stream: true });
    }
    abort.abort();
    await waitFor(() => h.stub.stats.aborted === 1);
    const rec = await h.nextRecord();
    expect(rec).toMatchObject({ status: 499, usageSource: "ESTIMATED", error: "client disconnected" });
    expect(rec.usage).toMatchObject({ input: 472, cacheRead: 10240, cacheWrite5m: 1024, cacheWrite1h: 1024 });
    expect(rec.usage.output).toBeGreaterThan(2);
  });

  it("a bad key is the SDK's AuthenticationError and never reaches the upstream", async () => {
    const bad = new Anthropic({ apiKey: "mg-not-a-real-key-0000000000000000000000000000", baseURL: h.relay.url, maxRetries: 0 });
    const err = await bad.messages.create(PARAMS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: "error", error: { type: "authentication_error" } });
    expect(h.stub.stats.requests).toHaveLength(0);
  });

  it("revoked and expired keys get 401, a suspended tenant 400 (Anthropic's answer for a disabled organization)", async () => {
    const revoked = await createTenantWithKey("revoked");
    await db.apiKey.update({ where: { id: revoked.key.id }, data: { revokedAt: new Date(Date.now() - 1000) } });
    const expired = await createTenantWithKey("expired");
    await db.apiKey.update({ where: { id: expired.key.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const suspended = await createTenantWithKey("suspended");
    await db.tenant.update({ where: { id: suspended.tenant.id }, data: { suspendedAt: new Date(Date.now() - 1000) } });
    const call = (s: string) => new Anthropic({ apiKey: s, baseURL: h.relay.url, maxRetries: 0 }).messages.create(PARAMS).catch((e: unknown) => e);
    expect(await call(revoked.secret)).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(await call(expired.secret)).toBeInstanceOf(Anthropic.AuthenticationError);
    const disabled = await call(suspended.secret);
    expect(disabled).toBeInstanceOf(Anthropic.BadRequestError);
    expect((disabled as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    expect(h.stub.stats.requests).toHaveLength(0);
  });

  it("a model the key may not use is a 403 PermissionDeniedError", async () => {
    const limited = await createTenantWithKey("limited");
    await db.apiKey.update({ where: { id: limited.key.id }, data: { allowedModels: ["claude-haiku-*"] } });
    const c = new Anthropic({ apiKey: limited.secret, baseURL: h.relay.url, maxRetries: 0 });
    expect(await c.messages.create(PARAMS).catch((e: unknown) => e)).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(h.stub.stats.requests).toHaveLength(0);
  });
});

describe("bad input: the caller's error JSON, the right status, the upstream not called", () => {
  const headers = () => ({ "x-api-key": secret, "anthropic-version": "2023-06-01", "content-type": "application/json" });
  const cases: Array<[string, () => RequestInit, number, string]> = [
    ["malformed JSON", () => ({ method: "POST", headers: headers(), body: '{"model": "x",' }), 400, "invalid_request_error"],
    ["missing model", () => ({ method: "POST", headers: headers(), body: JSON.stringify({ max_tokens: 5, messages: [] }) }), 400, "invalid_request_error"],
    ["model not a string", () => ({ method: "POST", headers: headers(), body: JSON.stringify({ model: 5 }) }), 400, "invalid_request_error"],
    ["a JSON array", () => ({ method: "POST", headers: headers(), body: "[]" }), 400, "invalid_request_error"],
    ["wrong content type", () => ({ method: "POST", headers: { ...headers(), "content-type": "text/plain" }, body: JSON.stringify(PARAMS) }), 415, "invalid_request_error"],
    ["body over the limit", () => ({ method: "POST", headers: headers(), body: JSON.stringify({ ...PARAMS, pad: "x".repeat(70 * 1024) }) }), 413, "request_too_large"],
    ["missing key", () => ({ method: "POST", headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" }, body: JSON.stringify(PARAMS) }), 401, "authentication_error"],
  ];
  for (const [label, init, status, type] of cases) {
    it(label, async () => {
      const before = h.recorded.length;
      const res = await fetch(`${h.relay.url}/v1/messages`, init());
      expect(res.status).toBe(status);
      const body = (await res.json()) as { type: string; error: { type: string; message: string } };
      expect(body.type).toBe("error");
      expect(body.error.type).toBe(type);
      expect(body.error.message).not.toMatch(/\n\s+at /);
      expect(h.stub.stats.requests).toHaveLength(0);
      expect(h.recorded.length).toBe(before);
    });
  }

  it("body over the limit sent chunked (no content-length) is cut off while reading", async () => {
    const big = new TextEncoder().encode(JSON.stringify({ ...PARAMS, pad: "y".repeat(200 * 1024) }));
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < big.length; i += 8192) c.enqueue(big.subarray(i, i + 8192));
        c.close();
      },
    });
    const res = await fetch(`${h.relay.url}/v1/messages`, { method: "POST", headers: headers(), body, duplex: "half" } as RequestInit);
    expect(res.status).toBe(413);
    expect(h.stub.stats.requests).toHaveLength(0);
  });

  it("unknown path: 404 in the Anthropic shape for Anthropic clients, OpenAI shape otherwise", async () => {
    const a = await fetch(`${h.relay.url}/v1/nope`, { method: "POST", headers: headers(), body: "{}" });
    expect(a.status).toBe(404);
    expect(await a.json()).toMatchObject({ type: "error", error: { type: "not_found_error" } });
    const o = await fetch(`${h.relay.url}/v1/nope/deeper`, { headers: { authorization: `Bearer ${secret}` } });
    expect(o.status).toBe(404);
    expect(await o.json()).toMatchObject({ error: { type: "invalid_request_error", code: "not_found" } });
    expect(h.stub.stats.requests).toHaveLength(0);
  });
});

describe("unbilled endpoints", () => {
  it("count_tokens is forwarded and not recorded", async () => {
    const before = h.recorded.length;
    const result = await client.messages.countTokens({ model: MODEL, messages: PARAMS.messages });
    expect(result.input_tokens).toBe(42);
    expect(h.stub.stats.last()!.path).toBe("/v1/messages/count_tokens");
    expectNoMetergateKeyUpstream();
    await new Promise((r) => setTimeout(r, 50));
    expect(h.recorded.length).toBe(before);
  });

  it("models.list in the Anthropic shape", async () => {
    const page = await client.models.list();
    expect(page.data[0]).toMatchObject({ type: "model", id: MODEL });
  });
});
