import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { PrismaClient } from "~/generated/prisma/client";
import {
  checkRateWindow,
  keyExpiresAt,
  keyStatus,
  keyLimitsSelect,
  keyLimitsShape,
  LEGACY_SETTER_ROLE,
  LIMIT_FIELDS,
  limitColumnsSelect,
  lockedLimitFields,
  toKeyLimits,
  toLimitColumns,
  toLimitValues,
} from "~/keys";
import { createKey, loadPriceOverrides, revokeKey, rotateKey, setKeyLimits, updateKeyDetails } from "~/keys/server";
import { limitStatus, usageRows } from "~/ledger";
import { DEFAULT_REQUEST_LOG_SORT, REQUEST_LOG_MAX_PAGE, requestLogFilterSchema, requestLogPage, requestLogSortSchema } from "../lib/request-log";
import { DAY_MS, lastDays, zoneOrUtc } from "~/lib/time";
import { buildUsageReport } from "../lib/usage-report";
import { cacheEconomics, cacheEconomicsQuery, sumCacheEconomics } from "../lib/cache-economics";
import { createTRPCRouter, hasRole, memberActor, tenantProcedure } from "../trpc";
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


export const apiKeyRouter = createTRPCRouter({
  /** Creates a key. The secret is in this response only; the database keeps its hash. */
  create: tenantProcedure("MEMBER")
    .input(z.object({ name: keyNameSchema }))
    .mutation(async ({ ctx, input }) => {
      const { id, name, keyPrefix, createdAt, secret } = await createKey(memberActor(ctx), { tenantId: ctx.tenant.id, name: input.name }, ctx.db);
      return { id, name, keyPrefix, createdAt, secret };
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
        expiresAfterFirstUseDays: true,
        firstUsedAt: true,
        createdById: true,
        createdBy: { select: { email: true } },
      },
    });
    const isAdmin = hasRole(ctx.membership.role, "ADMIN");
    const canManageOwn = hasRole(ctx.membership.role, "MEMBER");
    const now = Date.now();
    return keys.map(({ createdBy, createdById, expiresAfterFirstUseDays, firstUsedAt, ...key }) => ({
      ...key,
      /** Revoked, expired (by date or N days after first use) or active, as of this answer. */
      status: keyStatus({ ...key, expiresAfterFirstUseDays, firstUsedAt }, now),
      createdByEmail: createdBy?.email ?? null,
      canManage: isAdmin || (canManageOwn && createdById === ctx.session.user.id),
    }));
  }),

  /** Revokes a key for good. Members may revoke their own keys; admins and owners any key. */
  revoke: tenantProcedure("MEMBER")
    .input(z.object({ keyId: keyIdSchema }))
    .mutation(async ({ ctx, input }) => {
      const { id, revokedAt } = await revokeKey(memberActor(ctx), input.keyId, ctx.db);
      return { id, revokedAt };
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
    .mutation(({ ctx, input }) =>
      updateKeyDetails(memberActor(ctx), input.keyId, { name: input.name, description: input.description, tags: input.tags }, ctx.db),
    ),

  /**
   * Replaces the key's secret: same API ID, limits and history; the old secret stops working at
   * once (the admission script compares the presented secret's hash with the one marked in Redis).
   * The new secret is in this response only.
   */
  rotate: tenantProcedure("MEMBER")
    .input(z.object({ keyId: keyIdSchema }))
    .mutation(({ ctx, input }) => rotateKey(memberActor(ctx), input.keyId, ctx.db)),
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
        createdById: true,
        createdBy: { select: { email: true } },
        upstream: { select: { id: true, name: true, provider: true } },
        limitsSetByRole: true,
        revokedByRole: true,
        ...limitColumnsSelect,
      });
      const effectiveExpiresAt = keyExpiresAt(key);
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
        status: keyStatus(key, Date.now()),
        createdByEmail: key.createdBy?.email ?? null,
        upstream: key.upstream,
        canManage: isAdmin || (hasRole(ctx.membership.role, "MEMBER") && key.createdById === ctx.session.user.id),
        /** Limits the caller may tighten but not loosen (set by a higher role), and whether they may reactivate it / bind upstreams. */
        lockedLimits: lockedLimitFields(ctx.membership.role, key.limitsSetByRole, Object.fromEntries(LIMIT_FIELDS.map((f) => [f, key[f]]))),
        canReactivate: hasRole(ctx.membership.role, key.revokedByRole ?? LEGACY_SETTER_ROLE),
        canBindUpstream: isAdmin,
        timeZone: ctx.tenant.timeZone,
        limits: toLimitValues(key),
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
    .mutation(({ ctx, input }) =>
      setKeyLimits(memberActor(ctx), input.keyId, { columns: toLimitColumns(input), active: input.active }, ctx.db),
    ),

  /** The key's usage over the last `days` days (tenant time zone): totals, daily series, per-model table. */
  usage: tenantProcedure("VIEWER")
    .input(z.object({ keyId: keyIdSchema, days: z.union(USAGE_PERIOD_DAYS.map((d) => z.literal(d))).default(30) }))
    .query(async ({ ctx, input }) => {
      await tenantKeyOrThrow(ctx.db, ctx.tenant.id, input.keyId, { id: true });
      const timeZone = zoneOrUtc(ctx.tenant.timeZone);
      const range = lastDays(input.days, timeZone);
      // One query serves both: rows per local day (split only where a price changes) sum to the
      // daily series as well as plain day buckets do.
      const [rows, overrides] = await Promise.all([
        usageRows(cacheEconomicsQuery({ tenantId: ctx.tenant.id, apiKeyId: input.keyId }, range, timeZone)),
        loadPriceOverrides(ctx.tenant.id),
      ]);
      const cache = cacheEconomics(rows, timeZone, { perKey: true, overrides });
      return { from: range.from, to: range.to, timeZone, ...buildUsageReport(rows, range.days, timeZone), cache, cacheTotals: sumCacheEconomics(cache) };
    }),

  /** The key's request log, newest first or sorted by a column, paged by a cursor of that order; filters by status class, model, time, end user and session. */
  requestLog: tenantProcedure("VIEWER")
    .input(
      z.object({
        keyId: keyIdSchema,
        filter: requestLogFilterSchema.default({}),
        sort: requestLogSortSchema.default(DEFAULT_REQUEST_LOG_SORT),
        // A model name (≤ 200 characters) and a request id, as base64url JSON.
        cursor: z.string().max(1000).nullish(),
        limit: z.number().int().min(1).max(REQUEST_LOG_MAX_PAGE).default(50),
      }),
    )
    .query(async ({ ctx, input }) => {
      await tenantKeyOrThrow(ctx.db, ctx.tenant.id, input.keyId, { id: true });
      return requestLogPage(ctx.db, {
        tenantId: ctx.tenant.id,
        apiKeyId: input.keyId,
        filter: input.filter,
        sort: input.sort,
        cursor: input.cursor,
        limit: input.limit,
      });
    }),
});
