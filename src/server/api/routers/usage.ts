import { z } from "zod";
import { usageRows } from "~/ledger";
import { isValidTimeZone, lastDays } from "../lib/time-range";
import { buildUsageReport } from "../lib/usage-report";
import { createTRPCRouter, tenantProcedure } from "../trpc";

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
      const rows = await usageRows({ tenantId: ctx.tenant.id, from: range.from, to: range.to });
      return { from: range.from, to: range.to, timeZone, ...buildUsageReport(rows, range.days, timeZone) };
    }),
});
