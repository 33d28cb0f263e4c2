/**
 * Usage by end user ("People") and by session, per tenant or per key (src/ledger/attribution.ts
 * says where the ids come from). Any member may read, like the usage views; every query is scoped
 * to ctx.tenant, and a key id must belong to it.
 */
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { PrismaClient } from "~/generated/prisma/client";
import { BadCursorError } from "~/ledger";
import {
  attributionIdSchema,
  DEFAULT_SESSION_SORT,
  PEOPLE_MAX,
  peopleDaysSchema,
  SESSIONS_MAX_PAGE,
  sessionSortSchema,
  tenantPeople,
  tenantSessions,
} from "../lib/people";
import { createTRPCRouter, tenantProcedure } from "../trpc";

async function keyInTenant(ctx: { db: PrismaClient; tenant: { id: string } }, keyId: string | undefined): Promise<void> {
  if (!keyId) return;
  const key = await ctx.db.apiKey.findFirst({ where: { id: keyId, tenantId: ctx.tenant.id }, select: { id: true } });
  if (!key) throw new TRPCError({ code: "NOT_FOUND", message: "No such key in this tenant" });
}

export const peopleRouter = createTRPCRouter({
  /** End users of the tenant (or of one key) over the last `days` UTC days, by cost. */
  list: tenantProcedure("VIEWER")
    .input(z.object({ keyId: z.uuid().optional(), days: peopleDaysSchema, limit: z.number().int().min(1).max(PEOPLE_MAX).default(200) }))
    .query(async ({ ctx, input }) => {
      await keyInTenant(ctx, input.keyId);
      return tenantPeople(ctx.db, { tenantId: ctx.tenant.id, apiKeyId: input.keyId, days: input.days, limit: input.limit });
    }),

  /** Sessions active in the last `days` UTC days, most recent first or sorted, paged by a cursor of that order. */
  sessions: tenantProcedure("VIEWER")
    .input(
      z.object({
        keyId: z.uuid().optional(),
        endUserId: attributionIdSchema.optional(),
        sessionId: attributionIdSchema.optional(),
        days: peopleDaysSchema,
        sort: sessionSortSchema.default(DEFAULT_SESSION_SORT),
        cursor: z.string().max(600).nullish(),
        limit: z.number().int().min(1).max(SESSIONS_MAX_PAGE).default(50),
      }),
    )
    .query(async ({ ctx, input }) => {
      await keyInTenant(ctx, input.keyId);
      try {
        return await tenantSessions(ctx.db, {
          tenantId: ctx.tenant.id,
          apiKeyId: input.keyId,
          endUserId: input.endUserId,
          sessionId: input.sessionId,
          days: input.days,
          sort: input.sort,
          cursor: input.cursor,
          limit: input.limit,
        });
      } catch (error) {
        if (error instanceof BadCursorError) throw new TRPCError({ code: "BAD_REQUEST", message: error.message });
        throw error;
      }
    }),
});
