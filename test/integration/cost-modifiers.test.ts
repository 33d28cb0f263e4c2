/**
 * Every billing modifier end to end: the stub upstream answers with usage carrying it (stream and
 * non-stream), the official SDK calls the relay, the ledger records it, and the request-log row,
 * the dashboard (tRPC overview), the lookup JSON, both CSVs and the request-log detail all show
 * the exact cost the pricing module gives for what the response reported (served model, start
 * time, modifiers), with the explanation that adds up to it.
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flushOnce, recordRequest } from "~/ledger";
import { priceRequest, type BillingModifiers } from "~/pricing/request";
import { exactDecimal } from "~/pricing/explanation-text";
import { db } from "~/infra/db";
import { redis } from "~/infra/redis";
import type { StubKnobs } from "../../stub/upstream";
import { costSurfaces, ownerSession } from "../helpers/cost-surfaces";
import { createTenantWithKey } from "../helpers/fixtures-db";
import { startRelayHarness, waitFor, type RelayHarness } from "../helpers/relay-harness";

/** Models whose catalog entries carry the modifiers (fast, geo, tiers, fees, cache writes). */
const CLAUDE = "claude-opus-5-5";
const CLAUDE_OTHER = "claude-sonnet-5-5";
const GPT = "gpt-6.2-sol";

let h: RelayHarness;
const recordedIds = new Set<string>();

beforeAll(async () => {
  h = await startRelayHarness({
    record: async (event, charge, priceOverrides) => {
      await recordRequest(event, charge, { priceOverrides });
      recordedIds.add(event.id);
    },
  });
});

afterAll(async () => {
  await h.close();
  await db.$disconnect();
  redis.disconnect();
});

type Api = "messages" | "chat" | "responses";

interface Case {
  name: string;
  api: Api;
  requested: string;
  knobs: StubKnobs;
  /**
   * The exact cost in µ$, worked by hand from the providers' rates. Opus 5.5: $4 in / $20 out /
   * $5 5m write / $8 1h write / $0.20 read; the stub's Anthropic usage is 472 in, 89 out,
   * 1024 + 1024 written, 10240 read = 19028 µ$ standard. Sonnet 5.5 (since 2026-10-07, reads $0.10):
   * 9514. GPT-6.2-sol: $2 in / $0.10 cached / $2.50 cache write / $10 out.
   */
  worked: number;
  /** What the row must say the response reported (or, for the cache retention, the request asked for). */
  expectRow: Partial<{ model: string; requestedModel: string | null; speed: string; inferenceGeo: string; serviceTier: string; webSearchRequests: number; webFetchRequests: number; cacheWrite5mTokens: number; inputTokens: number; reasoningTokens: number; promptCacheRetention: string }>;
  /** Request parameters the client sends besides model and input. */
  params?: { prompt_cache_retention?: "in_memory" | "24h" };
}

const CASES: Case[] = [
  { name: "Anthropic fast speed", api: "messages", requested: CLAUDE, knobs: { served: CLAUDE, usage: { speed: "fast" } }, worked: 2 * 19028, expectRow: { speed: "fast" } },
  { name: "Anthropic inference_geo us", api: "messages", requested: CLAUDE, knobs: { served: CLAUDE, usage: { inference_geo: "us" } }, worked: 20931, /* 19028 × 1.1 = 20930.8 */ expectRow: { inferenceGeo: "us" } },
  { name: "Anthropic batch tier", api: "messages", requested: CLAUDE, knobs: { served: CLAUDE, usage: { service_tier: "batch" } }, worked: 9514, expectRow: { serviceTier: "batch" } },
  { name: "Anthropic priority tier", api: "messages", requested: CLAUDE, knobs: { served: CLAUDE, usage: { service_tier: "priority" } }, worked: 19028, /* legacy tier: no surcharge */ expectRow: { serviceTier: "priority" } },
  {
    name: "Anthropic web search fee (and fetches, thinking tokens)",
    api: "messages",
    requested: CLAUDE,
    knobs: { served: CLAUDE, usage: { server_tool_use: { web_search_requests: 3, web_fetch_requests: 2 }, output_tokens_details: { thinking_tokens: 40 } } },
    worked: 19028 + 30_000, // 3 searches × $10 / 1,000; fetches are tokens only
    expectRow: { webSearchRequests: 3, webFetchRequests: 2, reasoningTokens: 40 },
  },
  {
    name: "served model ≠ requested model",
    api: "messages",
    requested: CLAUDE,
    knobs: { served: CLAUDE_OTHER },
    worked: 9514, // Sonnet 5.5's rates, not Opus 5.5's
    expectRow: { model: CLAUDE_OTHER, requestedModel: CLAUDE },
  },
  {
    name: "OpenAI chat flex tier with cache writes",
    api: "chat",
    requested: GPT,
    knobs: { served: GPT, service_tier: "flex", usage: { prompt_tokens_details: { cached_tokens: 512, cache_write_tokens: 300 } } },
    // prompt 1200 − 512 cached − 300 written = 388 billed input: (388×2 + 300×2.5 + 512×0.1 + 35×10) × 0.5 = 963.6
    worked: 964,
    expectRow: { serviceTier: "flex", cacheWrite5mTokens: 300, inputTokens: 388 },
  },
  {
    name: "OpenAI responses priority tier with cache writes",
    api: "responses",
    requested: GPT,
    knobs: { served: GPT, service_tier: "priority", usage: { input_tokens_details: { cached_tokens: 1000, cache_write_tokens: 200 } } },
    // input 1500 − 1000 cached − 200 written = 300; reasoning 30 stays inside output: (600 + 500 + 100 + 420) × 2
    worked: 3240,
    expectRow: { serviceTier: "priority", cacheWrite5mTokens: 200, inputTokens: 300, reasoningTokens: 30 },
  },
  {
    name: "OpenAI chat batch tier",
    api: "chat",
    requested: GPT,
    knobs: { served: GPT, service_tier: "batch" },
    worked: 402, // (176×2 + 1024×0.1 + 35×10) × 0.5 = 402.2
    expectRow: { serviceTier: "batch" },
  },
  {
    // Extended retention costs the same as the default (catalog.json cites OpenAI's prompt-caching
    // guide): recorded, explained as × 1 on cache writes, never a different rate.
    name: "OpenAI chat 24h prompt cache retention with cache writes",
    api: "chat",
    requested: GPT,
    knobs: { served: GPT, usage: { prompt_tokens_details: { cached_tokens: 512, cache_write_tokens: 300 } } },
    params: { prompt_cache_retention: "24h" },
    worked: 1927, // 388×2 + 300×2.5 + 512×0.1 + 35×10 = 1927.2
    expectRow: { promptCacheRetention: "24h", cacheWrite5mTokens: 300, inputTokens: 388 },
  },
  {
    name: "OpenAI responses 24h prompt cache retention with cache writes",
    api: "responses",
    requested: GPT,
    knobs: { served: GPT, usage: { input_tokens_details: { cached_tokens: 1000, cache_write_tokens: 200 } } },
    params: { prompt_cache_retention: "24h" },
    worked: 1620, // 300×2 + 200×2.5 + 1000×0.1 + 42×10
    expectRow: { promptCacheRetention: "24h", cacheWrite5mTokens: 200, inputTokens: 300 },
  },
  {
    name: "OpenAI chat in_memory retention (the default: nothing to explain)",
    api: "chat",
    requested: GPT,
    knobs: { served: GPT },
    params: { prompt_cache_retention: "in_memory" },
    worked: 804, // 176×2 + 1024×0.1 + 35×10 = 804.4
    expectRow: { promptCacheRetention: "in_memory" },
  },
];

async function call(api: Api, secret: string, model: string, stream: boolean, extra: Case["params"] = {}): Promise<string> {
  if (api === "messages") {
    const client = new Anthropic({ baseURL: h.relay.url, apiKey: secret, maxRetries: 0 });
    const params = { model, max_tokens: 64, messages: [{ role: "user" as const, content: "hi" }] };
    if (stream) {
      const { data, response } = await client.messages.create({ ...params, stream: true }).withResponse();
      for await (const event of data) void event;
      return response.headers.get("x-metergate-request-id")!;
    }
    const { response } = await client.messages.create(params).withResponse();
    return response.headers.get("x-metergate-request-id")!;
  }
  const client = new OpenAI({ baseURL: `${h.relay.url}/v1`, apiKey: secret, maxRetries: 0 });
  if (api === "chat") {
    const params = { model, messages: [{ role: "user" as const, content: "hi" }], ...extra };
    if (stream) {
      const { data, response } = await client.chat.completions.create({ ...params, stream: true }).withResponse();
      for await (const chunk of data) void chunk;
      return response.headers.get("x-metergate-request-id")!;
    }
    const { response } = await client.chat.completions.create(params).withResponse();
    return response.headers.get("x-metergate-request-id")!;
  }
  if (stream) {
    const { data, response } = await client.responses.create({ model, input: "hi", stream: true, ...extra }).withResponse();
    for await (const event of data) void event;
    return response.headers.get("x-metergate-request-id")!;
  }
  const { response } = await client.responses.create({ model, input: "hi", ...extra }).withResponse();
  return response.headers.get("x-metergate-request-id")!;
}

describe("billing modifiers through the relay, on every surface", () => {
  it("records each modifier (stream and non-stream) and shows the same exact cost everywhere", async () => {
    const { tenant, key, secret } = await createTenantWithKey("modifiers");
    const session = await ownerSession(tenant.id);
    const sent: Array<{ id: string; c: Case; stream: boolean }> = [];
    for (const c of CASES) {
      for (const stream of [false, true]) {
        h.stub.knobs = c.knobs;
        sent.push({ id: await call(c.api, secret, c.requested, stream, c.params), c, stream });
      }
    }
    h.stub.knobs = {};
    await waitFor(() => sent.every((s) => recordedIds.has(s.id)));
    await flushOnce();

    const rows = await db.requestLog.findMany({ where: { apiKeyId: key.id } });
    expect(rows).toHaveLength(sent.length);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const expected = new Map<string, number>();
    for (const { id, c, stream } of sent) {
      const row = byId.get(id)!;
      const label = `${c.name} (${stream ? "stream" : "non-stream"})`;
      expect(row, label).toMatchObject({ status: 200, usageSource: "UPSTREAM", stream, model: c.knobs.served ?? c.requested, ...c.expectRow });
      if (c.expectRow.requestedModel === undefined) expect(row.requestedModel, label).toBeNull(); // same as served
      if (c.expectRow.promptCacheRetention === undefined) expect(row.promptCacheRetention, label).toBeNull(); // not asked for
      const modifiers: BillingModifiers = {
        speed: row.speed,
        inferenceGeo: row.inferenceGeo,
        serviceTier: row.serviceTier,
        webSearchRequests: row.webSearchRequests,
        webFetchRequests: row.webFetchRequests,
        promptCacheRetention: row.promptCacheRetention,
      };
      const priced = priceRequest(
        {
          provider: row.provider,
          model: row.model,
          at: row.createdAt.getTime(),
          usage: { input: row.inputTokens, output: row.outputTokens, cacheWrite5m: row.cacheWrite5mTokens, cacheWrite1h: row.cacheWrite1hTokens, cacheRead: row.cacheReadTokens },
          modifiers,
        },
        {},
      );
      expect(priced.priced, label).toBe(true);
      expect(Number(row.costMicros), label).toBe(priced.costMicros);
      expect(Number(row.costMicros), label).toBe(c.worked);
      expect(row.costExplanation, label).toEqual(priced.explanation);
      expected.set(id, priced.costMicros);
    }
    const total = [...expected.values()].reduce((a, b) => a + b, 0);

    const s = await costSurfaces(tenant.id, key.id, session);
    const sumBy = (rows: Array<Record<string, string>>, col: string) => rows.reduce((n, r) => n + Number(r[col]), 0);
    expect({
      dashboard: s.dashboard.totals.costMicros,
      lookup: s.lookup.totals.costMicros,
      lookupUsd: s.lookup.totals.costUsd,
      usageCsv: sumBy(s.usageCsv, "cost_micros"),
      requestLogCsv: sumBy(s.logCsv, "cost_micros"),
      keyPage: s.keyUsage.totals.costMicros,
    }).toEqual({
      dashboard: total,
      lookup: total,
      lookupUsd: `${Math.floor(total / 1e6)}.${String(total % 1e6).padStart(6, "0")}`,
      usageCsv: total,
      requestLogCsv: total,
      keyPage: total,
    });
    // Per served model on the dashboard; the requested-only model is not a rollup dimension.
    for (const model of [CLAUDE, CLAUDE_OTHER, GPT]) {
      const want = sent.filter((x) => (x.c.knobs.served ?? x.c.requested) === model).reduce((n, x) => n + expected.get(x.id)!, 0);
      expect(s.dashboard.byModel.find((m) => m.model === model)?.costMicros, model).toBe(want);
    }
    // Row by row: the CSV and the portal's request detail show the cost and why.
    for (const { id, c } of sent) {
      const csv = s.logCsv.find((r) => r.request_id === id)!;
      const detail = s.detail.find((r) => r.id === id)!;
      const want = expected.get(id)!;
      expect(Number(csv.cost_micros), c.name).toBe(want);
      expect(detail.costMicros, c.name).toBe(want);
      expect(detail.explanation?.totalMicros, c.name).toBe(want);
      expect(csv.cost_explanation, c.name).toContain(`total: $${exactDecimal(BigInt(want), 6)} `);
      expect(csv.cost_explanation, c.name).toContain(`price: ${detail.explanation!.entryId}`);
      const retention = detail.explanation!.multipliers.filter((m) => m.field === "prompt_cache_retention");
      if (c.expectRow.promptCacheRetention === "24h") {
        expect(retention, c.name).toEqual([{ field: "prompt_cache_retention", value: "24h", factor: "1", appliesTo: ["cacheWrite5m"] }]);
        expect(csv.cost_explanation, c.name).toContain("× prompt_cache_retention 24h: × 1 on cache write 5m");
      } else {
        expect(retention, c.name).toEqual([]);
      }
      for (const [field, value] of Object.entries(c.expectRow)) {
        if (field === "speed" || field === "serviceTier" || field === "inferenceGeo" || field === "requestedModel" || field === "webSearchRequests") {
          expect((detail as unknown as Record<string, unknown>)[field], `${c.name}: ${field}`).toBe(value);
        }
      }
    }
  });
});
