/**
 * A tenant's upstreams (provider accounts the relay forwards to). The credential is write-only:
 * encrypted with encryptCredential (AES-256-GCM) on the way in and never returned to any client.
 * The base URL goes through the egress policy (no credentials, query or fragment; no loopback,
 * private or metadata address unless the operator allows it), and is checked again on every use.
 * The relay tries a tenant's enabled upstreams that serve the model, lowest priority number first.
 */
import { writeAudit } from "~/audit";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { egressUrlSchema, redactUrl } from "~/egress";
import { encryptCredential } from "~/relay/credentials";
import { modelPatternListSchema } from "~/keys";
import { createTRPCRouter, tenantProcedure } from "../trpc";

export const upstreamIdSchema = z.string().trim().min(1).max(64);

const baseUrlSchema = egressUrlSchema("upstream", 500);

const upstreamFields = {
  name: z.string().trim().min(1, "Name the upstream").max(80),
  provider: z.enum(["ANTHROPIC", "OPENAI"]),
  baseUrl: baseUrlSchema,
  models: modelPatternListSchema,
  priority: z.number().int().min(0).max(1000),
  enabled: z.boolean(),
};

const credentialSchema = z.string().trim().min(1, "Paste the provider API key").max(4000);

const publicSelect = {
  id: true,
  name: true,
  provider: true,
  baseUrl: true,
  models: true,
  priority: true,
  enabled: true,
  createdAt: true,
} as const;

export const upstreamRouter = createTRPCRouter({
  /** Without credentials. Members see the list to bind their keys to an upstream. */
  list: tenantProcedure("MEMBER").query(async ({ ctx }) => {
    const rows = await ctx.db.upstream.findMany({
      where: { tenantId: ctx.tenant.id },
      orderBy: [{ priority: "asc" }, { createdAt: "asc" }],
      select: { ...publicSelect, _count: { select: { keys: true } } },
    });
    return rows.map(({ _count, ...u }) => ({ ...u, baseUrl: redactUrl(u.baseUrl), boundKeys: _count.keys, credentialSet: true }));
  }),

  create: tenantProcedure("ADMIN")
    .input(z.object({ ...upstreamFields, credential: credentialSchema }))
    .mutation(async ({ ctx, input }) => {
      const { credential, ...fields } = input;
      const created = await ctx.db.upstream.create({
        data: { ...fields, tenantId: ctx.tenant.id, credentialEnc: encryptCredential(credential) },
        select: publicSelect,
      });
      await writeAudit(ctx.db, { kind: "user", userId: ctx.session.user.id }, {
        action: "upstream.create",
        tenantId: ctx.tenant.id,
        target: created.id,
        details: { ...fields, baseUrl: redactUrl(fields.baseUrl) },
      });
      return { ...created, baseUrl: redactUrl(created.baseUrl) };
    }),

  /** Changes fields; a credential given replaces the stored one (it is never shown). */
  update: tenantProcedure("ADMIN")
    .input(
      z.object({
        upstreamId: upstreamIdSchema,
        ...z.object(upstreamFields).partial().shape,
        credential: credentialSchema.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { upstreamId, credential, tenantId: _tenantId, ...fields } = input;
      const existing = await ctx.db.upstream.findFirst({ where: { id: upstreamId, tenantId: ctx.tenant.id }, select: { id: true } });
      if (!existing) throw new TRPCError({ code: "NOT_FOUND", message: "No such upstream in this tenant" });
      const updated = await ctx.db.upstream.update({
        where: { id: existing.id },
        data: { ...fields, ...(credential ? { credentialEnc: encryptCredential(credential) } : {}) },
        select: publicSelect,
      });
      await writeAudit(ctx.db, { kind: "user", userId: ctx.session.user.id }, {
        action: "upstream.update",
        tenantId: ctx.tenant.id,
        target: existing.id,
        details: {
          ...fields,
          ...(fields.baseUrl === undefined ? {} : { baseUrl: redactUrl(fields.baseUrl) }),
          credentialReplaced: Boolean(credential),
        },
      });
      return { ...updated, baseUrl: redactUrl(updated.baseUrl) };
    }),

  /** Keys bound to it fall back to the tenant's other upstreams (the binding is cleared). */
  delete: tenantProcedure("ADMIN")
    .input(z.object({ upstreamId: upstreamIdSchema }))
    .mutation(async ({ ctx, input }) => {
      const { count } = await ctx.db.upstream.deleteMany({ where: { id: input.upstreamId, tenantId: ctx.tenant.id } });
      if (count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "No such upstream in this tenant" });
      await writeAudit(ctx.db, { kind: "user", userId: ctx.session.user.id }, {
        action: "upstream.delete",
        tenantId: ctx.tenant.id,
        target: input.upstreamId,
      });
      return { id: input.upstreamId };
    }),
});
