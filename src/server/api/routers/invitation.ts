import { createHash, randomBytes } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { createTRPCRouter, hasRole, protectedProcedure, tenantProcedure } from "../trpc";
import type { MemberRole } from "~/generated/prisma/enums";
import { assertMayAssign, mayAssign, memberRoleSchema } from "./member";
import { DAY_MS } from "~/lib/time";

/** Invitation links carry a random token; the database keeps only its SHA-256. */
export function hashInvitationToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Who may invite with `role`: admins and owners; only owners invite owners (one rule for create and accept). */
export function mayInvite(creatorRole: MemberRole, role: MemberRole): boolean {
  return hasRole(creatorRole, "ADMIN") && mayAssign(creatorRole, null, role);
}

export const invitationTokenSchema = z.string().trim().min(20).max(200);

export const invitationRouter = createTRPCRouter({
  /** Creates an invitation link (token returned once). Admins invite; only owners invite owners. */
  create: tenantProcedure("ADMIN")
    .input(
      z.object({
        role: memberRoleSchema,
        email: z.email().max(254).optional(),
        expiresInDays: z.number().int().min(1).max(30).default(7),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      assertMayAssign(ctx.membership.role, null, input.role);
      const token = randomBytes(24).toString("base64url");
      const invitation = await ctx.db.invitation.create({
        data: {
          tenantId: ctx.tenant.id,
          role: input.role,
          email: input.email?.toLowerCase() ?? null,
          tokenHash: hashInvitationToken(token),
          expiresAt: new Date(Date.now() + input.expiresInDays * DAY_MS),
          createdById: ctx.session.user.id,
        },
        select: { id: true, role: true, email: true, expiresAt: true },
      });
      await ctx.db.auditLog.create({
        data: {
          tenantId: ctx.tenant.id,
          actorId: ctx.session.user.id,
          action: "invitation.create",
          target: invitation.id,
          details: { role: input.role },
        },
      });
      return { ...invitation, token };
    }),

  /** Pending (not accepted, not expired) invitations of the tenant. */
  list: tenantProcedure("ADMIN").query(({ ctx }) =>
    ctx.db.invitation.findMany({
      where: { tenantId: ctx.tenant.id, acceptedAt: null, expiresAt: { gt: new Date() } },
      orderBy: { createdAt: "desc" },
      select: { id: true, role: true, email: true, expiresAt: true, createdAt: true },
    }),
  ),

  /** Withdraws a pending invitation. */
  revoke: tenantProcedure("ADMIN")
    .input(z.object({ invitationId: z.string().min(1).max(64) }))
    .mutation(async ({ ctx, input }) => {
      const { count } = await ctx.db.invitation.deleteMany({
        where: { id: input.invitationId, tenantId: ctx.tenant.id, acceptedAt: null },
      });
      if (count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "No such pending invitation" });
      await ctx.db.auditLog.create({
        data: { tenantId: ctx.tenant.id, actorId: ctx.session.user.id, action: "invitation.revoke", target: input.invitationId },
      });
      return { id: input.invitationId };
    }),

  /** Accepts an invitation as the signed-in user; an existing member keeps the higher of the two roles. */
  accept: protectedProcedure.input(z.object({ token: invitationTokenSchema })).mutation(async ({ ctx, input }) => {
    const userId = ctx.session.user.id;
    return ctx.db.$transaction(async (tx) => {
      const invitation = await tx.invitation.findUnique({
        where: { tokenHash: hashInvitationToken(input.token) },
        select: { id: true, tenantId: true, role: true, email: true, expiresAt: true, acceptedAt: true, createdById: true },
      });
      if (!invitation || invitation.acceptedAt || invitation.expiresAt.getTime() <= Date.now()) {
        throw new TRPCError({ code: "NOT_FOUND", message: "This invitation is invalid, used or expired" });
      }
      // An invitation grants what its creator may grant today: a creator since removed or demoted
      // below admin (or below owner, for an owner invitation) has taken the invitation with them.
      const creator = await tx.membership.findUnique({
        where: { userId_tenantId: { userId: invitation.createdById, tenantId: invitation.tenantId } },
        select: { role: true },
      });
      if (!creator || !mayInvite(creator.role, invitation.role)) {
        throw new TRPCError({ code: "NOT_FOUND", message: "This invitation is invalid, used or expired" });
      }
      if (invitation.email && invitation.email !== ctx.session.user.email.toLowerCase()) {
        throw new TRPCError({ code: "FORBIDDEN", message: "This invitation is for another email address" });
      }
      const claimed = await tx.invitation.updateMany({
        where: { id: invitation.id, acceptedAt: null },
        data: { acceptedAt: new Date() },
      });
      if (claimed.count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "This invitation was just used" });
      const existing = await tx.membership.findUnique({
        where: { userId_tenantId: { userId, tenantId: invitation.tenantId } },
        select: { role: true },
      });
      const role = existing && hasRole(existing.role, invitation.role) ? existing.role : invitation.role;
      await tx.membership.upsert({
        where: { userId_tenantId: { userId, tenantId: invitation.tenantId } },
        create: { userId, tenantId: invitation.tenantId, role },
        update: { role },
      });
      await tx.auditLog.create({
        data: { tenantId: invitation.tenantId, actorId: userId, action: "invitation.accept", target: invitation.id },
      });
      return { tenantId: invitation.tenantId, role };
    });
  }),
});
