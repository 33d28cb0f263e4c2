/**
 * Platform administration: every procedure is platformAdminProcedure (User.platformRole ADMIN,
 * read from the database on each call). Platform-wide figures are in UTC.
 */
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { setTenantSuspended } from "~/keys/server";
import { openDeadLetterCount, usageRows } from "~/ledger";
import { adminTenantListSchema } from "~/lib/admin-tenant-list";
import { DAY_MS, zoneOrUtc } from "~/lib/time";
import { bucketSchema, rangeInputSchema, resolveRange } from "../lib/overview";
import { createTRPCRouter, platformAdminProcedure, tenantIdSchema } from "../trpc";
import { tenantOverview } from "./usage";

const PLATFORM_TIME_ZONE = "UTC";

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export const adminRouter = createTRPCRouter({
  /**
   * Tenants ranked by spend over the range, searched, sorted and paged here (the browser gets one
   * page): rank is the place by spend among all tenants, whatever the search or sort; each row
   * carries a daily cost trend (UTC days) for a sparkline. Spend includes unflushed usage.
   */
  tenants: platformAdminProcedure.input(adminTenantListSchema.extend({ range: rangeInputSchema })).query(async ({ ctx, input }) => {
    let range;
    try {
      range = resolveRange(input.range, PLATFORM_TIME_ZONE);
    } catch (error) {
      throw new TRPCError({ code: "BAD_REQUEST", message: error instanceof Error ? error.message : "Bad range" });
    }
    // LIKE wildcards in the text are text: Prisma's `contains` passes them through.
    const search = input.search.replace(/[\\%_]/g, "\\$&");
    const [all, matching, rows] = await Promise.all([
      ctx.db.tenant.findMany({ select: { id: true, name: true } }),
      ctx.db.tenant.findMany({
        where: search
          ? { OR: [{ name: { contains: search, mode: "insensitive" } }, { slug: { contains: search, mode: "insensitive" } }, { id: input.search }] }
          : undefined,
        select: { id: true, name: true, _count: { select: { keys: true } } },
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
    // Names in code-point order of their lower case: the same on every server, like the client showed.
    const byName = (a: { name: string; id: string }, b: { name: string; id: string }) => compareText(a.name.toLowerCase(), b.name.toLowerCase()) || compareText(a.id, b.id);
    const spend = (id: string) => stats.get(id) ?? { requests: 0, costMicros: 0 };
    const rank = new Map(
      [...all]
        .sort((a, b) => spend(b.id).costMicros - spend(a.id).costMicros || spend(b.id).requests - spend(a.id).requests || byName(a, b))
        .map((t, i) => [t.id, i + 1]),
    );
    const sign = input.sort.dir === "asc" ? 1 : -1;
    const value = (t: (typeof matching)[number]): number =>
      input.sort.key === "keys" ? t._count.keys : input.sort.key === "requests" ? spend(t.id).requests : spend(t.id).costMicros;
    const sorted = [...matching].sort(
      (a, b) =>
        (input.sort.key === "name" ? sign * byName(a, b) : sign * (value(a) - value(b))) || (rank.get(a.id) ?? 0) - (rank.get(b.id) ?? 0),
    );
    const pages = Math.max(1, Math.ceil(sorted.length / input.pageSize));
    const page = Math.min(input.page, pages);
    const shown = sorted.slice((page - 1) * input.pageSize, page * input.pageSize);
    const details = new Map(
      (
        await ctx.db.tenant.findMany({
          where: { id: { in: shown.map((t) => t.id) } },
          select: { id: true, name: true, slug: true, suspendedAt: true, createdAt: true, _count: { select: { keys: true, memberships: true } } },
        })
      ).map((t) => [t.id, t]),
    );
    let totalCostMicros = 0;
    let totalRequests = 0;
    for (const t of all) {
      totalCostMicros += spend(t.id).costMicros;
      totalRequests += spend(t.id).requests;
    }
    return {
      from: range.from,
      to: range.to,
      totalCostMicros,
      totalRequests,
      tenantCount: all.length,
      matchCount: sorted.length,
      page,
      pages,
      pageSize: input.pageSize,
      tenants: shown.flatMap((m) => {
        const t = details.get(m.id);
        if (!t) return []; // deleted between the two reads
        const s = stats.get(t.id);
        return [
          {
            id: t.id,
            rank: rank.get(t.id) ?? 0,
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
          },
        ];
      }),
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
    .mutation(({ ctx, input }) => setTenantSuspended({ kind: "platformAdmin", userId: ctx.session.user.id }, input.tenantId, input.suspended, ctx.db)),
});
