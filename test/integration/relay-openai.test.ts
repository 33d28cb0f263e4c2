/**
 * The real `openai` SDK → relay (lean Node server) → stub upstream: chat completions and
 * responses, stream and not, the include_usage rewrite, and the SDK's error classes.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTenantWithKey } from "../helpers/fixtures-db";
import { startRelayHarness, UPSTREAM_OPENAI_KEY, type RelayHarness } from "../helpers/relay-harness";

const CHAT_USAGE = { input: 176, cacheRead: 1024, cacheWrite5m: 0, cacheWrite1h: 0, output: 35 };
const RESPONSES_USAGE = { input: 220, cacheRead: 1280, cacheWrite5m: 0, cacheWrite1h: 0, output: 42 };
const CHAT = { model: "gpt-4o-2024-08-06", messages: [{ role: "user" as const, content: "Say hello to the world." }] };

let h: RelayHarness;
let secret: string;
let client: OpenAI;

beforeAll(async () => {
  h = await startRelayHarness();
  secret = (await createTenantWithKey("relay-openai")).secret;
  client = new OpenAI({ apiKey: secret, baseURL: `${h.relay.url}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await h.close();
});

beforeEach(() => {
  h.stub.knobs = {};
  h.stub.stats.reset();
});

function expectUpstreamCredential(): void {
  const seen = h.stub.stats.last()!;
  expect(seen.headers.authorization).toBe(`Bearer ${UPSTREAM_OPENAI_KEY}`);
  expect(JSON.stringify(seen.headers)).not.toContain(secret);
}

describe("chat completions", () => {
  it("non-streaming: billed input excludes cached tokens", async () => {
    const { data, response } = await client.chat.completions.create(CHAT).withResponse();
    expect(data.usage?.prompt_tokens).toBe(1200);
    const rec = await h.nextRecord();
    expect(rec).toMatchObject({ id: response.headers.get("x-metergate-request-id"), provider: "OPENAI", endpoint: "/v1/chat/completions", stream: false, status: 200, usage: CHAT_USAGE, usageSource: "UPSTREAM" });
    expectUpstreamCredential();
    expect((h.stub.stats.last()!.json as Record<string, unknown>).stream_options).toBeUndefined();
  });

  it("stream without include_usage: the relay asks upstream for usage and hides the usage chunk", async () => {
    const stream = await client.chat.completions.create({ ...CHAT, model: "gpt-4o-2024-08-06@chunk=4", stream: true });
    const chunks = [];
    let text = "";
    for await (const chunk of stream) {
      chunks.push(chunk);
      text += chunk.choices[0]?.delta.content ?? "";
    }
    expect(text).toBe("Hello, 世界!");
    expect(chunks.every((c) => c.choices.length > 0 && !c.usage)).toBe(true);
    expect(h.stub.stats.last()!.json).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    const rec = await h.nextRecord();
    expect(rec).toMatchObject({ stream: true, status: 200, usage: CHAT_USAGE, usageSource: "UPSTREAM" });
  });

  it("stream with include_usage: the client gets its usage chunk", async () => {
    const stream = await client.chat.completions.create({ ...CHAT, stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: 1200, completion_tokens: 35 });
    expect((await h.nextRecord()).usage).toEqual(CHAT_USAGE);
  });

  it("a stream whose upstream gives no usage is estimated", async () => {
    h.stub.knobs = { fixture: "chat-stream-no-usage.sse" };
    const stream = await client.chat.completions.create({ ...CHAT, stream: true });
    for await (const _ of stream) void _;
    const rec = await h.nextRecord();
    expect(rec.usageSource).toBe("ESTIMATED");
    expect(rec.usage.input).toBeGreaterThan(3);
    expect(rec.usage.output).toBeGreaterThan(1);
  });

  it("chat.completions.stream helper", async () => {
    const runner = client.chat.completions.stream({ ...CHAT, stream_options: { include_usage: true } });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]?.message.content).toBe("Hello, 世界!");
    expect((await h.nextRecord()).usage).toEqual(CHAT_USAGE);
  });
});

describe("responses", () => {
  it("non-streaming", async () => {
    const res = await client.responses.create({ model: "gpt-4.1-2025-04-14", input: "Say hi." });
    expect(res.output_text).toBe("Hi there");
    expect(await h.nextRecord()).toMatchObject({ endpoint: "/v1/responses", stream: false, usage: RESPONSES_USAGE, usageSource: "UPSTREAM" });
  });

  it("stream, cut into small chunks", async () => {
    const stream = await client.responses.create({ model: "gpt-4.1-2025-04-14@chunk=6", input: "Say hi.", stream: true });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types.at(-1)).toBe("response.completed");
    expect(await h.nextRecord()).toMatchObject({ stream: true, usage: RESPONSES_USAGE, usageSource: "UPSTREAM" });
  });

  it("responses.stream helper", async () => {
    const final = await client.responses.stream({ model: "gpt-4.1-2025-04-14", input: "Say hi." }).finalResponse();
    expect(final.usage?.output_tokens).toBe(42);
    expect((await h.nextRecord()).usage).toEqual(RESPONSES_USAGE);
  });
});

describe("errors in the OpenAI shape", () => {
  it("bad key → AuthenticationError, upstream untouched", async () => {
    const bad = new OpenAI({ apiKey: "mg-nope", baseURL: `${h.relay.url}/v1`, maxRetries: 0 });
    const err = await bad.chat.completions.create(CHAT).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe("invalid_api_key");
    expect(h.stub.stats.requests).toHaveLength(0);
  });

  it("upstream 429 → RateLimitError with retry-after; recorded as an error", async () => {
    h.stub.knobs = { status: 429 };
    const err = await client.chat.completions.create(CHAT).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.APIError>).headers?.get("retry-after")).toBe("7");
    const rec = await h.nextRecord();
    expect(rec).toMatchObject({ status: 429, error: "Rate limit reached for gpt-4o" });
    expect(rec.usage.input + rec.usage.output).toBe(0);
  });

  it("missing model → BadRequestError", async () => {
    const err = await client.chat.completions.create({ messages: CHAT.messages } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.APIError>).param).toBe("model");
    expect(h.stub.stats.requests).toHaveLength(0);
  });

  it("malformed JSON, wrong content type, too large: OpenAI error JSON", async () => {
    const post = (body: string, contentType = "application/json") =>
      fetch(`${h.relay.url}/v1/responses`, { method: "POST", headers: { authorization: `Bearer ${secret}`, "content-type": contentType }, body });
    const cases: Array<[Response, number]> = [
      [await post("{nope"), 400],
      [await post("model=gpt", "application/x-www-form-urlencoded"), 415],
      [await post(JSON.stringify({ model: "gpt-4.1", input: "z".repeat(100 * 1024) })), 413],
    ];
    for (const [res, status] of cases) {
      expect(res.status).toBe(status);
      const body = (await res.json()) as { error: { message: string; type: string; param: unknown; code: unknown } };
      expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
    }
    expect(h.stub.stats.requests).toHaveLength(0);
  });

  it("models.list in the OpenAI shape", async () => {
    const page = await client.models.list();
    expect(page.data[0]).toMatchObject({ object: "model", id: "gpt-4o-2024-08-06" });
    expectUpstreamCredential();
  });
});
