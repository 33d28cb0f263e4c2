/**
 * Never a silent $0. A model the pricing module cannot price is refused, in the caller's own
 * protocol and naming the model, when the key or its tenant has any spend cap or budget (and the
 * upstream never sees it); without a cap it is served, recorded at cost 0 and flagged: the
 * dashboard's overview lists it (the banner), platform admins see it in admin.unpricedModels, and
 * a tenant price override plus `reprice` prices the history and clears both.
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flushOnce, recordRequest, reprice } from "~/ledger";
import { createCaller } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";
import { db } from "~/infra/db";
import { redis } from "~/infra/redis";
import { ownerSession } from "../helpers/cost-surfaces";
import { createTenantWithKey } from "../helpers/fixtures-db";
import { startRelayHarness, waitFor, type RelayHarness } from "../helpers/relay-harness";

let h: RelayHarness;
const recordedIds = new Set<string>();
const recordedKeys: string[] = [];

beforeAll(async () => {
  h = await startRelayHarness({
    record: async (event, charge, priceOverrides) => {
      await recordRequest(event, charge, { priceOverrides });
      recordedIds.add(event.id);
      recordedKeys.push(event.apiKeyId);
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
const forwarded = () => h.stub.stats.requests.filter((r) => r.method === "POST").length;

describe("unpriced models under a spend cap", () => {
  it("refuses them in the Anthropic protocol with a PermissionDeniedError naming the model; nothing is forwarded", async () => {
    const model = `mystery-claude-${Date.now()}`;
    const { key, secret } = await createTenantWithKey("unpriced-cap-a");
    await db.apiKey.update({ where: { id: key.id }, data: { dailyCostMicros: 5_000_000n } });
    const before = forwarded();
    const error = await anthropic(secret)
      .messages.create({ model, max_tokens: 16, messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.PermissionDeniedError);
    const e = error as InstanceType<typeof Anthropic.PermissionDeniedError>;
    expect(e.status).toBe(403);
    expect(e.error).toMatchObject({ type: "error", error: { type: "permission_error" } });
    expect(e.message).toContain(model);
    expect(e.message).toContain("no price");
    // Streams are refused the same way, before any byte.
    const streamed = await anthropic(secret)
      .messages.create({ model, max_tokens: 16, stream: true, messages: [{ role: "user", content: "hi" }] })
      .catch((x: unknown) => x);
    expect(streamed).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(forwarded()).toBe(before);
    await waitFor(() => recordedKeys.filter((k) => k === key.id).length === 2);
    await flushOnce();
    const rows = await db.requestLog.findMany({ where: { apiKeyId: key.id } });
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.status === 403 && r.error === "quota: unpriced_model" && r.model === model && !r.priced)).toBe(true);
  });

  it("refuses them in the OpenAI protocol (chat and responses) when only the tenant has a budget", async () => {
    const model = `mystery-gpt-${Date.now()}`;
    const { tenant, secret } = await createTenantWithKey("unpriced-cap-o");
    await db.tenant.update({ where: { id: tenant.id }, data: { monthlyBudgetMicros: 100_000_000n } });
    const before = forwarded();
    const chat = await openai(secret)
      .chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(chat).toBeInstanceOf(OpenAI.PermissionDeniedError);
    const c = chat as InstanceType<typeof OpenAI.PermissionDeniedError>;
    expect(c.status).toBe(403);
    expect(c.code).toBe("permission_denied");
    expect(c.param).toBe("model");
    expect(c.message).toContain(model);
    const responses = await openai(secret).responses.create({ model, input: "hi", stream: true }).catch((e: unknown) => e);
    expect(responses).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((responses as Error).message).toContain(model);
    expect(forwarded()).toBe(before);
  });

  it("serves them under a cap when the tenant's policy is allow (recorded unpriced)", async () => {
    const model = `mystery-allowed-${Date.now()}`;
    const { tenant, key, secret } = await createTenantWithKey("unpriced-allow");
    await db.tenant.update({ where: { id: tenant.id }, data: { unpricedModelPolicy: "allow" } });
    await db.apiKey.update({ where: { id: key.id }, data: { totalCostMicros: 1n } });
    h.stub.knobs = { served: model };
    const msg = await anthropic(secret).messages.create({ model, max_tokens: 16, messages: [{ role: "user", content: "hi" }] });
    h.stub.knobs = {};
    expect(msg.model).toBe(model);
  });
});

describe("an upstream naming a model without a price", () => {
  it("for a request to a priced model is not believed: the requested model is billed, never $0", async () => {
    const { key, secret } = await createTenantWithKey("served-unpriced");
    await db.apiKey.update({ where: { id: key.id }, data: { dailyCostMicros: 5_000_000n } });
    h.stub.knobs = { served: "free-lunch-model" };
    const { data, response } = await anthropic(secret)
      .messages.create({ model: "claude-opus-5-5", max_tokens: 16, messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    h.stub.knobs = {};
    expect(data.model).toBe("free-lunch-model"); // the client sees the upstream's answer untouched
    const id = response.headers.get("x-metergate-request-id")!;
    await waitFor(() => recordedIds.has(id));
    await flushOnce();
    const row = await db.requestLog.findUniqueOrThrow({ where: { id } });
    // 472×$4 + 89×$20 + 1024×$5 + 1024×$8 + 10240×$0.20 per MTok
    expect({ model: row.model, priced: row.priced, cost: Number(row.costMicros) }).toEqual({ model: "claude-opus-5-5", priced: true, cost: 19028 });
  });
});

describe("unpriced models without a cap", () => {
  it("serves and flags them; the banner data and the admin list show them; an override plus reprice fixes the history", async () => {
    const model = `mystery-free-${Date.now()}`;
    const { tenant, key, secret } = await createTenantWithKey("unpriced-free");
    const session = await ownerSession(tenant.id);
    h.stub.knobs = { served: model };
    const ids: string[] = [];
    for (const stream of [false, true]) {
      const params = { model, max_tokens: 16, messages: [{ role: "user" as const, content: "hi" }] };
      if (stream) {
        const { data, response } = await anthropic(secret).messages.create({ ...params, stream: true }).withResponse();
        for await (const event of data) void event;
        ids.push(response.headers.get("x-metergate-request-id")!);
      } else {
        const { response } = await anthropic(secret).messages.create(params).withResponse();
        ids.push(response.headers.get("x-metergate-request-id")!);
      }
    }
    h.stub.knobs = {};
    await waitFor(() => ids.every((id) => recordedIds.has(id)));

    const caller = createCaller(createTRPCContext({ headers: new Headers(), session }));
    // Live (before the flush): the dashboard already lists the unpriced model.
    const live = await caller.usage.overview({ tenantId: tenant.id, range: { kind: "today" } });
    expect(live.unpricedModels).toEqual([{ model, requests: 2 }]);
    await flushOnce();
    const rows = await db.requestLog.findMany({ where: { apiKeyId: key.id }, orderBy: { createdAt: "asc" } });
    expect(rows.map((r) => [r.status, r.priced, Number(r.costMicros), r.model])).toEqual([
      [200, false, 0, model],
      [200, false, 0, model],
    ]);
    const tokensEach = 472 + 89 + 2048 + 10240; // the stub's usage (nonstream.json / stream-basic.sse)

    await db.user.update({ where: { id: session.user.id }, data: { platformRole: "ADMIN" } });
    const listed = (await caller.admin.unpricedModels()).find((m) => m.model === model);
    expect(listed).toMatchObject({ model, requests: 2, tokens: 2 * tokensEach, tenants: 1 });
    expect(listed!.firstSeen.getTime()).toBe(rows[0]!.createdAt.getTime());
    expect(listed!.lastSeen.getTime()).toBe(rows[1]!.createdAt.getTime());

    // A tenant price for the model, then reprice: the history is priced and the flags clear.
    await caller.settings.setPriceOverride({ tenantId: tenant.id, model, input: "1", output: "2", cacheWrite5m: "1.25", cacheWrite1h: "2", cacheRead: "0.1" });
    const dry = await reprice(new Date(Date.now() - 3_600_000), new Date(Date.now() + 3_600_000), { dryRun: true, tenantId: tenant.id });
    const diff = dry.models.find((m) => m.model === model);
    // 472×1 + 89×2 + 1024×1.25 + 1024×2 + 10240×0.1 = 5002 µ$ per request
    expect(diff).toEqual({ model, rows: 2, changed: 2, oldTotalMicros: 0, newTotalMicros: 2 * 5002, nowPriced: 2 });
    await reprice(new Date(Date.now() - 3_600_000), new Date(Date.now() + 3_600_000), { dryRun: false, tenantId: tenant.id });
    const after = await db.requestLog.findMany({ where: { apiKeyId: key.id } });
    expect(after.every((r) => r.priced && Number(r.costMicros) === 5002)).toBe(true);
    expect((await caller.admin.unpricedModels()).find((m) => m.model === model)).toBeUndefined();
    const overview = await caller.usage.overview({ tenantId: tenant.id, range: { kind: "today" } });
    expect(overview.unpricedModels).toEqual([]);
    expect(overview.totals.costMicros).toBe(2 * 5002);
  });
});
