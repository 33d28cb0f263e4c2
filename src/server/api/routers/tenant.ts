import { randomBytes } from "node:crypto";
import { z } from "zod";
import { createTRPCRouter, protectedProcedure, tenantProcedure } from "../trpc";

export const tenantNameSchema = z.string().trim().min(1, "Name your tenant").max(80);

function slugFor(name: string): string {
  const base = name
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
  return `${base || "tenant"}-${randomBytes(3).toString("hex")}`;
}

export const tenantRouter = createTRPCRouter({
  /** Creates a tenant; the creator becomes its OWNER. */
  create: protectedProcedure.input(z.object({ name: tenantNameSchema })).mutation(async ({ ctx, input }) => {
    const userId = ctx.session.user.id;
    const tenant = await ctx.db.$transaction(async (tx) => {
      const created = await tx.tenant.create({
        data: { name: input.name, slug: slugFor(input.name), memberships: { create: { userId, role: "OWNER" } } },
        select: { id: true, name: true, slug: true },
      });
      await tx.auditLog.create({
        data: { tenantId: created.id, actorId: userId, action: "tenant.create", target: created.id },
      });
      return created;
    });
    return { ...tenant, role: "OWNER" as const };
  }),

  /** The tenants the caller belongs to, with the caller's role, oldest first. */
  mine: protectedProcedure.query(async ({ ctx }) => {
    const memberships = await ctx.db.membership.findMany({
      where: { userId: ctx.session.user.id },
      select: { role: true, tenant: { select: { id: true, name: true, slug: true, createdAt: true } } },
      orderBy: { createdAt: "asc" },
    });
    return memberships.map((m) => ({ id: m.tenant.id, name: m.tenant.name, slug: m.tenant.slug, role: m.role }));
  }),

  /** One tenant the caller belongs to, with the caller's role. */
  get: tenantProcedure("VIEWER").query(({ ctx }) => ({
    id: ctx.tenant.id,
    name: ctx.tenant.name,
    slug: ctx.tenant.slug,
    timeZone: ctx.tenant.timeZone,
    suspended: ctx.tenant.suspendedAt !== null,
    role: ctx.membership.role,
  })),
});
