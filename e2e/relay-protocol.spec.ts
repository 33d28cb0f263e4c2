/**
 * The relay behind the production server (scripts/serve.mjs), as real clients meet it:
 *  - Codex's Responses WebSocket handshake gets a 426 at once (`next start` would end it with an
 *    empty reply), and the HTTPS request that follows streams;
 *  - both SDKs' models.retrieve and a spend cap answered per protocol, one request each.
 */
import http from "node:http";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { expect, test } from "@playwright/test";
import { E2E_BASE_URL } from "./e2e-env";
import { cli } from "./portal-helpers";

const stamp = Date.now().toString(36);
let secret = "";
let keyId = "";

test.beforeAll(() => {
  cli("tenant", "create", "--name", `Protocol ${stamp}`, "--slug", `protocol-${stamp}`);
  const key = cli<{ id: string; key: string }>("key", "create", "--tenant", `protocol-${stamp}`, "--name", "codex");
  secret = key.key;
  keyId = key.id;
});

function websocketHandshake(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${E2E_BASE_URL}${path}`, {
      headers: {
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        authorization: `Bearer ${secret}`,
      },
    });
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 101, body: "" });
    });
    req.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("Codex's WebSocket handshake is refused with 426, then the HTTPS stream works", async () => {
  const handshake = await websocketHandshake("/v1/responses");
  expect(handshake.status).toBe(426);
  expect(JSON.parse(handshake.body)).toMatchObject({ error: { type: "invalid_request_error", code: "websocket_not_supported" } });
  const client = new OpenAI({ apiKey: secret, baseURL: `${E2E_BASE_URL}/v1` });
  const stream = await client.responses.create({ model: "gpt-4o", input: "hi", stream: true });
  const types: string[] = [];
  for await (const event of stream) types.push(event.type);
  expect(types).toContain("response.output_text.delta");
});

test("models.retrieve with both SDKs; a spend cap is one request in each protocol's answer", async () => {
  const anthropic = new Anthropic({ apiKey: secret, baseURL: E2E_BASE_URL });
  expect(await anthropic.models.retrieve("claude-sonnet-4-5-20250929")).toMatchObject({ type: "model" });
  const openai = new OpenAI({ apiKey: secret, baseURL: `${E2E_BASE_URL}/v1` });
  expect(await openai.models.retrieve("gpt-4o-2024-08-06")).toMatchObject({ object: "model" });
  const head = await fetch(`${E2E_BASE_URL}/v1/models`, { method: "HEAD", headers: { authorization: `Bearer ${secret}` } });
  expect(head.status).toBe(200);

  cli("key", "limits", "--id", keyId, "--monthly-usd", "0.000001");
  // The relay's key cache lives 5 s.
  await expect
    .poll(async () => openai.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }).then(() => 200, (e: { status?: number }) => e.status ?? 0), {
      timeout: 15_000,
      intervals: [1000],
    })
    .toBe(429);
  const err = await openai.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
  expect(err).toMatchObject({ status: 429, code: "insufficient_quota" });
  const claude = await anthropic.messages.create({ model: "claude-sonnet-4-5", max_tokens: 16, messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
  expect(claude).toBeInstanceOf(Anthropic.BadRequestError);
});
