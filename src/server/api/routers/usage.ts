import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { usageRows } from "~/ledger";
import type { PrismaClient } from "~/generated/prisma/client";
import { bucketSchema, buildOverview, defaultBucket, MAX_HOURLY_DAYS, rangeInputSchema, resolveRange, type KeyInfo, type RangeInput } from "../lib/overview";
import { isValidTimeZone, lastDays } from "../lib/time-range";
import { buildUsageReport } from "../lib/usage-report";
import { createTRPCRouter, tenantProcedure } from "../trpc";

export const overviewInputSchema = z.object({ range: rangeInputSchema, bucket: bucketSchema.optional() });

/** The whole usage overview of one tenant (or of everything when tenantId is undefined). */
export async function tenantOverview(
  db: PrismaClient,
  tenantId: string | undefined,
  timeZone: string,
  input: { range: RangeInput; bucket?: "hour" | "day" },
) {
  let range;
  try {
    range = resolveRange(input.range, timeZone);
  } catch (error) {
    throw new TRPCError({ code: "BAD_REQUEST", message: error instanceof Error ? error.message : "Bad range" });
  }
  const bucket = input.bucket === "hour" && range.dayCount <= MAX_HOURLY_DAYS ? "hour" : input.bucket ?? defaultBucket(range);
  // Day charts need no hourly rows: let the ledger sum per local day in SQL.
  const rows = await usageRows({ tenantId, from: range.from, to: range.to, dayBucketsIn: bucket === "day" ? timeZone : undefined });
  const keys = (ids: string[]): Promise<KeyInfo[]> =>
    ids.length === 0
      ? Promise.resolve([])
      : db.apiKey.findMany({ where: { id: { in: ids } }, select: { id: true, name: true, keyPrefix: true, revokedAt: true } });
  return buildOverview(rows, range, timeZone, bucket, keys);
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
      const timeZone = isValidTimeZone(ctx.tenant.timeZone) ? ctx.tenant.timeZone : "UTC";
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
      const timeZone = isValidTimeZone(ctx.tenant.timeZone) ? ctx.tenant.timeZone : "UTC";
      return tenantOverview(ctx.db, ctx.tenant.id, timeZone, input);
    }),
});
