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
      // Names for ids: who acted, the keys, members and upstreams the entries are about.
      const targetsOf = (prefix: string) => [...new Set(rows.flatMap((r) => (r.target && r.action.startsWith(prefix) ? [r.target] : [])))];
      const keyTargets = [...new Set(rows.flatMap((r) => (r.target && (r.action.startsWith("apiKey.") || r.action.startsWith("alert.")) ? [r.target] : [])))];
      const userIds = [...new Set([...rows.flatMap((r) => (r.actorId ? [r.actorId] : [])), ...targetsOf("member.")])];
      const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
      const [users, keys, upstreams] = await Promise.all([
        userIds.length ? ctx.db.user.findMany({ where: { id: { in: userIds } }, select: { id: true, email: true, name: true } }) : [],
        keyTargets.some((id) => uuid.test(id))
          ? ctx.db.apiKey.findMany({ where: { tenantId: ctx.tenant.id, id: { in: keyTargets.filter((id) => uuid.test(id)) } }, select: { id: true, name: true } })
          : [],
        targetsOf("upstream.").length
          ? ctx.db.upstream.findMany({ where: { tenantId: ctx.tenant.id, id: { in: targetsOf("upstream.") } }, select: { id: true, name: true } })
          : [],
      ]);
      const actorOf = new Map(users.map((a) => [a.id, a]));
      const nameOf = new Map<string, string>([
        ...keys.map((k): [string, string] => [k.id, k.name]),
        ...upstreams.map((u): [string, string] => [u.id, u.name]),
        ...users.map((u): [string, string] => [u.id, u.name ? `${u.name} (${u.email})` : u.email]),
        [ctx.tenant.id, ctx.tenant.name],
      ]);
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
          /** The target's name (key, member, upstream, this tenant) when it still exists. */
          targetName: r.target ? (nameOf.get(r.target) ?? null) : null,
          details: r.details,
          actorId: r.actorId,
          actorEmail: r.actorId ? (actorOf.get(r.actorId)?.email ?? null) : null,
          actorName: r.actorId ? (actorOf.get(r.actorId)?.name ?? null) : null,
        })),
      };
    }),
});
