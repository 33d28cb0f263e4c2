/**
 * One bad request must not stop the meter (issue 12): real SDK clients → relay → admission and
 * recording on real Redis → flush into real Postgres. Hostile model names are refused at the
 * boundary in the caller's protocol (also when the key's own limit would refuse the request, since
 * refusals are recorded too); a hostile upstream's token counts are clamped and flagged; model
 * names that are Object.prototype keys are recorded unpriced and free their lease; and in the same
 * flush every other tenant's usage reaches Postgres. Nothing is lost: requests sent = request-log
 * rows + dead letters + boundary refusals.
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admit, flushOnce, recordRequest, reprice, type RequestEvent } from "~/ledger";
import { shardOf } from "~/ledger/redis-keys";
import { TOKEN_COUNT_MAX } from "~/ledger/sanitize";
import { db } from "~/infra/db";
import { redis } from "~/infra/redis";
import { createTenantWithKey } from "../helpers/fixtures-db";
import { startRelayHarness, waitFor, type RelayHarness } from "../helpers/relay-harness";

let h: RelayHarness;
const recorded: RequestEvent[] = [];
const recordErrors: unknown[] = [];

beforeAll(async () => {
  h = await startRelayHarness({
    admit: (key, requestId, estimate) => admit(key.limits, requestId, estimate),
    record: async (event, charge, priceOverrides) => {
      recorded.push(event);
      await recordRequest(event, charge, { priceOverrides });
    },
    onError: (error, context) => {
      if (context === "recording a request") recordErrors.push(error);
    },
  });
});

afterAll(async () => {
  await h.close();
  await db.$disconnect();
  redis.disconnect();
});

const anthropic = (secret: string) => new Anthropic({ baseURL: h.relay.url, apiKey: secret, maxRetries: 0 });
const openai = (secret: string) => new OpenAI({ baseURL: `${h.relay.url}/v1`, apiKey: secret, maxRetries: 0 });

/** A 4,000-character model name that does not compress (so its rollup index row is too large). */
function longModelName(): string {
  let s = "claude-";
  while (s.length < 4000) s += Math.random().toString(36).slice(2);
  return s.slice(0, 4000);
}

const POISON_MODELS: Record<string, string> = {
  "a NUL byte": "claude-sonnet-4-5\u0000x",
  "a lone surrogate": "claude-sonnet-4-5\ud800",
  "4,000 characters": longModelName(),
};

type Call = (secret: string, model: string) => Promise<unknown>;
const CALLS: Record<string, Call> = {
  "anthropic messages": (s, model) => anthropic(s).messages.create({ model, max_tokens: 16, messages: [{ role: "user", content: "hi" }] }),
  "anthropic messages stream": async (s, model) => {
    const stream = await anthropic(s).messages.create({ model, max_tokens: 16, stream: true, messages: [{ role: "user", content: "hi" }] });
    for await (const _ of stream) void _;
  },
  "openai chat": (s, model) => openai(s).chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] }),
  "openai responses": (s, model) => openai(s).responses.create({ model, input: "hi" }),
};

/** A tenant whose ledger shard is `shard` (tenants are spread over shards by id). */
async function tenantOnShard(shard: number, name: string) {
  for (;;) {
    const t = await createTenantWithKey(name);
    if (shardOf(t.tenant.id) === shard) return t;
  }
}

async function leaseCount(apiKeyId: string): Promise<number> {
  const keys = await redis.keys(`${process.env.REDIS_PREFIX}*:k:${apiKeyId}:leases`);
  let n = 0;
  for (const k of keys) n += await redis.zcard(k);
  return n;
}

async function goodTraffic(secrets: string[], perKey: number): Promise<void> {
  for (const s of secrets) {
    for (let i = 0; i < perKey; i++) {
      await anthropic(s).messages.create({ model: "claude-sonnet-4-5-20250929", max_tokens: 16, messages: [{ role: "user", content: "hi" }] });
    }
  }
}

describe("hostile model names are refused at the relay boundary", () => {
  it("answers 400 in the caller's protocol, never calls the upstream, and the flush keeps every other tenant flowing", async () => {
    const open = await createTenantWithKey("poison-open");
    // The key's own limit refuses everything: without the boundary check the refusal would be recorded with the poison model.
    const refusing = await createTenantWithKey("poison-refusing");
    await db.apiKey.update({ where: { id: refusing.key.id }, data: { rateWindowMinutes: 1, rateMaxRequests: 0 } });
    const sameShard = await tenantOnShard(shardOf(open.tenant.id), "poison-same-shard");
    const otherShard = await tenantOnShard((shardOf(open.tenant.id) + 1) % 16, "poison-other-shard");
    const before = recorded.length;
    h.stub.stats.reset();

    let sent = 0;
    let refusedAtBoundary = 0;
    for (const [what, model] of Object.entries(POISON_MODELS)) {
      for (const [via, call] of Object.entries(CALLS)) {
        for (const who of [open, refusing]) {
          sent++;
          const err = await call(who.secret, model).then(() => null, (e: unknown) => e);
          const label = `${what} via ${via} (${who === open ? "open key" : "refusing key"})`;
          if (via.startsWith("anthropic")) {
            expect(err, label).toBeInstanceOf(Anthropic.BadRequestError);
            if (err instanceof Anthropic.BadRequestError) {
              expect(err.error, label).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
              expect(JSON.stringify(err.error)).toContain("model");
            }
          } else {
            expect(err, label).toBeInstanceOf(OpenAI.BadRequestError);
            if (err instanceof OpenAI.BadRequestError) {
              expect(err.type, label).toBe("invalid_request_error");
              expect(err.param, label).toBe("model");
            }
          }
          refusedAtBoundary++;
        }
      }
    }
    expect(h.stub.stats.requests).toHaveLength(0);

    // Other tenants, on the same shard and on another one, in the same flush.
    await goodTraffic([open.secret, sameShard.secret, otherShard.secret], 3);
    sent += 9;
    await waitFor(() => recorded.length - before >= 9);
    await expect(flushOnce()).resolves.toMatchObject({ refused: 0 });

    const keys = [open.key.id, refusing.key.id, sameShard.key.id, otherShard.key.id];
    const tenants = [open.tenant.id, refusing.tenant.id, sameShard.tenant.id, otherShard.tenant.id];
    for (const t of [open, sameShard, otherShard]) {
      expect(await db.requestLog.count({ where: { apiKeyId: t.key.id, status: 200 } })).toBe(3);
    }
    const rows = await db.requestLog.count({ where: { apiKeyId: { in: keys } } });
    const dead = await db.deadLetter.count({ where: { tenantId: { in: tenants } } });
    expect(rows + dead + refusedAtBoundary).toBe(sent);
    expect(recorded.length - before).toBe(rows + dead);
  });
});

describe("a hostile upstream's token counts", () => {
  it("are clamped to TOKEN_COUNT_MAX and flagged suspicious, never dropped, and never stop the flush", async () => {
    const hostile = await createTenantWithKey("poison-tokens");
    const neighbour = await tenantOnShard(shardOf(hostile.tenant.id), "poison-tokens-neighbour");
    const before = recorded.length;
    const a = anthropic(hostile.secret);
    const ids: string[] = [];
    const nonstream = await a.messages
      .create({ model: "claude-sonnet-4-5-20250929@fixture=nonstream-huge-usage", max_tokens: 16, messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    ids.push(nonstream.response.headers.get("x-metergate-request-id")!);
    const streamed = await a.messages
      .create({ model: "claude-sonnet-4-5-20250929@fixture=stream-huge-usage", max_tokens: 16, stream: true, messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    for await (const _ of streamed.data) void _;
    ids.push(streamed.response.headers.get("x-metergate-request-id")!);
    const chat = await openai(hostile.secret)
      .chat.completions.create({ model: "gpt-4o-2024-08-06@fixture=chat-nonstream-huge-usage", messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    ids.push(chat.response.headers.get("x-metergate-request-id")!);
    await goodTraffic([neighbour.secret], 2);
    await waitFor(() => recorded.length - before >= 5);

    await expect(flushOnce()).resolves.toMatchObject({ refused: 0 });
    const rows = await db.requestLog.findMany({ where: { id: { in: ids } } });
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row.inputTokens).toBe(TOKEN_COUNT_MAX);
      expect(row.flags).toEqual(["suspicious"]);
      expect(row.usageSource).toBe("UPSTREAM");
    }
    expect(rows.find((r) => r.provider === "OPENAI")?.cacheReadTokens).toBe(1024);
    expect(await db.requestLog.count({ where: { apiKeyId: neighbour.key.id, status: 200, flags: { isEmpty: true } } })).toBe(2);
    const rollup = await db.usageHourly.findMany({ where: { apiKeyId: hostile.key.id } });
    expect(rollup.reduce((s, r) => s + Number(r.inputTokens), 0)).toBe(3 * TOKEN_COUNT_MAX);
  });
});

describe("model names that are Object.prototype keys", () => {
  const CASES: Array<[string, string, Call]> = [
    ["constructor", "anthropic messages", CALLS["anthropic messages"]!],
    ["toString", "openai chat", CALLS["openai chat"]!],
    ["__proto__", "openai responses", CALLS["openai responses"]!],
  ];
  for (const [model, via, call] of CASES) {
    it(`"${model}" via ${via}: recorded unpriced (no NaN), lease freed, also when the key's limit refuses it`, async () => {
      const limited = await createTenantWithKey(`proto-${model}`);
      // A spend cap makes admission price the request; concurrency 1 shows a leaked lease at once.
      await db.apiKey.update({ where: { id: limited.key.id }, data: { dailyCostMicros: 10_000_000n, maxConcurrency: 1 } });
      // Its tenant lets unpriced models through under a cap (the default refuses them: unpriced-policy.ts).
      await db.tenant.update({ where: { id: limited.tenant.id }, data: { unpricedModelPolicy: "allow" } });
      const refusing = await createTenantWithKey(`proto-refused-${model}`);
      await db.apiKey.update({ where: { id: refusing.key.id }, data: { rateWindowMinutes: 1, rateMaxRequests: 0 } });
      const errorsBefore = recordErrors.length;
      const before = recorded.length;

      // The stub reports the same Object.prototype name as the model that served (it is billed).
      const requested = `${model}@served=${model}`;
      await call(limited.secret, requested);
      await waitFor(() => recorded.length - before >= 1);
      await expect(waitForLeases(limited.key.id)).resolves.toBe(0);
      await call(limited.secret, requested); // admitted again: the first request's lease is gone
      const refusal = await call(refusing.secret, requested).then(() => null, (e: unknown) => e);
      expect((refusal as { status?: number } | null)?.status).toBe(429);
      await waitFor(() => recorded.length - before >= 3);
      expect(recordErrors.slice(errorsBefore)).toEqual([]);

      await flushOnce();
      const rows = await db.requestLog.findMany({ where: { apiKeyId: { in: [limited.key.id, refusing.key.id] } } });
      expect(rows).toHaveLength(3);
      for (const row of rows) {
        // Served rows bill the served name; the refused one never got an answer and keeps the request's.
        expect(row.model).toBe(row.status === 200 ? model : requested);
        expect(row.costMicros).toBe(0n);
        expect(row.priced).toBe(false);
      }
      expect(rows.filter((r) => r.status === 200)).toHaveLength(2);
      expect(rows.filter((r) => r.status === 429)).toHaveLength(1);
      expect(await leaseCount(limited.key.id)).toBe(0);
      // Repricing these rows must not write NaN either (it used to fail the whole reprice).
      const hour = 3_600_000;
      await reprice(new Date(Date.now() - hour), new Date(Date.now() + hour), { dryRun: false });
      const repriced = await db.requestLog.findMany({ where: { apiKeyId: { in: [limited.key.id, refusing.key.id] } } });
      expect(repriced.map((r) => [r.costMicros, r.priced])).toEqual(rows.map(() => [0n, false]));
    });
  }
});

/** Leases of a key once its recording has settled (the record script frees them). */
async function waitForLeases(apiKeyId: string): Promise<number> {
  const deadline = Date.now() + 2_000;
  let n = await leaseCount(apiKeyId);
  while (n > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    n = await leaseCount(apiKeyId);
  }
  return n;
}
