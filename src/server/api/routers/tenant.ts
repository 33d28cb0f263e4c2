import { randomBytes } from "node:crypto";
import { z } from "zod";
import { activeAlerts } from "~/alerts";
import { createTenant, slugFromName } from "~/keys/server";
import { createTRPCRouter, protectedProcedure, tenantProcedure } from "../trpc";

export const tenantNameSchema = z.string().trim().min(1, "Name your tenant").max(80);

/** The readable part of the name and a random suffix: two tenants may share a name. */
function slugFor(name: string): string {
  return `${slugFromName(name)}-${randomBytes(3).toString("hex")}`;
}

export const tenantRouter = createTRPCRouter({
  /** Creates a tenant; the creator becomes its OWNER. */
  create: protectedProcedure.input(z.object({ name: tenantNameSchema })).mutation(async ({ ctx, input }) => {
    const tenant = await createTenant({ kind: "user", userId: ctx.session.user.id }, { name: input.name, slug: slugFor(input.name) }, ctx.db);
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

  /** Spend alerts of the running periods (80 % / 100 % of a key's cap or the tenant's budget). */
  alerts: tenantProcedure("VIEWER").query(({ ctx }) => activeAlerts(ctx.tenant.id)),

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
