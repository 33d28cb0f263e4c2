/**
 * Prompt-cache economics per key, model and day, exact to the micro-dollar and rounded once per
 * cell: the dashboard (tRPC overview), the key page (apiKey.usage) and the usage CSV agree.
 * Worked numbers at the list rates (µ$ per MTok): Sonnet 4.5 input 3, 5m write 3.75, 1h write 6,
 * read 0.30; Haiku 4.5 input 1, read 0.10.
 */
import { afterAll, describe, expect, it } from "vitest";
import { flushOnce, recordRequest } from "~/ledger";
import { db } from "~/infra/db";
import { redis } from "~/infra/redis";
import { costSurfaces, ownerSession } from "../helpers/cost-surfaces";
import { requestEvent } from "../helpers/events";
import { createTenantWithKey } from "../helpers/fixtures-db";

afterAll(async () => {
  await db.$disconnect();
  redis.disconnect();
});

describe("prompt-cache economics", () => {
  it("per key, model and day on the dashboard, the key page and the usage CSV", async () => {
    const { tenant, key } = await createTenantWithKey("cache-econ");
    const session = await ownerSession(tenant.id);
    // Sonnet 4.5, stream-basic usage: 472 input, 1024 + 1024 written, 10240 read.
    await recordRequest(requestEvent(tenant.id, key.id, { model: "claude-sonnet-4-5-20250929" }));
    // Haiku 4.5 ×3: 7 reads each; 21 × 0.9 µ$ = 18.9 → 19 rounded once (per request it would be 3 × 6).
    for (let i = 0; i < 3; i++) {
      await recordRequest(
        requestEvent(tenant.id, key.id, { model: "claude-haiku-4-5", usage: { input: 100, output: 10, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 7 } }),
      );
    }
    await flushOnce();
    const s = await costSurfaces(tenant.id, key.id, session);
    const sonnet = {
      apiKeyId: key.id,
      model: "claude-sonnet-4-5-20250929",
      promptTokens: 472 + 2048 + 10240,
      cacheReadTokens: 10240,
      cacheWriteTokens: 2048,
      hitRateBp: 8025, // 10240 / 12760
      savedMicros: 27648, // 10240 × (3 − 0.3)
      writePremiumMicros: 3840, // 1024 × (3.75 − 3) + 1024 × (6 − 3)
      netMicros: 23808,
      priced: true,
    };
    const haiku = {
      apiKeyId: key.id,
      model: "claude-haiku-4-5",
      promptTokens: 321,
      cacheReadTokens: 21,
      cacheWriteTokens: 0,
      hitRateBp: 654, // 21 / 321
      savedMicros: 19,
      writePremiumMicros: 0,
      netMicros: 19,
      priced: true,
    };
    const mine = <T extends { apiKeyId: string | null }>(rows: T[]) => rows.filter((r) => r.apiKeyId === key.id);
    const sorted = <T extends { model: string }>(rows: T[]) => [...rows].sort((a, b) => a.model.localeCompare(b.model));
    expect(sorted(mine(s.dashboard.cache)).map(({ day: _d, ...r }) => r)).toEqual([haiku, sonnet]);
    expect(sorted(mine(s.keyUsage.cache)).map(({ day: _d, ...r }) => r)).toEqual([haiku, sonnet]);
    expect(s.keyUsage.cacheTotals).toEqual({ savedMicros: 27667, writePremiumMicros: 3840, netMicros: 23827 });
    const csv = [...s.usageCsv].sort((a, b) => a.model!.localeCompare(b.model!)).map((r) => ({
      model: r.model,
      hit: Number(r.cache_hit_rate_bp),
      saved: Number(r.cache_read_saved_micros),
      premium: Number(r.cache_write_premium_micros),
      net: Number(r.cache_net_micros),
    }));
    expect(csv).toEqual([
      { model: "claude-haiku-4-5", hit: 654, saved: 19, premium: 0, net: 19 },
      { model: "claude-sonnet-4-5-20250929", hit: 8025, saved: 27648, premium: 3840, net: 23808 },
    ]);
  });
});
