/**
 * Limits on every path, through the process-wide default relay (its key cache, admission with
 * worst-case reservations, recording, logging and metrics) on the lean Node server, with the
 * official SDKs as clients and the stub as the only stand-in. The stub counts what reaches it.
 */
import { DEFAULT_RELAY_STUB_PORT } from "../helpers/default-relay-env";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flushOnce, markKeyActive, markTenantSuspended } from "~/ledger";
import { createDefaultRelay } from "~/server/relay/default";
import { anthropicMessages } from "~/relay/adapters";
import { startRelayServer, type RelayServer } from "~/relay/node-server";
import { worstCaseMicros } from "~/relay/reservation";
import { db } from "~/infra/db";
import { metrics } from "~/server/metrics";
import { redis } from "~/infra/redis";
import { createTenantWithKey } from "../helpers/fixtures-db";
import { startStubUpstream, type SeenRequest, type StubUpstream } from "../../stub/upstream";

let stub: StubUpstream;
let relay: RelayServer;

beforeAll(async () => {
  stub = await startStubUpstream({ port: DEFAULT_RELAY_STUB_PORT });
  relay = await startRelayServer(createDefaultRelay());
});

afterAll(async () => {
  await relay.close();
  await stub.close();
  await db.$disconnect();
  redis.disconnect();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const anthropic = (secret: string) => new Anthropic({ baseURL: relay.url, apiKey: secret, maxRetries: 0 });
const openai = (secret: string) => new OpenAI({ baseURL: `${relay.url}/v1`, apiKey: secret, maxRetries: 0 });
const SONNET = "claude-sonnet-4-5-20250929";

/** Flushes until every request of the key (served and refused) is a request-log row. */
async function settledRows(apiKeyId: string, expected: number) {
  for (let i = 0; i < 100; i++) {
    await flushOnce();
    const rows = await db.requestLog.findMany({ where: { apiKeyId }, select: { id: true, status: true, costMicros: true } });
    if (rows.length >= expected) return rows;
    await sleep(100);
  }
  throw new Error(`fewer than ${expected} rows for ${apiKeyId}`);
}

function reservedFor(seen: SeenRequest): number {
  return worstCaseMicros({
    provider: "ANTHROPIC",
    model: SONNET,
    at: Date.now(),
    body: Buffer.from(seen.body),
    maxOutputTokens: anthropicMessages.maxOutputTokens(seen.json as Record<string, unknown>),
    defaultMaxOutputTokens: 16_384,
  });
}

/**
 * P parallel streams against a daily cap; returns what was spent, the documented bound
 * (cap + Σ max(0, actual − reserved) over the admitted requests) and the refusals.
 */
async function parallelStreams(dailyCapMicros: number, parallel: number, prompt: string) {
  const { key, secret } = await createTenantWithKey("cap-parallel");
  await db.apiKey.update({ where: { id: key.id }, data: { dailyCostMicros: BigInt(dailyCapMicros) } });
  stub.stats.reset();
  stub.knobs = { delay: 15, chunk: 64 };
  const client = anthropic(secret);
  // The stub's stream reports 472 input + 2,048 cache-write + 10,240 cache-read tokens: a prompt
  // with a cache breakpoint, as here.
  const ask = {
    model: SONNET,
    max_tokens: 100,
    system: [{ type: "text" as const, text: prompt, cache_control: { type: "ephemeral" as const } }],
    messages: [{ role: "user" as const, content: "hi" }],
  };
  const results = await Promise.allSettled(
    Array.from({ length: parallel }, async () => {
      for await (const _ of await client.messages.create({ ...ask, stream: true }));
    }),
  );
  stub.knobs = {};
  const rows = await settledRows(key.id, parallel);
  const spent = rows.reduce((s, r) => s + Number(r.costMicros), 0);
  const admitted = stub.stats.requests.filter((r) => r.path === "/v1/messages");
  // Every served stream bills the same fixture usage (15,807 µ$ at Sonnet 4.5's rates).
  const actualPerRequest = Math.max(0, ...rows.map((r) => Number(r.costMicros)));
  const excess = admitted.reduce((s, seen) => s + Math.max(0, actualPerRequest - reservedFor(seen)), 0);
  const refusals = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
  return { spent, bound: dailyCapMicros + excess, excess, admitted: admitted.length, refusals, served: results.length - refusals.length };
}

describe("worst-case reservation at admission", () => {
  it("30 parallel streams against a $0.05 daily cap: spend ≤ cap (each request's stated worst case covers it)", async () => {
    // ~1,300 prompt tokens (5.2 KB) at the dearest prompt rate Sonnet 4.5 has (1h cache write in
    // the long-context band, $12/MTok) + 100 output tokens at its dearest output rate ($22.5/MTok):
    // ~17,900 µ$ reserved each, above the 15,807 µ$ the stub bills; two fit under the cap at once.
    const r = await parallelStreams(50_000, 30, "word ".repeat(1_000));
    console.info(`[limits] 30 parallel streams, $0.05 cap: served ${r.served}, spent ${r.spent} µ$, bound ${r.bound} µ$`);
    expect(r.excess).toBe(0);
    expect(r.spent).toBeLessThanOrEqual(r.bound);
    expect(r.spent).toBeLessThanOrEqual(50_000);
    expect(r.served).toBe(r.admitted);
    expect(r.served).toBeGreaterThan(0);
    expect(r.refusals).toHaveLength(30 - r.served);
    for (const e of r.refusals) {
      expect(e).toBeInstanceOf(Anthropic.APIError);
      const err = e as InstanceType<typeof Anthropic.APIError>;
      // Anthropic's answer to a spend limit (errors.ts REFUSALS): 400 invalid_request_error, no retry.
      expect(err.status).toBe(400);
      expect(err.error).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
      expect(Number(err.headers?.get("retry-after"))).toBeGreaterThan(0);
    }
  });

  it("when the upstream bills more than the request stated, the overshoot is at most the admitted requests' excess", async () => {
    // A tiny prompt reserves ~1,800 µ$ while the stub bills 15,807 µ$: the documented bound applies.
    const r = await parallelStreams(50_000, 30, "hi");
    console.info(`[limits] 30 parallel streams, understated prompt: served ${r.served}, spent ${r.spent} µ$, bound ${r.bound} µ$`);
    expect(r.excess).toBeGreaterThan(0);
    expect(r.spent).toBeLessThanOrEqual(r.bound);
    expect(r.refusals.every((e) => e instanceof Anthropic.APIError && e.status === 400)).toBe(true);
  });

  it("reserves the documented default output when the request sets no max_tokens (OpenAI)", async () => {
    const { key, secret } = await createTenantWithKey("cap-default");
    // $0.10: below 16,384 default output tokens × gpt-4o's $10/MTok ($0.16), above 100 tokens' worth.
    await db.apiKey.update({ where: { id: key.id }, data: { dailyCostMicros: 100_000n } });
    stub.stats.reset();
    const chat = { model: "gpt-4o-2024-08-06", messages: [{ role: "user" as const, content: "hi" }] };
    const err = await openai(secret).chat.completions.create(chat).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(429);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe("insufficient_quota");
    expect(stub.stats.requests).toHaveLength(0);
    await expect(openai(secret).chat.completions.create({ ...chat, max_completion_tokens: 100 })).resolves.toMatchObject({ object: "chat.completion" });
    expect(stub.stats.requests).toHaveLength(1);
  });
});

const unbilledCount = async (endpoint: string, outcome: string): Promise<number> => {
  const m = (await metrics().relay.unbilled.get()).values.find((v) => v.labels.endpoint === endpoint && v.labels.outcome === outcome);
  return m?.value ?? 0;
};

describe("limits on count_tokens and models", () => {
  it("count_tokens: allowed models and the request-rate window apply, refusals never reach the upstream", async () => {
    const { key, secret } = await createTenantWithKey("count-tokens");
    await db.apiKey.update({ where: { id: key.id }, data: { rateWindowMinutes: 1, rateMaxRequests: 1, allowedModels: ["claude-haiku-*"] } });
    stub.stats.reset();
    const refusedBefore = await unbilledCount("count_tokens", "refused");
    const client = anthropic(secret);
    const messages = [{ role: "user" as const, content: "hi" }];
    const opus = await Promise.all(
      Array.from({ length: 20 }, () => client.messages.countTokens({ model: "claude-opus-4-1", messages }).catch((e: unknown) => e)),
    );
    expect(opus.every((e) => e instanceof Anthropic.PermissionDeniedError)).toBe(true);
    await expect(client.messages.countTokens({ model: "claude-haiku-4-5", messages })).resolves.toEqual({ input_tokens: 42 });
    const second = await client.messages.countTokens({ model: "claude-haiku-4-5", messages }).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(Anthropic.RateLimitError);
    expect(Number((second as InstanceType<typeof Anthropic.RateLimitError>).headers?.get("retry-after"))).toBeGreaterThan(0);
    expect((second as InstanceType<typeof Anthropic.RateLimitError>).error).toMatchObject({ type: "error", error: { type: "rate_limit_error" } });
    // The window is the key's one window: a billed request after it is refused too.
    await expect(client.messages.create({ model: "claude-haiku-4-5", max_tokens: 16, messages })).rejects.toBeInstanceOf(Anthropic.RateLimitError);
    expect(stub.stats.requests.filter((r) => r.path.startsWith("/v1/messages"))).toHaveLength(1);
    // Logged and counted, not billed: 21 refusals more in the metrics, no request-log row.
    expect((await unbilledCount("count_tokens", "refused")) - refusedBefore).toBe(21);
    await flushOnce();
    expect(await db.requestLog.count({ where: { apiKeyId: key.id, endpoint: "/v1/messages/count_tokens" } })).toBe(0);
  });

  it("models: the rate window applies for Anthropic and OpenAI clients alike", async () => {
    const a = await createTenantWithKey("models-a");
    const o = await createTenantWithKey("models-o");
    for (const k of [a.key, o.key]) await db.apiKey.update({ where: { id: k.id }, data: { rateWindowMinutes: 1, rateMaxRequests: 1 } });
    stub.stats.reset();
    const forwardedBefore = await unbilledCount("models", "forwarded");
    const anthropicModels = await anthropic(a.secret).models.list();
    expect(anthropicModels.data[0]?.id).toBe(SONNET);
    await expect(anthropic(a.secret).models.list()).rejects.toBeInstanceOf(Anthropic.RateLimitError);
    const openaiModels = await openai(o.secret).models.list();
    expect(openaiModels.data[0]?.id).toBe("gpt-4o-2024-08-06");
    const refused = await openai(o.secret).models.list().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect((refused as InstanceType<typeof OpenAI.RateLimitError>).code).toBe("rate_limit_exceeded");
    expect(stub.stats.requests.filter((r) => r.path === "/v1/models")).toHaveLength(2);
    expect((await unbilledCount("models", "forwarded")) - forwardedBefore).toBe(2);
  });

  it("revocation and suspension refuse count_tokens and models at once, even with the key cached", async () => {
    const revoked = await createTenantWithKey("unbilled-revoked");
    const suspended = await createTenantWithKey("unbilled-suspended");
    const messages = [{ role: "user" as const, content: "hi" }];
    // Cached by the relay (5 s) as active.
    await anthropic(revoked.secret).models.list();
    await openai(suspended.secret).models.list();
    await db.apiKey.update({ where: { id: revoked.key.id }, data: { revokedAt: new Date() } });
    await markKeyActive({ apiKeyId: revoked.key.id, tenantId: revoked.tenant.id }, false);
    await db.tenant.update({ where: { id: suspended.tenant.id }, data: { suspendedAt: new Date() } });
    await markTenantSuspended(suspended.tenant.id, true);
    stub.stats.reset();
    await expect(anthropic(revoked.secret).messages.countTokens({ model: SONNET, messages })).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
    await expect(anthropic(revoked.secret).models.list()).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
    await expect(openai(revoked.secret).models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    // Suspension as each provider answers a disabled organization (errors.ts REFUSALS).
    await expect(anthropic(suspended.secret).messages.countTokens({ model: SONNET, messages })).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    await expect(openai(suspended.secret).models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(anthropic(suspended.secret).messages.create({ model: SONNET, max_tokens: 16, messages })).rejects.toBeInstanceOf(
      Anthropic.BadRequestError,
    );
    expect(stub.stats.requests).toHaveLength(0);
  });
});
