/**
 * Quotas end to end: real SDK clients → relay → admission script (real Redis) → stub upstream.
 * The stub counts what reaches it, so "exactly N forwarded" is observed, not inferred.
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admit, recordRequest } from "~/ledger";
import { db } from "~/infra/db";
import { redis } from "~/infra/redis";
import { createTenantWithKey } from "../helpers/fixtures-db";
import { startRelayHarness, waitFor, type RelayHarness } from "../helpers/relay-harness";

let h: RelayHarness;
const recorded: Array<{ status: number; error: string | null; apiKeyId: string }> = [];

beforeAll(async () => {
  h = await startRelayHarness({
    admit: (key, requestId, estimate) => admit(key.limits, requestId, estimate),
    record: async (event, charge, priceOverrides) => {
      recorded.push(event);
      await recordRequest(event, charge, { priceOverrides });
    },
  });
});

afterAll(async () => {
  await h.close();
  await db.$disconnect();
  redis.disconnect();
});

const anthropic = (secret: string) => new Anthropic({ baseURL: h.relay.url, apiKey: secret, maxRetries: 0 });
const ask = { model: "claude-sonnet-4-5-20250929", max_tokens: 64, messages: [{ role: "user" as const, content: "hi" }] };

describe("quotas through the relay", () => {
  it("forwards exactly 10 of 100 concurrent requests against 10 per window; the rest get 429 + retry-after", async () => {
    const { key, secret } = await createTenantWithKey("rate");
    await db.apiKey.update({ where: { id: key.id }, data: { rateWindowMinutes: 5, rateMaxRequests: 10 } });
    h.stub.stats.reset();
    const client = anthropic(secret);
    const results = await Promise.allSettled(Array.from({ length: 100 }, () => client.messages.create(ask)));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(10);
    expect(h.stub.stats.requests.filter((r) => r.path === "/v1/messages")).toHaveLength(10);
    const refused = results.find((r) => r.status === "rejected");
    expect(refused?.status === "rejected" && refused.reason).toBeInstanceOf(Anthropic.RateLimitError);
    if (refused?.status === "rejected" && refused.reason instanceof Anthropic.RateLimitError) {
      expect(Number(refused.reason.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(refused.reason.error).toMatchObject({ type: "error", error: { type: "rate_limit_error" } });
    }
    await waitFor(() => recorded.filter((r) => r.apiKeyId === key.id).length === 100);
    expect(recorded.filter((r) => r.apiKeyId === key.id && r.error === "quota: rate_requests")).toHaveLength(90);
  });

  it("never has more than 3 streams upstream at once with concurrency 3, and frees every lease", async () => {
    const { key, secret } = await createTenantWithKey("conc");
    await db.apiKey.update({ where: { id: key.id }, data: { maxConcurrency: 3 } });
    h.stub.stats.reset();
    h.stub.knobs = { delay: 15, chunk: 64 };
    const client = anthropic(secret);
    const attempt = async (abortEarly: boolean) => {
      const controller = new AbortController();
      try {
        const stream = await client.messages.create({ ...ask, stream: true }, { signal: controller.signal });
        for await (const _ of stream) {
          if (abortEarly) controller.abort();
        }
        return "done";
      } catch (e) {
        return e instanceof Anthropic.RateLimitError ? "refused" : "aborted";
      }
    };
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => attempt(i % 4 === 0)));
    h.stub.knobs = {};
    expect(h.stub.stats.maxInFlight).toBeLessThanOrEqual(3);
    expect(outcomes.filter((o) => o !== "refused").length).toBeGreaterThanOrEqual(3);
    const leases = (await redis.keys(`${process.env.REDIS_PREFIX}*:k:${key.id}:leases`))[0];
    await waitFor(() => recorded.filter((r) => r.apiKeyId === key.id).length === 20, 10_000);
    expect(leases ? await redis.zcard(leases) : 0).toBe(0);
    // Free again: a new request passes.
    await expect(client.messages.create(ask)).resolves.toMatchObject({ type: "message" });
  });

  it("refuses a spent monthly cap in the caller's protocol (OpenAI: 429 insufficient_quota)", async () => {
    const { key, secret } = await createTenantWithKey("cap");
    await db.apiKey.update({ where: { id: key.id }, data: { monthlyCostMicros: 1000n } });
    const client = new OpenAI({ baseURL: `${h.relay.url}/v1`, apiKey: secret, maxRetries: 0 });
    const chat = { model: "gpt-4o-2024-08-06", messages: [{ role: "user" as const, content: "hi" }] };
    // Admitted: spent (0) + its worst case (50 output tokens × $10/MTok + the prompt) ≤ cap. The
    // stub then reports 2070 µ$ of usage, more than the request stated, so the cap is spent.
    await client.chat.completions.create({ ...chat, max_tokens: 50 });
    await waitFor(() => recorded.some((r) => r.apiKeyId === key.id));
    const err = await client.chat.completions.create(chat).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    if (err instanceof OpenAI.APIError) {
      expect(err.status).toBe(429);
      expect(err.code).toBe("insufficient_quota");
      expect(Number(err.headers?.get("retry-after"))).toBeGreaterThan(0);
    }
  });

  it("refuses a model outside the key's allowed list with 403", async () => {
    const { key, secret } = await createTenantWithKey("models");
    await db.apiKey.update({ where: { id: key.id }, data: { allowedModels: ["claude-haiku-*"] } });
    h.stub.stats.reset();
    const err = await anthropic(secret).messages.create(ask).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(h.stub.stats.requests).toHaveLength(0);
  });
});
