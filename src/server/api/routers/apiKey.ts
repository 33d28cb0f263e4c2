import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { PrismaClient } from "~/generated/prisma/client";
import type { MemberRole } from "~/generated/prisma/enums";
import { generateApiKey } from "~/keys";
import { createTRPCRouter, hasRole, tenantProcedure } from "../trpc";

export const keyNameSchema = z.string().trim().min(1, "Name the key").max(80);
export const keyDescriptionSchema = z.string().trim().max(500);
export const keyIdSchema = z.uuid();

interface KeyActor {
  tenantId: string;
  userId: string;
  role: MemberRole;
}

/**
 * The key, if it belongs to the actor's tenant and the actor may manage it: members their own
 * keys, admins and owners any key. NOT_FOUND for another tenant's key, FORBIDDEN for a colleague's.
 */
async function manageableKey(db: PrismaClient, actor: KeyActor, keyId: string) {
  const key = await db.apiKey.findFirst({
    where: { id: keyId, tenantId: actor.tenantId },
    select: { id: true, createdById: true, revokedAt: true },
  });
  if (!key) throw new TRPCError({ code: "NOT_FOUND", message: "No such key in this tenant" });
  if (!hasRole(actor.role, "ADMIN") && key.createdById !== actor.userId) {
    throw new TRPCError({ code: "FORBIDDEN", message: "Members can manage only their own keys" });
  }
  return key;
}

export const apiKeyRouter = createTRPCRouter({
  /** Creates a key. The secret is in this response only; the database keeps its hash. */
  create: tenantProcedure("MEMBER")
    .input(z.object({ name: keyNameSchema }))
    .mutation(async ({ ctx, input }) => {
      const generated = generateApiKey();
      const key = await ctx.db.apiKey.create({
        data: {
          tenantId: ctx.tenant.id,
          createdById: ctx.session.user.id,
          name: input.name,
          keyHash: generated.keyHash,
          keyPrefix: generated.keyPrefix,
        },
        select: { id: true, name: true, keyPrefix: true, createdAt: true },
      });
      await ctx.db.auditLog.create({
        data: { tenantId: ctx.tenant.id, actorId: ctx.session.user.id, action: "apiKey.create", target: key.id },
      });
      return { ...key, secret: generated.secret };
    }),

  /** The tenant's keys, newest first; `canManage` says whether the caller may revoke each. */
  list: tenantProcedure("VIEWER").query(async ({ ctx }) => {
    const keys = await ctx.db.apiKey.findMany({
      where: { tenantId: ctx.tenant.id },
      orderBy: { createdAt: "desc" },
      select: {
        id: true,
        name: true,
        description: true,
        keyPrefix: true,
        createdAt: true,
        lastUsedAt: true,
        revokedAt: true,
        expiresAt: true,
        createdById: true,
        createdBy: { select: { email: true } },
      },
    });
    const isAdmin = hasRole(ctx.membership.role, "ADMIN");
    const canManageOwn = hasRole(ctx.membership.role, "MEMBER");
    return keys.map(({ createdBy, createdById, ...key }) => ({
      ...key,
      createdByEmail: createdBy?.email ?? null,
      canManage: isAdmin || (canManageOwn && createdById === ctx.session.user.id),
    }));
  }),

  /** Revokes a key for good. Members may revoke their own keys; admins and owners any key. */
  revoke: tenantProcedure("MEMBER")
    .input(z.object({ keyId: keyIdSchema }))
    .mutation(async ({ ctx, input }) => {
      const actor = { tenantId: ctx.tenant.id, userId: ctx.session.user.id, role: ctx.membership.role };
      const key = await manageableKey(ctx.db, actor, input.keyId);
      if (key.revokedAt) return { id: key.id, revokedAt: key.revokedAt };
      const revoked = await ctx.db.apiKey.update({
        where: { id: key.id },
        data: { revokedAt: new Date() },
        select: { id: true, revokedAt: true },
      });
      await ctx.db.auditLog.create({
        data: { tenantId: ctx.tenant.id, actorId: ctx.session.user.id, action: "apiKey.revoke", target: key.id },
      });
      return revoked;
    }),

  /** Renames a key or changes its description (same ownership rule as revoke). */
  update: tenantProcedure("MEMBER")
    .input(z.object({ keyId: keyIdSchema, name: keyNameSchema.optional(), description: keyDescriptionSchema.optional() }))
    .mutation(async ({ ctx, input }) => {
      const actor = { tenantId: ctx.tenant.id, userId: ctx.session.user.id, role: ctx.membership.role };
      const key = await manageableKey(ctx.db, actor, input.keyId);
      const updated = await ctx.db.apiKey.update({
        where: { id: key.id },
        data: { name: input.name, description: input.description === "" ? null : input.description },
        select: { id: true, name: true, description: true },
      });
      await ctx.db.auditLog.create({
        data: {
          tenantId: ctx.tenant.id,
          actorId: ctx.session.user.id,
          action: "apiKey.update",
          target: key.id,
          details: { name: input.name ?? null, description: input.description ?? null },
        },
      });
      return updated;
    }),

  /**
   * Replaces the key's secret: same API ID, limits and history; the old secret stops working
   * (once the relay's short key cache expires). The new secret is in this response only.
   */
  rotate: tenantProcedure("MEMBER")
    .input(z.object({ keyId: keyIdSchema }))
    .mutation(async ({ ctx, input }) => {
      const actor = { tenantId: ctx.tenant.id, userId: ctx.session.user.id, role: ctx.membership.role };
      const key = await manageableKey(ctx.db, actor, input.keyId);
      if (key.revokedAt) throw new TRPCError({ code: "BAD_REQUEST", message: "A revoked key cannot be rotated" });
      const generated = generateApiKey();
      const rotated = await ctx.db.apiKey.update({
        where: { id: key.id },
        data: { keyHash: generated.keyHash, keyPrefix: generated.keyPrefix },
        select: { id: true, name: true, keyPrefix: true },
      });
      await ctx.db.auditLog.create({
        data: { tenantId: ctx.tenant.id, actorId: ctx.session.user.id, action: "apiKey.rotate", target: key.id },
      });
      return { ...rotated, secret: generated.secret };
    }),
});
