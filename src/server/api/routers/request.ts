import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { requestDetail } from "../lib/request-log";
import { createTRPCRouter, tenantProcedure } from "../trpc";

/** The request id clients get in `x-metergate-request-id` (the relay's randomUUID). */
export const requestIdSchema = z.uuid("A request id looks like 0b6f…-…: the x-metergate-request-id header of the response");

export const requestRouter = createTRPCRouter({
  /** One request of the tenant by its id; NOT_FOUND when the tenant has none (not yet flushed, or another tenant's). */
  get: tenantProcedure("VIEWER")
    .input(z.object({ requestId: requestIdSchema }))
    .query(async ({ ctx, input }) => {
      const found = await requestDetail(ctx.db, { tenantId: ctx.tenant.id, requestId: input.requestId.toLowerCase() });
      if (!found) throw new TRPCError({ code: "NOT_FOUND", message: "No such request in this tenant" });
      return found;
    }),
});
