/**
 * Claude Code's and Codex's request shapes, replayed with the real @anthropic-ai/sdk and openai
 * clients through the process-wide relay (env upstream = the stub) into Redis, the flush and
 * Postgres: the request log records the developer and the session, and the People and Session
 * rollups count them. Shapes as the clients send them (issue 16): Claude Code posts
 * `/v1/messages?beta=true` with `anthropic-beta`, `x-app: cli`, its user agent, the
 * `x-claude-code-session-id` header (newer versions) and `metadata.user_id` in the format of its
 * version; Codex posts `/v1/responses` with `session-id` / `thread-id` and no user at all.
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetEnvCache } from "~/infra/env";
import { flushOnce, peopleUsage, sessionUsage } from "~/ledger";
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
  process.env.UPSTREAM_OPENAI_BASE_URL = stub.url;
  process.env.UPSTREAM_OPENAI_API_KEY = "sk-openai-from-env";
  resetEnvCache();
  relay = await startRelayServer(createDefaultRelay());
});

afterAll(async () => {
  await relay.close();
  await stub.close();
  await db.$disconnect();
  redis.disconnect();
});

const DEVICE = "9c1f5e0b7a2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e";
const ACCOUNT = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
const SESSION_OLD = "b7e1c2d3-0a4b-4c5d-8e6f-7a8b9c0d1e2f";
const SESSION_NEW = "c8f2d3e4-1b5c-4d6e-9f70-8b9c0d1e2f30";
const CODEX_SESSION = "0199a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b";
const CODEX_THREAD = "0199a1b2-c3d4-7e5f-8a6b-000000000001";
const DAY = 86_400_000;

/** What Claude Code sends besides the body; `sessionHeader` only from the versions that have it. */
function claudeCodeHeaders(version: string, sessionHeader: string | null): Record<string, string> {
  return {
    "x-app": "cli",
    "user-agent": `claude-cli/${version} (external, cli)`,
    "anthropic-dangerous-direct-browser-access": "true",
    ...(sessionHeader ? { "x-claude-code-session-id": sessionHeader } : {}),
  };
}

async function claudeCodeTurn(secret: string, version: string, userId: string, sessionHeader: string | null): Promise<string> {
  // Claude Code authenticates with ANTHROPIC_AUTH_TOKEN (Authorization: Bearer).
  const client = new Anthropic({ authToken: secret, apiKey: null, baseURL: relay.url, maxRetries: 0, defaultHeaders: claudeCodeHeaders(version, sessionHeader) });
  const { data: stream, response } = await client.beta.messages
    .create({
      model: "claude-sonnet-4-5-20250929",
      max_tokens: 32_000,
      stream: true,
      betas: ["claude-code-20250219", "interleaved-thinking-2025-05-14"],
      system: [{ type: "text", text: "You are Claude Code, Anthropic's official CLI for Claude.", cache_control: { type: "ephemeral" } }],
      messages: [{ role: "user", content: [{ type: "text", text: "list the files" }] }],
      metadata: { user_id: userId },
    }, { query: { beta: "true" } }) // Claude Code's own URL; this SDK version marks beta calls otherwise
    .withResponse();
  for await (const _ of stream) void _;
  const seen = stub.stats.last()!;
  expect(seen.path).toBe("/v1/messages?beta=true");
  return response.headers.get("x-metergate-request-id")!;
}

async function codexTurn(secret: string, headers: Record<string, string>): Promise<string> {
  const client = new OpenAI({
    apiKey: secret,
    baseURL: `${relay.url}/v1`,
    maxRetries: 0,
    defaultHeaders: { originator: "codex_cli_rs", "user-agent": "codex_cli_rs/0.169.0 (Debian 12; x86_64) xterm-256color", version: "0.169.0", ...headers },
  });
  const { data: stream, response } = await client.responses
    .create({
      model: "gpt-4.1-2025-04-14",
      instructions: "You are Codex, based on GPT-5.",
      input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "list the files" }] }],
      stream: true,
      store: false,
      prompt_cache_key: CODEX_SESSION,
    })
    .withResponse();
  for await (const _ of stream) void _;
  return response.headers.get("x-metergate-request-id")!;
}

async function rows(ids: string[]) {
  for (let i = 0; i < 50; i++) {
    await flushOnce();
    const found = await db.requestLog.findMany({ where: { id: { in: ids } } });
    if (found.length === ids.length) return new Map(found.map((r) => [r.id, r]));
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("requests not in the request log");
}

describe("recorded developer and session, from the clients' own shapes", () => {
  it("Claude Code before v2.1.78, from v2.1.78, and with an API key (no account), and Codex", async () => {
    const { tenant, key, secret } = await createTenantWithKey("attrib-relay");
    const legacy = await claudeCodeTurn(secret, "2.1.77", `user_${DEVICE}_account_${ACCOUNT}_session_${SESSION_OLD}`, null);
    const json = JSON.stringify({ device_id: DEVICE, account_uuid: ACCOUNT, session_id: SESSION_NEW });
    const current = await claudeCodeTurn(secret, "2.1.328", json, SESSION_NEW);
    const current2 = await claudeCodeTurn(secret, "2.1.328", json, SESSION_NEW);
    const apiKeyUser = await claudeCodeTurn(secret, "2.1.328", JSON.stringify({ device_id: DEVICE, account_uuid: "", session_id: "d9" }), "d9");
    const codex = await codexTurn(secret, { "session-id": CODEX_SESSION, "thread-id": CODEX_THREAD });
    const codexThreadOnly = await codexTurn(secret, { "thread-id": CODEX_THREAD });
    const tagged = await codexTurn(secret, { "x-metergate-user": "ci-bot", "x-metergate-session": "nightly-42", "session-id": CODEX_SESSION });
    // The metadata travels upstream untouched; Metergate's own headers do not.
    expect(JSON.stringify(stub.stats.last()!.headers)).not.toContain("nightly-42");

    const r = await rows([legacy, current, current2, apiKeyUser, codex, codexThreadOnly, tagged]);
    const who = (id: string) => [r.get(id)!.endUserId, r.get(id)!.sessionId];
    expect(who(legacy)).toEqual([ACCOUNT, SESSION_OLD]);
    expect(who(current)).toEqual([ACCOUNT, SESSION_NEW]);
    expect(who(apiKeyUser)).toEqual([DEVICE, "d9"]);
    expect(who(codex)).toEqual([null, CODEX_SESSION]);
    expect(who(codexThreadOnly)).toEqual([null, CODEX_THREAD]);
    expect(who(tagged)).toEqual(["ci-bot", "nightly-42"]);
    expect(r.get(current)!.userAgent).toBe("claude-cli/2.1.328 (external, cli)");

    const range = { from: new Date(Date.now() - DAY), to: new Date(Date.now() + DAY) };
    const people = new Map((await peopleUsage({ tenantId: tenant.id, apiKeyId: key.id, ...range, limit: 10 })).people.map((p) => [p.endUserId, p]));
    const cost = (...ids: string[]) => ids.reduce((s, id) => s + Number(r.get(id)!.costMicros), 0);
    expect(people.get(ACCOUNT)).toMatchObject({ requests: 3, costMicros: cost(legacy, current, current2) });
    expect(people.get(DEVICE)).toMatchObject({ requests: 1 });
    expect(people.get("ci-bot")).toMatchObject({ requests: 1 });
    expect(people.get("")).toMatchObject({ requests: 2, costMicros: cost(codex, codexThreadOnly) });

    const sessions = new Map((await sessionUsage({ tenantId: tenant.id, ...range, limit: 20 })).sessions.map((s) => [s.sessionId, s]));
    expect([...sessions.keys()].sort()).toEqual([CODEX_SESSION, CODEX_THREAD, SESSION_NEW, SESSION_OLD, "d9", "nightly-42"].sort());
    const s = sessions.get(SESSION_NEW)!;
    expect(s).toMatchObject({ endUserId: ACCOUNT, requests: 2, costMicros: cost(current, current2) });
    const a = r.get(current)!;
    const b = r.get(current2)!;
    expect(s.durationMs).toBe(b.createdAt.getTime() + b.latencyMs - a.createdAt.getTime());
  });
});
