/** The relay's stale-tolerant cache, the database-unreachable classifier and the worst-case reservation. */
import { describe, expect, it } from "vitest";
import { staleTolerantCache } from "~/relay/stale-cache";
import { DEFAULT_MAX_OUTPUT_TOKENS, MAX_RESERVED_OUTPUT_TOKENS, worstCaseMicros } from "~/relay/reservation";
import { anthropicMessages, openAiChat, openAiResponses } from "~/relay/adapters";
import { lookupRates } from "~/pricing/request";
import { isDatabaseUnreachable } from "~/infra/db-errors";

/** The shape Prisma 6.19 with @prisma/adapter-pg throws when Postgres refuses the connection (seen here). */
const refused = Object.assign(new Error("Can't reach database server at 127.0.0.1:5159"), {
  code: "P1001",
  meta: { modelName: "ApiKey", driverAdapterError: { name: "DriverAdapterError", cause: { kind: "DatabaseNotReachable", host: "127.0.0.1", port: 5159 } } },
});

describe("isDatabaseUnreachable", () => {
  it("is true for connection-type failures only", () => {
    expect(isDatabaseUnreachable(refused)).toBe(true);
    expect(isDatabaseUnreachable(Object.assign(new Error("x"), { code: "P1017" }))).toBe(true);
    expect(isDatabaseUnreachable(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isDatabaseUnreachable(Object.assign(new Error("wrapped"), { cause: Object.assign(new Error("connect"), { code: "ECONNREFUSED" }) }))).toBe(true);
    expect(isDatabaseUnreachable(Object.assign(new Error("x"), { meta: { driverAdapterError: { cause: { kind: "postgres", originalCode: "57P01" } } } }))).toBe(true);
    expect(isDatabaseUnreachable(Object.assign(new Error("Unique constraint failed"), { code: "P2002" }))).toBe(false);
    expect(isDatabaseUnreachable(new Error("boom"))).toBe(false);
    expect(isDatabaseUnreachable(null)).toBe(false);
  });
});

describe("staleTolerantCache", () => {
  function setup(staleMaxMs: number) {
    let t = 0;
    let fail: unknown = null;
    let reads = 0;
    const served: number[] = [];
    const get = staleTolerantCache(
      async (k: string) => {
        reads++;
        if (fail) throw fail;
        return `${k}@${t}`;
      },
      { ttlMs: 1_000, now: () => t, stale: { maxMs: staleMaxMs, allows: isDatabaseUnreachable, onServeStale: (age) => served.push(age) } },
    );
    return { get, served, reads: () => reads, at: (ms: number) => (t = ms), failWith: (e: unknown) => (fail = e) };
  }

  it("serves the last value while the database is unreachable, re-reading at most once per TTL, up to the stale bound", async () => {
    const c = setup(10_000);
    expect(await c.get("k")).toBe("k@0");
    c.failWith(refused);
    c.at(1_500);
    expect(await c.get("k")).toBe("k@0");
    expect(c.served).toEqual([1_500]);
    c.at(2_000);
    expect(await c.get("k")).toBe("k@0"); // within the retry pause: no read
    expect(c.reads()).toBe(2);
    c.at(9_999);
    expect(await c.get("k")).toBe("k@0");
    c.at(10_001);
    await expect(c.get("k")).rejects.toBe(refused); // older than the stale bound
    c.failWith(null);
    expect(await c.get("k")).toBe("k@10001");
  });

  it("never serves stale on other errors, without a previous value, or with staleness off", async () => {
    const c = setup(10_000);
    await c.get("k");
    const bug = new Error("column does not exist");
    c.failWith(bug);
    c.at(1_500);
    await expect(c.get("k")).rejects.toBe(bug);
    c.failWith(refused);
    await expect(c.get("other")).rejects.toBe(refused);
    const off = setup(0);
    await off.get("k");
    off.failWith(refused);
    off.at(1_500);
    await expect(off.get("k")).rejects.toBe(refused);
  });
});

describe("worstCaseMicros", () => {
  const base = { provider: "ANTHROPIC" as const, model: "claude-sonnet-4-5", at: Date.UTC(2026, 11, 1), defaultMaxOutputTokens: DEFAULT_MAX_OUTPUT_TOKENS };
  const bytes = (n: number, extra = "") => Buffer.from(extra + "x".repeat(n - extra.length));
  // Expectations derive from the pricing contract, whatever its catalog says today.
  const worst = lookupRates(base.provider, base.model, base.at)!.worstCase;
  const gpt = lookupRates("OPENAI", "gpt-4o", base.at)!.worstCase;
  const micros = (promptTokens: number, promptRate: number, outputTokens: number, outputRate: number) =>
    Math.ceil((promptTokens * promptRate + outputTokens * outputRate) / 1_000_000);

  it("reserves prompt bytes / 4 at the dearest input rate plus max_tokens at the dearest output rate", () => {
    expect(worstCaseMicros({ ...base, body: bytes(4_000), maxOutputTokens: 1_000 })).toBe(micros(1_000, worst.input, 1_000, worst.output));
    expect(worst.output).toBeGreaterThan(0);
  });

  it("uses the dearest cache-write rate when an Anthropic request asks for caching, never for OpenAI", () => {
    const cached = bytes(4_000, '{"cache_control":{"type":"ephemeral"}}');
    const dearestPrompt = Math.max(worst.input, worst.cacheWrite5m, worst.cacheWrite1h);
    expect(dearestPrompt).toBeGreaterThan(worst.input);
    expect(worstCaseMicros({ ...base, body: cached, maxOutputTokens: 1_000 })).toBe(micros(1_000, dearestPrompt, 1_000, worst.output));
    const openai = { ...base, provider: "OPENAI" as const, model: "gpt-4o" };
    expect(worstCaseMicros({ ...openai, body: cached, maxOutputTokens: 1_000 })).toBe(micros(1_000, gpt.input, 1_000, gpt.output));
  });

  it("falls back to the default output, caps absurd values, and reserves nothing for an unpriced model", () => {
    const body = bytes(4);
    expect(worstCaseMicros({ ...base, body, maxOutputTokens: null })).toBe(micros(1, worst.input, DEFAULT_MAX_OUTPUT_TOKENS, worst.output));
    expect(worstCaseMicros({ ...base, body, maxOutputTokens: 1e12 })).toBe(micros(1, worst.input, MAX_RESERVED_OUTPUT_TOKENS, worst.output));
    expect(worstCaseMicros({ ...base, model: "no-such-model", body, maxOutputTokens: 100 })).toBe(0);
  });

  it("reads each protocol's output ceiling", () => {
    expect(anthropicMessages.maxOutputTokens({ max_tokens: 512 })).toBe(512);
    expect(openAiChat.maxOutputTokens({ max_completion_tokens: 300, max_tokens: 100 })).toBe(300);
    expect(openAiChat.maxOutputTokens({ max_tokens: 100 })).toBe(100);
    expect(openAiResponses.maxOutputTokens({ max_output_tokens: 64 })).toBe(64);
    expect(openAiChat.maxOutputTokens({ max_tokens: "9" })).toBeNull();
    expect(anthropicMessages.maxOutputTokens({ max_tokens: -1 })).toBeNull();
  });
});

describe("staleTolerantCache eviction", () => {
  it("evicts the oldest entry when full, keeping the rest", async () => {
    let reads = 0;
    const get = staleTolerantCache(async (k: string) => (reads++, k), { ttlMs: 1_000, now: () => 0, maxEntries: 2 });
    await get("a");
    await get("b");
    await get("c");
    expect(reads).toBe(3);
    await get("b");
    await get("c");
    expect(reads).toBe(3);
    await get("a");
    expect(reads).toBe(4);
  });
});

describe("logUnbilled", () => {
  it("writes one JSON line per unbilled call with key, endpoint, model, outcome and reason", async () => {
    const { createLogger } = await import("~/infra/observability/logger");
    const { logUnbilled } = await import("~/relay/log-lines");
    const lines: string[] = [];
    const log = createLogger({ level: "info", format: "json", destination: { write: (s: string) => void lines.push(s) } });
    logUnbilled(
      { endpoint: "anthropic-count-tokens", apiKeyId: "k1", tenantId: "t1", model: "claude-opus-4-1", status: 403, outcome: "refused", reason: "model_not_allowed", latencyMs: 1.4 },
      log,
    );
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      msg: "unbilled request",
      level: "info",
      endpoint: "count_tokens",
      keyId: "k1",
      tenantId: "t1",
      model: "claude-opus-4-1",
      status: 403,
      outcome: "refused",
      reason: "model_not_allowed",
      durationMs: 1,
      billed: false,
    });
  });
});
