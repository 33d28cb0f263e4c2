/** The tenant's audit log: owners and admins only (server-enforced), newest first, paged. */
import { z } from "zod";
import { createTRPCRouter, tenantProcedure } from "../trpc";

export const AUDIT_PAGE_SIZE = 50;

export const auditRouter = createTRPCRouter({
  list: tenantProcedure("ADMIN")
    .input(
      z.object({
        page: z.number().int().min(1).max(100_000).default(1),
        pageSize: z.number().int().min(1).max(200).default(AUDIT_PAGE_SIZE),
        action: z.string().trim().min(1).max(100).optional(),
      }),
    )
    .query(async ({ ctx, input }) => {
      const where = { tenantId: ctx.tenant.id, ...(input.action ? { action: input.action } : {}) };
      const [total, rows, actions] = await Promise.all([
        ctx.db.auditLog.count({ where }),
        ctx.db.auditLog.findMany({
          where,
          orderBy: [{ createdAt: "desc" }, { id: "desc" }],
          skip: (input.page - 1) * input.pageSize,
          take: input.pageSize,
        }),
        ctx.db.auditLog.groupBy({ by: ["action"], where: { tenantId: ctx.tenant.id }, orderBy: { action: "asc" } }),
      ]);
      const actorIds = [...new Set(rows.flatMap((r) => (r.actorId ? [r.actorId] : [])))];
      const actors = actorIds.length
        ? await ctx.db.user.findMany({ where: { id: { in: actorIds } }, select: { id: true, email: true, name: true } })
        : [];
      const actorOf = new Map(actors.map((a) => [a.id, a]));
      return {
        page: input.page,
        pageSize: input.pageSize,
        total,
        pageCount: Math.max(1, Math.ceil(total / input.pageSize)),
        actions: actions.map((a) => a.action),
        entries: rows.map((r) => ({
          id: r.id,
          createdAt: r.createdAt,
          action: r.action,
          target: r.target,
          details: r.details === null ? null : JSON.stringify(r.details),
          actorId: r.actorId,
          actorEmail: r.actorId ? (actorOf.get(r.actorId)?.email ?? null) : null,
          actorName: r.actorId ? (actorOf.get(r.actorId)?.name ?? null) : null,
        })),
      };
    }),
});
