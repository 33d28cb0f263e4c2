import { createHash, randomBytes } from "node:crypto";
import { writeAudit } from "~/audit";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { createTRPCRouter, hasRole, protectedProcedure, tenantProcedure } from "../trpc";
import type { Prisma } from "~/generated/prisma/client";
import type { MemberRole } from "~/generated/prisma/enums";
import { decryptCredential, encryptCredential } from "~/relay/credentials";
import { assertMayAssign, mayAssign, memberRoleSchema } from "./member";
import { DAY_MS } from "~/lib/time";

/**
 * Invitation links carry a random token. The database finds an invitation by the token's SHA-256;
 * it also keeps the token encrypted with ENCRYPTION_KEY (like upstream credentials), so an admin
 * can copy a pending invitation's link again. Never in clear, never in a log or an audit row.
 */
export function hashInvitationToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Who may invite with `role`: admins and owners; only owners invite owners (one rule for create and accept). */
export function mayInvite(creatorRole: MemberRole, role: MemberRole): boolean {
  return hasRole(creatorRole, "ADMIN") && mayAssign(creatorRole, null, role);
}

export const invitationTokenSchema = z.string().trim().min(20).max(200);

/** One answer for an unknown, expired, used or withdrawn invitation, and one whose creator lost the right to grant it. */
const INVALID = "This invitation is invalid, used or expired";

/**
 * The invitation a token stands for, if it can still be accepted: not used, not expired, and its
 * creator may still grant its role (a creator since removed or demoted below admin, or below
 * owner for an owner invitation, has taken the invitation with them). null for every other case alike.
 */
async function acceptableInvitation(tx: Prisma.TransactionClient, token: string) {
  if (!invitationTokenSchema.safeParse(token).success) return null;
  const invitation = await tx.invitation.findUnique({
    where: { tokenHash: hashInvitationToken(token.trim()) },
    select: { id: true, tenantId: true, role: true, email: true, expiresAt: true, acceptedAt: true, createdById: true },
  });
  if (!invitation || invitation.acceptedAt || invitation.expiresAt.getTime() <= Date.now()) return null;
  const creator = await tx.membership.findUnique({
    where: { userId_tenantId: { userId: invitation.createdById, tenantId: invitation.tenantId } },
    select: { role: true },
  });
  if (!creator || !mayInvite(creator.role, invitation.role)) return null;
  return invitation;
}

const sameEmail = (bound: string, user: string) => bound.toLowerCase() === user.trim().toLowerCase();

export const invitationRouter = createTRPCRouter({
  /**
   * Creates an invitation link (token returned here and, for admins who may grant its role, by
   * copyLink). Admins invite; only owners invite owners. With `email`, only that address may accept.
   */
  create: tenantProcedure("ADMIN")
    .input(
      z.object({
        role: memberRoleSchema,
        email: z.string().trim().toLowerCase().pipe(z.email("Enter a valid email address").max(254)).optional(),
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
          email: input.email ?? null,
          tokenHash: hashInvitationToken(token),
          tokenEnc: encryptCredential(token),
          expiresAt: new Date(Date.now() + input.expiresInDays * DAY_MS),
          createdById: ctx.session.user.id,
        },
        select: { id: true, role: true, email: true, expiresAt: true },
      });
      await writeAudit(ctx.db, { kind: "user", userId: ctx.session.user.id }, {
        action: "invitation.create",
        tenantId: ctx.tenant.id,
        target: invitation.id,
        details: { role: input.role, email: invitation.email, expiresAt: invitation.expiresAt.toISOString() },
      });
      return { ...invitation, token };
    }),

  /** Pending (not accepted, not expired) invitations of the tenant, with who invited and whether the caller may copy the link. */
  list: tenantProcedure("ADMIN").query(async ({ ctx }) => {
    const rows = await ctx.db.invitation.findMany({
      where: { tenantId: ctx.tenant.id, acceptedAt: null, expiresAt: { gt: new Date() } },
      orderBy: { createdAt: "desc" },
      select: { id: true, role: true, email: true, expiresAt: true, createdAt: true, createdById: true, tokenEnc: true },
    });
    const creatorIds = [...new Set(rows.map((r) => r.createdById))];
    const creators = creatorIds.length
      ? await ctx.db.user.findMany({ where: { id: { in: creatorIds } }, select: { id: true, name: true, email: true } })
      : [];
    const creatorOf = new Map(creators.map((c) => [c.id, c]));
    return rows.map(({ tokenEnc, createdById, ...r }) => ({
      ...r,
      invitedBy: creatorOf.get(createdById)?.name ?? creatorOf.get(createdById)?.email ?? null,
      /** "available": copyLink shows it; "notKept": made before links were kept; "notYours": only an owner may copy an owner invitation. */
      link: !mayInvite(ctx.membership.role, r.role) ? ("notYours" as const) : tokenEnc === null ? ("notKept" as const) : ("available" as const),
    }));
  }),

  /** A pending invitation's token again (for its link). Only those who may grant its role; audited. */
  copyLink: tenantProcedure("ADMIN")
    .input(z.object({ invitationId: z.string().min(1).max(64) }))
    .mutation(async ({ ctx, input }) => {
      const invitation = await ctx.db.invitation.findFirst({
        where: { id: input.invitationId, tenantId: ctx.tenant.id, acceptedAt: null, expiresAt: { gt: new Date() } },
        select: { id: true, role: true, email: true, tokenEnc: true },
      });
      if (!invitation) throw new TRPCError({ code: "NOT_FOUND", message: "No such pending invitation" });
      // An admin copying an owner invitation could accept it and become an owner.
      assertMayAssign(ctx.membership.role, null, invitation.role);
      if (!invitation.tokenEnc) {
        throw new TRPCError({ code: "BAD_REQUEST", message: "This invitation's link was not kept; withdraw it and create a new one" });
      }
      const token = decryptCredential(invitation.tokenEnc);
      await writeAudit(ctx.db, { kind: "user", userId: ctx.session.user.id }, {
        action: "invitation.copy",
        tenantId: ctx.tenant.id,
        target: invitation.id,
        details: { role: invitation.role, email: invitation.email },
      });
      return { id: invitation.id, token };
    }),

  /** Withdraws a pending invitation. */
  revoke: tenantProcedure("ADMIN")
    .input(z.object({ invitationId: z.string().min(1).max(64) }))
    .mutation(async ({ ctx, input }) => {
      const where = { id: input.invitationId, tenantId: ctx.tenant.id, acceptedAt: null };
      const invitation = await ctx.db.invitation.findFirst({ where, select: { role: true, email: true } });
      const { count } = await ctx.db.invitation.deleteMany({ where });
      if (!invitation || count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "No such pending invitation" });
      await writeAudit(ctx.db, { kind: "user", userId: ctx.session.user.id }, {
        action: "invitation.revoke",
        tenantId: ctx.tenant.id,
        target: input.invitationId,
        details: { role: invitation.role, email: invitation.email },
      });
      return { id: input.invitationId };
    }),

  /**
   * What the invitation page shows the signed-in holder of a link: the tenant, role, inviter and
   * expiry of an invitation they may accept; "otherEmail" (nothing more) for one bound to another
   * address; "invalid" for every token that cannot be accepted, whatever the reason.
   */
  preview: protectedProcedure.input(z.object({ token: z.string().max(500) })).query(async ({ ctx, input }) => {
    const invitation = await acceptableInvitation(ctx.db, input.token);
    if (!invitation) return { status: "invalid" as const };
    if (invitation.email && !sameEmail(invitation.email, ctx.session.user.email)) return { status: "otherEmail" as const };
    const [tenant, inviter, membership] = await Promise.all([
      ctx.db.tenant.findUniqueOrThrow({ where: { id: invitation.tenantId }, select: { name: true } }),
      ctx.db.user.findUnique({ where: { id: invitation.createdById }, select: { name: true, email: true } }),
      ctx.db.membership.findUnique({
        where: { userId_tenantId: { userId: ctx.session.user.id, tenantId: invitation.tenantId } },
        select: { role: true },
      }),
    ]);
    return {
      status: "valid" as const,
      tenantName: tenant.name,
      role: invitation.role,
      inviter: inviter ? (inviter.name ? `${inviter.name} (${inviter.email})` : inviter.email) : null,
      expiresAt: invitation.expiresAt,
      email: invitation.email,
      /** The caller's role there already, if a member (accepting keeps the higher of the two). */
      currentRole: membership?.role ?? null,
    };
  }),

  /** Accepts an invitation as the signed-in user; an existing member keeps the higher of the two roles. */
  accept: protectedProcedure.input(z.object({ token: invitationTokenSchema })).mutation(async ({ ctx, input }) => {
    const userId = ctx.session.user.id;
    return ctx.db.$transaction(async (tx) => {
      const invitation = await acceptableInvitation(tx, input.token);
      if (!invitation) throw new TRPCError({ code: "NOT_FOUND", message: INVALID });
      if (invitation.email && !sameEmail(invitation.email, ctx.session.user.email)) {
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
      await writeAudit(tx, { kind: "user", userId }, {
        action: "invitation.accept",
        tenantId: invitation.tenantId,
        target: invitation.id,
        details: { role, email: invitation.email },
      });
      return { tenantId: invitation.tenantId, role };
    });
  }),
});
