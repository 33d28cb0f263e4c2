import { TRPCError } from "@trpc/server";
import { writeAudit } from "~/audit";
import { z } from "zod";
import type { PrismaClient } from "~/generated/prisma/client";
import type { MemberRole } from "~/generated/prisma/enums";
import { endSessions } from "~/server/auth/session-version";
import { createTRPCRouter, hasRole, tenantProcedure } from "../trpc";

export const memberRoleSchema = z.enum(["OWNER", "ADMIN", "MEMBER", "VIEWER"]);

/** Only an owner may grant, change or take away the OWNER role. */
export function mayAssign(actorRole: MemberRole, fromRole: MemberRole | null, toRole: MemberRole | null): boolean {
  return actorRole === "OWNER" || (fromRole !== "OWNER" && toRole !== "OWNER");
}

export function assertMayAssign(actorRole: MemberRole, fromRole: MemberRole | null, toRole: MemberRole | null): void {
  if (!mayAssign(actorRole, fromRole, toRole)) {
    throw new TRPCError({ code: "FORBIDDEN", message: "Only an owner can change an owner or make one" });
  }
}

type Tx = Omit<PrismaClient, "$connect" | "$disconnect" | "$on" | "$transaction" | "$extends">;

/**
 * Runs `fn` holding a row lock on the tenant, so that every role change and removal of one tenant
 * happens one at a time: two owners demoting each other at once cannot both see "another owner is
 * left". Inside, the actor's own role is read again: it may have changed while we waited.
 */
async function withTenantLock<T>(db: PrismaClient, tenantId: string, actorId: string, fn: (tx: Tx, actorRole: MemberRole) => Promise<T>): Promise<T> {
  return db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM "Tenant" WHERE id = ${tenantId} FOR UPDATE`;
    const actor = await tx.membership.findUnique({ where: { userId_tenantId: { userId: actorId, tenantId } }, select: { role: true } });
    if (!actor || !hasRole(actor.role, "ADMIN")) {
      throw new TRPCError({ code: "FORBIDDEN", message: "You do not have access to this tenant" });
    }
    return fn(tx, actor.role);
  });
}

async function assertNotLastOwner(tx: Tx, tenantId: string, userId: string): Promise<void> {
  const owners = await tx.membership.findMany({ where: { tenantId, role: "OWNER" }, select: { userId: true } });
  if (owners.length === 1 && owners[0]?.userId === userId) {
    throw new TRPCError({ code: "BAD_REQUEST", message: "A tenant needs at least one owner" });
  }
}

async function membershipOf(tx: Tx, tenantId: string, userId: string) {
  const m = await tx.membership.findUnique({
    where: { userId_tenantId: { userId, tenantId } },
    select: { role: true },
  });
  if (!m) throw new TRPCError({ code: "NOT_FOUND", message: "No such member in this tenant" });
  return m;
}

export const memberRouter = createTRPCRouter({
  /** Everyone in the tenant, with roles; `canManage` says whether the caller may change each. */
  list: tenantProcedure("VIEWER").query(async ({ ctx }) => {
    const members = await ctx.db.membership.findMany({
      where: { tenantId: ctx.tenant.id },
      orderBy: { createdAt: "asc" },
      select: { role: true, createdAt: true, user: { select: { id: true, email: true, name: true } } },
    });
    const actorRole = ctx.membership.role;
    return members.map((m) => ({
      userId: m.user.id,
      email: m.user.email,
      name: m.user.name,
      role: m.role,
      joinedAt: m.createdAt,
      isSelf: m.user.id === ctx.session.user.id,
      canManage: hasRole(actorRole, "ADMIN") && (m.role !== "OWNER" || actorRole === "OWNER"),
    }));
  }),

  /** Changes a member's role (admins; only owners touch the OWNER role; the last owner stays). */
  updateRole: tenantProcedure("ADMIN")
    .input(z.object({ userId: z.string().min(1).max(64), role: memberRoleSchema }))
    .mutation(({ ctx, input }) =>
      withTenantLock(ctx.db, ctx.tenant.id, ctx.session.user.id, async (tx, actorRole) => {
        const current = await membershipOf(tx, ctx.tenant.id, input.userId);
        assertMayAssign(actorRole, current.role, input.role);
        if (current.role === "OWNER" && input.role !== "OWNER") await assertNotLastOwner(tx, ctx.tenant.id, input.userId);
        await tx.membership.update({
          where: { userId_tenantId: { userId: input.userId, tenantId: ctx.tenant.id } },
          data: { role: input.role },
        });
        await writeAudit(tx, { kind: "user", userId: ctx.session.user.id }, {
          action: "member.updateRole",
          tenantId: ctx.tenant.id,
          target: input.userId,
          details: { from: current.role, to: input.role },
        });
        return { userId: input.userId, role: input.role };
      }),
    ),

  /** Removes a member (admins; only owners remove owners; the last owner stays). */
  remove: tenantProcedure("ADMIN")
    .input(z.object({ userId: z.string().min(1).max(64) }))
    .mutation(({ ctx, input }) =>
      withTenantLock(ctx.db, ctx.tenant.id, ctx.session.user.id, async (tx, actorRole) => {
        const current = await membershipOf(tx, ctx.tenant.id, input.userId);
        assertMayAssign(actorRole, current.role, null);
        if (current.role === "OWNER") await assertNotLastOwner(tx, ctx.tenant.id, input.userId);
        await tx.membership.delete({ where: { userId_tenantId: { userId: input.userId, tenantId: ctx.tenant.id } } });
        await endSessions(input.userId, tx);
        await writeAudit(tx, { kind: "user", userId: ctx.session.user.id }, {
          action: "member.remove",
          tenantId: ctx.tenant.id,
          target: input.userId,
        });
        return { userId: input.userId };
      }),
    ),
});
