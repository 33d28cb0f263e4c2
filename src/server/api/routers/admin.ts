/**
 * Platform administration: every procedure is platformAdminProcedure (User.platformRole ADMIN,
 * read from the database on each call). Platform-wide figures are in UTC.
 */
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { markTenantSuspended, openDeadLetterCount, usageRows } from "~/ledger";
import { DAY_MS, zoneOrUtc } from "~/lib/time";
import { bucketSchema, rangeInputSchema, resolveRange } from "../lib/overview";
import { createTRPCRouter, platformAdminProcedure, tenantIdSchema } from "../trpc";
import { tenantOverview } from "./usage";

const PLATFORM_TIME_ZONE = "UTC";

export const adminRouter = createTRPCRouter({
  /** Every tenant ranked by spend over the range, with a daily cost trend (UTC days) for a sparkline. */
  tenants: platformAdminProcedure.input(z.object({ range: rangeInputSchema })).query(async ({ ctx, input }) => {
    let range;
    try {
      range = resolveRange(input.range, PLATFORM_TIME_ZONE);
    } catch (error) {
      throw new TRPCError({ code: "BAD_REQUEST", message: error instanceof Error ? error.message : "Bad range" });
    }
    const [tenants, rows] = await Promise.all([
      ctx.db.tenant.findMany({
        select: {
          id: true,
          name: true,
          slug: true,
          suspendedAt: true,
          createdAt: true,
          _count: { select: { keys: true, memberships: true } },
        },
      }),
      usageRows({ from: range.from, to: range.to, dayBucketsIn: PLATFORM_TIME_ZONE }),
    ]);
    const days = Math.max(1, Math.ceil((range.to.getTime() - range.from.getTime()) / DAY_MS));
    const stats = new Map<string, { requests: number; costMicros: number; errorCount: number; trend: number[] }>();
    for (const r of rows) {
      let s = stats.get(r.tenantId);
      if (!s) stats.set(r.tenantId, (s = { requests: 0, costMicros: 0, errorCount: 0, trend: new Array<number>(days).fill(0) }));
      s.requests += r.requests;
      s.costMicros += r.costMicros;
      s.errorCount += r.errorCount;
      const i = Math.min(days - 1, Math.floor((r.hourStart.getTime() - range.from.getTime()) / DAY_MS));
      if (i >= 0) s.trend[i]! += r.costMicros;
    }
    const ranked = tenants
      .map((t) => {
        const s = stats.get(t.id);
        return {
          id: t.id,
          name: t.name,
          slug: t.slug,
          suspendedAt: t.suspendedAt,
          createdAt: t.createdAt,
          keyCount: t._count.keys,
          memberCount: t._count.memberships,
          requests: s?.requests ?? 0,
          costMicros: s?.costMicros ?? 0,
          errorCount: s?.errorCount ?? 0,
          trend: s?.trend ?? new Array<number>(days).fill(0),
        };
      })
      .sort((a, b) => b.costMicros - a.costMicros || b.requests - a.requests || a.name.localeCompare(b.name));
    return {
      from: range.from,
      to: range.to,
      totalCostMicros: ranked.reduce((sum, t) => sum + t.costMicros, 0),
      totalRequests: ranked.reduce((sum, t) => sum + t.requests, 0),
      tenants: ranked,
    };
  }),

  /** Ledger events the flush quarantined and nobody has replayed yet (see `cli ledger dead-letter`). */
  deadLetters: platformAdminProcedure.query(async ({ ctx }) => {
    const [open, oldest] = await Promise.all([
      openDeadLetterCount(ctx.db),
      ctx.db.deadLetter.findFirst({ where: { replayedAt: null }, orderBy: { firstSeenAt: "asc" }, select: { firstSeenAt: true } }),
    ]);
    return { open, oldestAt: oldest?.firstSeenAt ?? null };
  }),

  /** One tenant: its details, usage overview (in its time zone), keys and models. */
  tenant: platformAdminProcedure
    .input(z.object({ tenantId: tenantIdSchema, range: rangeInputSchema, bucket: bucketSchema.optional() }))
    .query(async ({ ctx, input }) => {
      const tenant = await ctx.db.tenant.findUnique({
        where: { id: input.tenantId },
        select: {
          id: true,
          name: true,
          slug: true,
          timeZone: true,
          suspendedAt: true,
          createdAt: true,
          monthlyBudgetMicros: true,
          _count: { select: { memberships: true } },
        },
      });
      if (!tenant) throw new TRPCError({ code: "NOT_FOUND", message: "No such tenant" });
      const timeZone = zoneOrUtc(tenant.timeZone);
      const [overview, keys] = await Promise.all([
        tenantOverview(ctx.db, tenant.id, timeZone, { range: input.range, bucket: input.bucket }),
        ctx.db.apiKey.findMany({
          where: { tenantId: tenant.id },
          orderBy: { createdAt: "desc" },
          take: 500,
          select: { id: true, name: true, keyPrefix: true, createdAt: true, lastUsedAt: true, revokedAt: true },
        }),
      ]);
      return {
        tenant: {
          id: tenant.id,
          name: tenant.name,
          slug: tenant.slug,
          timeZone,
          suspendedAt: tenant.suspendedAt,
          createdAt: tenant.createdAt,
          monthlyBudgetMicros: tenant.monthlyBudgetMicros === null ? null : Number(tenant.monthlyBudgetMicros),
          memberCount: tenant._count.memberships,
        },
        overview,
        keys,
      };
    }),

  /**
   * Models used without a price, platform-wide (their cost was counted as 0): requests, tokens,
   * tenants, first and last seen. From the rollups' unpricedCount (flushed usage); first/last seen
   * to the request from the request log within the first and last such hour. A tenant price
   * override or `prices:update`, then `cli reprice`, removes a model from this list.
   */
  unpricedModels: platformAdminProcedure.query(async ({ ctx }) => {
    const groups = await ctx.db.$queryRawUnsafe<
      Array<{ model: string; requests: number; tokens: number; tenants: number; firstHour: Date; lastHour: Date }>
    >(
      `SELECT model, sum("unpricedCount")::float8 AS requests,
         sum("inputTokens" + "outputTokens" + "cacheWrite5mTokens" + "cacheWrite1hTokens" + "cacheReadTokens")::float8 AS tokens,
         count(DISTINCT "tenantId")::int AS tenants, min("hourStart") AS "firstHour", max("hourStart") AS "lastHour"
       FROM "UsageHourly" WHERE "unpricedCount" > 0 GROUP BY model ORDER BY requests DESC, model LIMIT 200`,
    );
    return Promise.all(
      groups.map(async (g) => {
        const seen = await ctx.db.$queryRawUnsafe<Array<{ first: Date | null; last: Date | null }>>(
          `SELECT (SELECT min("createdAt") FROM "RequestLog" WHERE model = $1 AND NOT priced AND "createdAt" >= $2 AND "createdAt" < $2 + interval '1 hour') AS first,
                  (SELECT max("createdAt") FROM "RequestLog" WHERE model = $1 AND NOT priced AND "createdAt" >= $3 AND "createdAt" < $3 + interval '1 hour') AS last`,
          g.model,
          g.firstHour,
          g.lastHour,
        );
        return {
          model: g.model,
          requests: g.requests,
          tokens: g.tokens,
          tenants: g.tenants,
          // Request-log rows may be gone (retention): fall back to the hour.
          firstSeen: seen[0]?.first ?? g.firstHour,
          lastSeen: seen[0]?.last ?? new Date(g.lastHour.getTime() + 3_600_000),
        };
      }),
    );
  }),

  /** Suspends (its keys then get 403 from the relay) or reinstates a tenant. Audited. */
  setSuspended: platformAdminProcedure
    .input(z.object({ tenantId: tenantIdSchema, suspended: z.boolean() }))
    .mutation(async ({ ctx, input }) => {
      const result = await ctx.db.$transaction(async (tx) => {
        const tenant = await tx.tenant.findUnique({ where: { id: input.tenantId }, select: { id: true, suspendedAt: true } });
        if (!tenant) throw new TRPCError({ code: "NOT_FOUND", message: "No such tenant" });
        const suspendedAt = input.suspended ? (tenant.suspendedAt ?? new Date()) : null;
        if ((tenant.suspendedAt === null) !== (suspendedAt === null)) {
          await tx.tenant.update({ where: { id: tenant.id }, data: { suspendedAt } });
          await tx.auditLog.create({
            data: {
              tenantId: tenant.id,
              actorId: ctx.session.user.id,
              action: input.suspended ? "tenant.suspend" : "tenant.unsuspend",
              target: tenant.id,
              details: { byPlatformAdmin: true },
            },
          });
        }
        return { id: tenant.id, suspendedAt };
      });
      // After the commit: relays serving cached keys while Postgres is away read it from Redis.
      await markTenantSuspended(result.id, result.suspendedAt !== null);
      return result;
    }),
});
