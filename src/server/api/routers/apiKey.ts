import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { PrismaClient } from "~/generated/prisma/client";
import type { MemberRole } from "~/generated/prisma/enums";
import { generateApiKey } from "~/keys";
import { limitStatus, markKeyActive, markKeyRotated, usageRows } from "~/ledger";
import { keyLimitsSelect, toKeyLimits } from "~/server/key-limits";
import { authorizeKeyChange, LEGACY_SETTER_ROLE, lockedLimitFields, type KeyChange } from "../lib/key-field-rules";
import { auditValue, checkRateWindow, keyLimitsShape, toLimitColumns, type KeyLimitsColumns } from "../lib/key-limits-input";
import { REQUEST_LOG_MAX_PAGE, requestLogFilterSchema, requestLogPage } from "../lib/request-log";
import { DAY_MS, lastDays, zoneOrUtc } from "~/lib/time";
import { buildUsageReport } from "../lib/usage-report";
import { cacheEconomics, sumCacheEconomics } from "../lib/cache-economics";
import { loadPriceOverrides } from "~/server/price-overrides";
import { createTRPCRouter, hasRole, tenantProcedure } from "../trpc";
import { USAGE_PERIOD_DAYS } from "./usage";

export const keyNameSchema = z.string().trim().min(1, "Name the key").max(80);
export const keyDescriptionSchema = z.string().trim().max(500);
export const keyIdSchema = z.uuid();
/** Tags: short labels for filtering ("ci", "team:search"). */
export const keyTagSchema = z
  .string()
  .trim()
  .toLowerCase()
  .min(1)
  .max(32, "A tag has at most 32 characters")
  .regex(/^[a-z0-9][a-z0-9._:/-]*$/, "Tags use letters, digits and . _ : / -");
export const keyTagsSchema = z.array(keyTagSchema).max(20, "At most 20 tags");

/** A key of the tenant, for reading (any member). NOT_FOUND for another tenant's key. */
async function tenantKeyOrThrow<T extends { id: true }>(db: PrismaClient, tenantId: string, keyId: string, select: T) {
  const key = await db.apiKey.findFirst({ where: { id: keyId, tenantId }, select });
  if (!key) throw new TRPCError({ code: "NOT_FOUND", message: "No such key in this tenant" });
  return key;
}

const num = (v: bigint | number | null) => (v === null ? null : Number(v));

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
    select: { id: true, tenantId: true, createdById: true, revokedAt: true },
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
        tags: true,
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
      // Mirrored into Redis so a relay serving its cached key while Postgres is away refuses it too
      // (idempotent: a retry after a Redis error writes the marker that is still missing).
      if (key.revokedAt) {
        await markKeyActive({ apiKeyId: key.id, tenantId: key.tenantId }, false);
        return { id: key.id, revokedAt: key.revokedAt };
      }
      const revoked = await ctx.db.apiKey.update({
        where: { id: key.id },
        data: { revokedAt: new Date(), revokedByRole: ctx.membership.role },
        select: { id: true, revokedAt: true },
      });
      await markKeyActive({ apiKeyId: key.id, tenantId: key.tenantId }, false);
      await ctx.db.auditLog.create({
        data: { tenantId: ctx.tenant.id, actorId: ctx.session.user.id, action: "apiKey.revoke", target: key.id },
      });
      return revoked;
    }),

  /** Renames a key or changes its description (same ownership rule as revoke). */
  update: tenantProcedure("MEMBER")
    .input(
      z.object({
        keyId: keyIdSchema,
        name: keyNameSchema.optional(),
        description: keyDescriptionSchema.optional(),
        tags: keyTagsSchema.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const actor = { tenantId: ctx.tenant.id, userId: ctx.session.user.id, role: ctx.membership.role };
      const key = await manageableKey(ctx.db, actor, input.keyId);
      const updated = await ctx.db.apiKey.update({
        where: { id: key.id },
        data: {
          name: input.name,
          description: input.description === "" ? null : input.description,
          tags: input.tags ? [...new Set(input.tags)] : undefined,
        },
        select: { id: true, name: true, description: true, tags: true },
      });
      await ctx.db.auditLog.create({
        data: {
          tenantId: ctx.tenant.id,
          actorId: ctx.session.user.id,
          action: "apiKey.update",
          target: key.id,
          details: { name: input.name ?? null, description: input.description ?? null, tags: input.tags ?? null },
        },
      });
      return updated;
    }),

  /**
   * Replaces the key's secret: same API ID, limits and history; the old secret stops working at
   * once (the admission script compares the presented secret's hash with the one marked in Redis).
   * The new secret is in this response only.
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
      await markKeyRotated({ apiKeyId: key.id, tenantId: key.tenantId }, generated.keyHash);
      await ctx.db.auditLog.create({
        data: { tenantId: ctx.tenant.id, actorId: ctx.session.user.id, action: "apiKey.rotate", target: key.id },
      });
      return { ...rotated, secret: generated.secret };
    }),
  /** One key with its settings and limits, for the per-key page. `canManage`: the caller may edit it. */
  get: tenantProcedure("VIEWER")
    .input(z.object({ keyId: keyIdSchema }))
    .query(async ({ ctx, input }) => {
      const key = await tenantKeyOrThrow(ctx.db, ctx.tenant.id, input.keyId, {
        id: true,
        name: true,
        description: true,
        tags: true,
        keyPrefix: true,
        createdAt: true,
        lastUsedAt: true,
        firstUsedAt: true,
        revokedAt: true,
        expiresAt: true,
        expiresAfterFirstUseDays: true,
        allowedModels: true,
        createdById: true,
        createdBy: { select: { email: true } },
        upstream: { select: { id: true, name: true, provider: true } },
        rateWindowMinutes: true,
        rateMaxRequests: true,
        rateMaxTokens: true,
        rateMaxCostMicros: true,
        maxConcurrency: true,
        dailyCostMicros: true,
        weeklyCostMicros: true,
        weeklyResetDay: true,
        weeklyResetHour: true,
        monthlyCostMicros: true,
        totalCostMicros: true,
        totalTokens: true,
        limitsSetByRole: true,
        revokedByRole: true,
      });
      const now = Date.now();
      const afterFirstUse =
        key.expiresAfterFirstUseDays !== null && key.firstUsedAt
          ? new Date(key.firstUsedAt.getTime() + key.expiresAfterFirstUseDays * DAY_MS)
          : null;
      const effectiveExpiresAt =
        key.expiresAt && afterFirstUse ? (key.expiresAt < afterFirstUse ? key.expiresAt : afterFirstUse) : (key.expiresAt ?? afterFirstUse);
      const status = key.revokedAt ? "revoked" : effectiveExpiresAt && effectiveExpiresAt.getTime() <= now ? "expired" : "active";
      const isAdmin = hasRole(ctx.membership.role, "ADMIN");
      return {
        id: key.id,
        name: key.name,
        description: key.description,
        tags: key.tags,
        keyPrefix: key.keyPrefix,
        createdAt: key.createdAt,
        lastUsedAt: key.lastUsedAt,
        firstUsedAt: key.firstUsedAt,
        revokedAt: key.revokedAt,
        effectiveExpiresAt,
        status: status as "active" | "revoked" | "expired",
        createdByEmail: key.createdBy?.email ?? null,
        upstream: key.upstream,
        canManage: isAdmin || (hasRole(ctx.membership.role, "MEMBER") && key.createdById === ctx.session.user.id),
        /** Limits the caller may tighten but not loosen (set by a higher role), and whether they may reactivate it / bind upstreams. */
        lockedLimits: lockedLimitFields(ctx.membership.role, key.limitsSetByRole, {
          expiresAt: key.expiresAt,
          expiresAfterFirstUseDays: key.expiresAfterFirstUseDays,
          allowedModels: key.allowedModels,
          rateWindowMinutes: key.rateWindowMinutes,
          rateMaxRequests: key.rateMaxRequests,
          rateMaxTokens: key.rateMaxTokens,
          rateMaxCostMicros: key.rateMaxCostMicros,
          maxConcurrency: key.maxConcurrency,
          dailyCostMicros: key.dailyCostMicros,
          weeklyCostMicros: key.weeklyCostMicros,
          weeklyResetDay: key.weeklyResetDay,
          weeklyResetHour: key.weeklyResetHour,
          monthlyCostMicros: key.monthlyCostMicros,
          totalCostMicros: key.totalCostMicros,
          totalTokens: key.totalTokens,
        }),
        canReactivate: hasRole(ctx.membership.role, key.revokedByRole ?? LEGACY_SETTER_ROLE),
        canBindUpstream: isAdmin,
        timeZone: ctx.tenant.timeZone,
        limits: {
          expiresAt: key.expiresAt,
          expiresAfterFirstUseDays: key.expiresAfterFirstUseDays,
          allowedModels: key.allowedModels,
          rateWindowMinutes: key.rateWindowMinutes,
          rateMaxRequests: key.rateMaxRequests,
          rateMaxTokens: num(key.rateMaxTokens),
          rateMaxCostMicros: num(key.rateMaxCostMicros),
          maxConcurrency: key.maxConcurrency,
          dailyCostMicros: num(key.dailyCostMicros),
          weeklyCostMicros: num(key.weeklyCostMicros),
          weeklyResetDay: key.weeklyResetDay,
          weeklyResetHour: key.weeklyResetHour,
          monthlyCostMicros: num(key.monthlyCostMicros),
          totalCostMicros: num(key.totalCostMicros),
          totalTokens: num(key.totalTokens),
          upstreamId: key.upstream?.id ?? null,
        },
      };
    }),

  /** Each limit of the key with its current use and seconds until it frees (live, from the ledger and Redis). */
  limitUse: tenantProcedure("VIEWER")
    .input(z.object({ keyId: keyIdSchema }))
    .query(async ({ ctx, input }) => {
      const row = await tenantKeyOrThrow(ctx.db, ctx.tenant.id, input.keyId, keyLimitsSelect);
      return { asOf: new Date(), limits: await limitStatus(toKeyLimits(row)) };
    }),

  /**
   * Sets the key's limits (the editor sends every field; absent = unchanged, null = no limit).
   * Same ownership rule as revoke; each call is one audit entry listing the changed fields.
   */
  updateLimits: tenantProcedure("MEMBER")
    .input(z.object({ keyId: keyIdSchema, ...keyLimitsShape }).superRefine(checkRateWindow))
    .mutation(async ({ ctx, input }) => {
      const actor = { tenantId: ctx.tenant.id, userId: ctx.session.user.id, role: ctx.membership.role };
      const key = await manageableKey(ctx.db, actor, input.keyId);
      const columns = toLimitColumns(input);
      if (columns.upstreamId) {
        const upstream = await ctx.db.upstream.findFirst({ where: { id: columns.upstreamId, tenantId: ctx.tenant.id }, select: { id: true } });
        if (!upstream) throw new TRPCError({ code: "BAD_REQUEST", message: "No such upstream in this tenant" });
      }
      const before = await ctx.db.apiKey.findUniqueOrThrow({ where: { id: key.id } });
      const window = columns.rateWindowMinutes !== undefined ? columns.rateWindowMinutes : before.rateWindowMinutes;
      const rateMaxSet = (["rateMaxRequests", "rateMaxTokens", "rateMaxCostMicros"] as const).some((f) =>
        columns[f] !== undefined ? columns[f] !== null : before[f] !== null,
      );
      if (rateMaxSet && window === null) {
        throw new TRPCError({ code: "BAD_REQUEST", message: "Set a rate window (minutes) for the rate limits" });
      }
      const revokedAt = input.active === undefined ? undefined : input.active ? null : (before.revokedAt ?? new Date());
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      const limitChanges: KeyChange["limits"] = {};
      for (const [field, value] of Object.entries(columns) as [keyof KeyLimitsColumns, KeyLimitsColumns[keyof KeyLimitsColumns]][]) {
        const from = auditValue(before[field]);
        const to = auditValue(value);
        if (JSON.stringify(from) === JSON.stringify(to)) continue;
        changes[field] = { from, to };
        if (field !== "upstreamId") limitChanges[field] = { from: before[field], to: value as never };
      }
      const activeChanged = revokedAt !== undefined && (revokedAt === null) !== (before.revokedAt === null);
      if (activeChanged) changes.active = { from: before.revokedAt === null, to: revokedAt === null };
      // Field-level role rules (key-field-rules.ts): refuses the whole change if any field is not the actor's to loosen.
      const roles = authorizeKeyChange(ctx.membership.role, before, {
        limits: limitChanges,
        upstreamChanged: "upstreamId" in changes,
        activate: activeChanged ? revokedAt === null : undefined,
      });
      await ctx.db.$transaction([
        ctx.db.apiKey.update({ where: { id: key.id }, data: { ...columns, revokedAt, ...roles } }),
        ctx.db.auditLog.create({
          data: {
            tenantId: ctx.tenant.id,
            actorId: ctx.session.user.id,
            action: "apiKey.limits",
            target: key.id,
            details: JSON.parse(JSON.stringify({ changes })) as object,
          },
        }),
      ]);
      if (revokedAt !== undefined) await markKeyActive({ apiKeyId: key.id, tenantId: key.tenantId }, revokedAt === null);
      return { id: key.id, changed: Object.keys(changes) };
    }),

  /** The key's usage over the last `days` days (tenant time zone): totals, daily series, per-model table. */
  usage: tenantProcedure("VIEWER")
    .input(z.object({ keyId: keyIdSchema, days: z.union(USAGE_PERIOD_DAYS.map((d) => z.literal(d))).default(30) }))
    .query(async ({ ctx, input }) => {
      await tenantKeyOrThrow(ctx.db, ctx.tenant.id, input.keyId, { id: true });
      const timeZone = zoneOrUtc(ctx.tenant.timeZone);
      const range = lastDays(input.days, timeZone);
      const [rows, hourly, overrides] = await Promise.all([
        usageRows({ tenantId: ctx.tenant.id, apiKeyId: input.keyId, from: range.from, to: range.to, dayBucketsIn: timeZone }),
        usageRows({ tenantId: ctx.tenant.id, apiKeyId: input.keyId, from: range.from, to: range.to }),
        loadPriceOverrides(ctx.tenant.id),
      ]);
      const cache = cacheEconomics(hourly, timeZone, { perKey: true, overrides });
      return { from: range.from, to: range.to, timeZone, ...buildUsageReport(rows, range.days, timeZone), cache, cacheTotals: sumCacheEconomics(cache) };
    }),

  /** The key's request log, newest first, paged by cursor; filters by status class, model and time. */
  requestLog: tenantProcedure("VIEWER")
    .input(
      z.object({
        keyId: keyIdSchema,
        filter: requestLogFilterSchema.default({}),
        cursor: z.string().max(200).nullish(),
        limit: z.number().int().min(1).max(REQUEST_LOG_MAX_PAGE).default(50),
      }),
    )
    .query(async ({ ctx, input }) => {
      await tenantKeyOrThrow(ctx.db, ctx.tenant.id, input.keyId, { id: true });
      return requestLogPage(ctx.db, {
        tenantId: ctx.tenant.id,
        apiKeyId: input.keyId,
        filter: input.filter,
        cursor: input.cursor,
        limit: input.limit,
      });
    }),
});
