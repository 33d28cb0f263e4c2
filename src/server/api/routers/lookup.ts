import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { apiIdSchema, lookupKeyUsage } from "../lib/key-lookup";
import { hitLookupLimit } from "../lib/rate-limit";
import { createTRPCRouter, publicProcedure } from "../trpc";

export const lookupRouter = createTRPCRouter({
  /** Public: a key's all-time totals and per-model costs by its API ID. Rate-limited per client IP. */
  byApiId: publicProcedure.input(z.object({ apiId: apiIdSchema })).query(async ({ ctx, input }) => {
    const limit = await hitLookupLimit(ctx.clientIp);
    if (!limit.allowed) {
      throw new TRPCError({
        code: "TOO_MANY_REQUESTS",
        message: `Too many lookups; try again in ${limit.retryAfterSeconds} s`,
      });
    }
    return lookupKeyUsage(input.apiId);
  }),
});
