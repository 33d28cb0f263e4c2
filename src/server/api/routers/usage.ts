import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { usageRows } from "~/ledger";
import type { PrismaClient } from "~/generated/prisma/client";
import { bucketSchema, buildOverview, defaultBucket, MAX_HOURLY_DAYS, rangeInputSchema, resolveRange, type KeyInfo, type RangeInput } from "../lib/overview";
import { lastDays, zoneOrUtc } from "~/lib/time";
import { buildUsageReport, type ModelUsage } from "../lib/usage-report";
import { cacheEconomics, cacheEconomicsQuery, sumCacheEconomics } from "../lib/cache-economics";
import { loadPriceOverrides } from "~/keys/server";
import { createTRPCRouter, tenantProcedure } from "../trpc";

export const overviewInputSchema = z.object({ range: rangeInputSchema, bucket: bucketSchema.optional() });

function resolveOrBadRequest(range: RangeInput, timeZone: string) {
  try {
    return resolveRange(range, timeZone);
  } catch (error) {
    throw new TRPCError({ code: "BAD_REQUEST", message: error instanceof Error ? error.message : "Bad range" });
  }
}

/**
 * The whole usage overview of one tenant (or of everything when tenantId is undefined): one ledger
 * query, summed per local day in SQL for day charts, hourly for hour charts.
 */
export async function tenantOverview(
  db: PrismaClient,
  tenantId: string | undefined,
  timeZone: string,
  input: { range: RangeInput; bucket?: "hour" | "day" },
) {
  const range = resolveOrBadRequest(input.range, timeZone);
  const bucket = input.bucket === "hour" && range.dayCount <= MAX_HOURLY_DAYS ? "hour" : input.bucket ?? defaultBucket(range);
  const rows = await usageRows({ tenantId, from: range.from, to: range.to, dayBucketsIn: bucket === "day" ? timeZone : undefined });
  const keys = (ids: string[]): Promise<KeyInfo[]> =>
    ids.length === 0
      ? Promise.resolve([])
      : db.apiKey.findMany({ where: { id: { in: ids } }, select: { id: true, name: true, keyPrefix: true, revokedAt: true } });
  const overview = await buildOverview(rows, range, timeZone, bucket, keys);
  return { ...overview, unpricedModels: unpricedModels(overview.byModel) };
}

/** Models the range used without a price (cost counted as 0): what the dashboard's banner lists. */
function unpricedModels(models: readonly ModelUsage[]): Array<{ model: string; requests: number }> {
  return models.filter((m) => m.unpricedCount > 0).map((m) => ({ model: m.model, requests: m.unpricedCount }));
}

export const USAGE_PERIOD_DAYS = [1, 7, 30, 90] as const;

export const usageRouter = createTRPCRouter({
  /**
   * The tenant's usage over the last `days` calendar days (tenant time zone, today included):
   * totals, a zero-filled daily series and a per-model table. Live: includes unflushed usage.
   */
  summary: tenantProcedure("VIEWER")
    .input(z.object({ days: z.union(USAGE_PERIOD_DAYS.map((d) => z.literal(d))).default(30) }))
    .query(async ({ ctx, input }) => {
      const timeZone = zoneOrUtc(ctx.tenant.timeZone);
      const range = lastDays(input.days, timeZone);
      const rows = await usageRows({ tenantId: ctx.tenant.id, from: range.from, to: range.to, dayBucketsIn: timeZone });
      return { from: range.from, to: range.to, timeZone, ...buildUsageReport(rows, range.days, timeZone) };
    }),

  /**
   * Everything the tenant dashboard shows, in one answer (no request waterfall): totals, a
   * requests/cost series (hour or day buckets), cost by model over time, top keys and the per-model
   * table, over a preset or custom range in the tenant's time zone. Live: includes unflushed usage.
   */
  overview: tenantProcedure("VIEWER")
    .input(overviewInputSchema)
    .query(({ ctx, input }) => {
      const timeZone = zoneOrUtc(ctx.tenant.timeZone);
      return tenantOverview(ctx.db, ctx.tenant.id, timeZone, input);
    }),

  /**
   * Prompt-cache economics per key, model and day over the overview's range: a separate answer the
   * dashboard loads after its numbers (up to keys × models × days rows). Live like the overview.
   */
  cacheEconomics: tenantProcedure("VIEWER")
    .input(z.object({ range: rangeInputSchema }))
    .query(async ({ ctx, input }) => {
      const timeZone = zoneOrUtc(ctx.tenant.timeZone);
      const range = resolveOrBadRequest(input.range, timeZone);
      const [rows, overrides] = await Promise.all([usageRows(cacheEconomicsQuery({ tenantId: ctx.tenant.id }, range, timeZone)), loadPriceOverrides(ctx.tenant.id)]);
      const cache = cacheEconomics(rows, timeZone, { perKey: true, overrides });
      return { timeZone, rows: cache, totals: sumCacheEconomics(cache) };
    }),
});
