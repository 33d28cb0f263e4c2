/**
 * `reprice` prices each request-log row with the catalog entry in effect at its createdAt and the
 * modifiers its response reported, and its dry run shows the per-model diff (rows, old total,
 * new total) without changing anything. Sonnet 5.5's cache reads went from $0.20 to $0.10 per
 * MTok on 2026-10-07; Opus 5.5 fast mode is 2×.
 */
import { afterAll, describe, expect, it } from "vitest";
import { flushOnce, recordRequest, reprice } from "~/ledger";
import { db } from "~/infra/db";
import { redis } from "~/infra/redis";
import { requestEvent } from "../helpers/events";
import { createTenantWithKey } from "../helpers/fixtures-db";

afterAll(async () => {
  await db.$disconnect();
  redis.disconnect();
});

const usage = { input: 1000, output: 100, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 10_000 };

describe("reprice", () => {
  it("keeps each row at the entry in effect when it was made, with its stored modifiers", async () => {
    const { tenant, key } = await createTenantWithKey("reprice-dates");
    const other = await createTenantWithKey("reprice-dates-other");
    const before = Date.parse("2026-10-01T12:00:00Z");
    const after = Date.parse("2026-11-01T12:00:00Z");
    const fastAt = Date.parse("2026-11-02T12:00:00Z");
    await recordRequest(requestEvent(other.tenant.id, other.key.id, { model: "claude-sonnet-5-5", usage, startedAt: before }));
    await recordRequest(requestEvent(tenant.id, key.id, { model: "claude-sonnet-5-5", usage, startedAt: before }));
    await recordRequest(requestEvent(tenant.id, key.id, { model: "claude-sonnet-5-5", usage, startedAt: after }));
    await recordRequest(
      requestEvent(tenant.id, key.id, {
        model: "claude-opus-5-5",
        usage,
        startedAt: fastAt,
        billing: { speed: "fast", inferenceGeo: null, serviceTier: null, webSearchRequests: 0, webFetchRequests: 0, promptCacheRetention: null },
      }),
    );
    await flushOnce();
    // Sonnet 5.5: 1000×$2 + 100×$10 = 3000 µ$, plus reads 10000×$0.20 = 2000 before / ×$0.10 = 1000 after.
    // Opus 5.5 fast: (1000×$4 + 100×$20 + 10000×$0.20) × 2 = 16000 µ$.
    const costs = async () =>
      Object.fromEntries(
        (await db.requestLog.findMany({ where: { apiKeyId: key.id } })).map((r) => [r.createdAt.toISOString(), Number(r.costMicros)]),
      );
    const right = { "2026-10-01T12:00:00.000Z": 5000, "2026-11-01T12:00:00.000Z": 4000, "2026-11-02T12:00:00.000Z": 16000 };
    expect(await costs()).toEqual(right);

    // Wrong costs (e.g. recorded by an old price table), then a dry run: the diff, no change.
    await db.requestLog.updateMany({ where: { apiKeyId: { in: [key.id, other.key.id] } }, data: { costMicros: 1 } });
    const from = new Date("2026-09-30T00:00:00Z");
    const to = new Date("2026-11-03T00:00:00Z");
    // Scoped to this tenant: other test files price claude-sonnet-5-5 rows on the same dates at the same time.
    const dry = await reprice(from, to, { dryRun: true, tenantId: tenant.id });
    expect(dry.dryRun).toBe(true);
    expect(dry.models.find((m) => m.model === "claude-sonnet-5-5")).toEqual({
      model: "claude-sonnet-5-5", rows: 2, changed: 2, oldTotalMicros: 2, newTotalMicros: 9000, nowPriced: 0,
    });
    expect(dry.models.find((m) => m.model === "claude-opus-5-5")).toEqual({
      model: "claude-opus-5-5", rows: 1, changed: 1, oldTotalMicros: 1, newTotalMicros: 16000, nowPriced: 0,
    });
    expect(Object.values(await costs())).toEqual([1, 1, 1]);

    await reprice(from, to, { dryRun: false, tenantId: tenant.id });
    expect(await costs()).toEqual(right);
    // Another tenant's row in the same range is left as it was.
    expect(Number((await db.requestLog.findFirstOrThrow({ where: { apiKeyId: other.key.id } })).costMicros)).toBe(1);
    const rollups = await db.usageHourly.findMany({ where: { apiKeyId: key.id } });
    expect(rollups.reduce((s, r) => s + Number(r.costMicros), 0)).toBe(25000);
    const fast = await db.requestLog.findFirstOrThrow({ where: { apiKeyId: key.id, model: "claude-opus-5-5" } });
    expect(fast.costExplanation).toMatchObject({ multipliers: [{ field: "speed", value: "fast", factor: "2" }], totalMicros: 16000 });
  });

  it("keeps a tenant override's explanation from record time through the flush", async () => {
    const { tenant, key } = await createTenantWithKey("override-explained");
    const overrides = { "claude-sonnet-5-5": { provider: "anthropic" as const, input: 1_000_000, output: 1_000_000, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 } };
    const r = await recordRequest(requestEvent(tenant.id, key.id, { model: "claude-sonnet-5-5", usage }), null, { priceOverrides: overrides });
    expect(r.costMicros).toBe(1100); // 1000 + 100 tokens at $1 / MTok
    await flushOnce();
    const row = await db.requestLog.findFirstOrThrow({ where: { apiKeyId: key.id } });
    expect(row.costExplanation).toMatchObject({ entryId: "override:claude-sonnet-5-5", totalMicros: 1100 });
  });
});
