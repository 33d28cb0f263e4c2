/**
 * Prompt-cache economics per key, model and day, exact to the micro-dollar and rounded once per
 * cell: the dashboard (tRPC usage.cacheEconomics), the key page (apiKey.usage) and the usage CSV agree.
 * Worked numbers at the list rates (µ$ per MTok): Sonnet 4.5 input 3, 5m write 3.75, 1h write 6,
 * read 0.30; Haiku 4.5 input 1, read 0.10.
 */
import { afterAll, describe, expect, it } from "vitest";
import { flushOnce, recordRequest, usageRows } from "~/ledger";
import { cacheEconomics, cacheEconomicsQuery } from "~/server/api/lib/cache-economics";
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
    expect(sorted(mine(s.dashboardCache.rows)).map(({ day: _d, ...r }) => r)).toEqual([haiku, sonnet]);
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

  it("summed per local day, split where a price changes, costs what hour-by-hour pricing does", async () => {
    const { tenant, key } = await createTenantWithKey("cache-econ-split");
    // claude-sonnet-5-5's cache-read rate drops from 0.20 to 0.10 $/MTok at 2026-10-07 00:00 UTC,
    // which is 08:00 of Oct 7 in Shanghai: one local day, two prices (saved 1.8 vs 1.9 µ$ per read).
    const usage = { input: 1000, output: 10, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 1_000_000 };
    for (const startedAt of [Date.UTC(2026, 9, 6, 20, 15), Date.UTC(2026, 9, 7, 3, 15)]) {
      await recordRequest(requestEvent(tenant.id, key.id, { model: "claude-sonnet-5-5", usage, startedAt }));
    }
    await flushOnce();
    const timeZone = "Asia/Shanghai";
    const range = { from: new Date(Date.UTC(2026, 9, 5)), to: new Date(Date.UTC(2026, 9, 9)) };
    const opts = { perKey: true };
    const hourly = cacheEconomics(await usageRows({ tenantId: tenant.id, ...range }), timeZone, opts);
    const split = cacheEconomics(await usageRows(cacheEconomicsQuery({ tenantId: tenant.id }, range, timeZone)), timeZone, opts);
    expect(hourly.map((r) => [r.day, r.savedMicros])).toEqual([["2026-10-07", 1_800_000 + 1_900_000]]);
    expect(split).toEqual(hourly);
    // Plain day buckets would price both hours at the day's first hour's rate.
    const plain = cacheEconomics(await usageRows({ tenantId: tenant.id, ...range, dayBucketsIn: timeZone }), timeZone, opts);
    expect(plain[0]!.savedMicros).toBe(2 * 1_800_000);
  });
});
