/**
 * Tenant settings (owners and admins): time zone, monthly budget, alert webhook, price overrides.
 * Every change writes one audit entry. The webhook secret is shown once, when generated, and
 * stored encrypted (write-only). The webhook URL goes through the egress policy.
 */
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { encryptWebhookSecret } from "~/alerts/secret";
import { generateWebhookSecret } from "~/alerts/signature";
import { egressUrlSchema, redactUrl } from "~/egress";
import { isUsdAmount, parseUsdToMicros } from "~/lib/money";
import { env } from "~/infra/env";
import { supportedTimeZones } from "~/lib/time";
import { findModelPrice } from "~/pricing";
import { unpricedModelPolicySchema } from "~/relay/unpriced-policy";
import { createTRPCRouter, tenantProcedure } from "../trpc";

export const timeZoneSchema = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .refine((tz) => supportedTimeZones().has(tz), "Not a time zone this server knows (IANA name such as Europe/Berlin)");

const usdSchema = z.string().trim().refine(isUsdAmount, "A dollar amount such as 500 or 12.50 (at most 6 decimals)");

/** Save time: shape and host rules of the egress policy (the address is checked again on every connect). */
const webhookUrlInputSchema = egressUrlSchema("webhook", 2048);

/** Dollars per million tokens → integer micro-dollars per million tokens (the PriceOverride unit). */
const perMillionSchema = usdSchema
  .transform((s) => parseUsdToMicros(s))
  .refine((v) => v <= 2_147_483_647n, "At most $2147.483647 per million tokens")
  .transform((v) => Number(v));

export const priceOverrideInputSchema = z.object({
  model: z
    .string()
    .trim()
    .min(1)
    .max(120)
    .regex(/^[A-Za-z0-9._:/@-]+$/, "A model id such as claude-sonnet-4-5"),
  input: perMillionSchema,
  output: perMillionSchema,
  /** Empty = 1.25× input (5m) / 2× input (1h) / 0.1× input (read), as the table defaults. */
  cacheWrite5m: perMillionSchema.optional(),
  cacheWrite1h: perMillionSchema.optional(),
  cacheRead: perMillionSchema.optional(),
});

export const settingsRouter = createTRPCRouter({
  get: tenantProcedure("ADMIN").query(async ({ ctx }) => {
    const tenant = await ctx.db.tenant.findUniqueOrThrow({
      where: { id: ctx.tenant.id },
      select: { timeZone: true, monthlyBudgetMicros: true, webhookUrl: true, webhookSecretEnc: true, unpricedModelPolicy: true },
    });
    const overrides = await ctx.db.priceOverride.findMany({ where: { tenantId: ctx.tenant.id }, orderBy: { model: "asc" } });
    return {
      timeZone: tenant.timeZone,
      monthlyBudgetMicros: tenant.monthlyBudgetMicros === null ? null : Number(tenant.monthlyBudgetMicros),
      // Admins set it, so it is shown (query included); never credentials (see redactUrl).
      webhookUrl: tenant.webhookUrl === null ? null : redactUrl(tenant.webhookUrl, { keepQuery: true }),
      /** Whether a secret is set; the secret itself is never returned after it was generated. */
      hasWebhookSecret: tenant.webhookSecretEnc !== null,
      /** null = the platform default (`platformUnpricedModelPolicy`). */
      unpricedModelPolicy: unpricedModelPolicySchema.nullable().catch(null).parse(tenant.unpricedModelPolicy),
      platformUnpricedModelPolicy: env.UNPRICED_MODEL_POLICY,
      priceOverrides: overrides.map((o) => {
        const shipped = findModelPrice(o.model);
        return {
          model: o.model,
          input: o.input,
          output: o.output,
          cacheWrite5m: o.cacheWrite5m,
          cacheWrite1h: o.cacheWrite1h,
          cacheRead: o.cacheRead,
          updatedAt: o.updatedAt,
          shipped: shipped ? { input: shipped.input, output: shipped.output } : null,
        };
      }),
    };
  }),

  /** Time zone, monthly budget (dollars, null = none) and webhook URL (null = none). */
  update: tenantProcedure("ADMIN")
    .input(
      z.object({
        timeZone: timeZoneSchema.optional(),
        monthlyBudgetUsd: usdSchema.nullable().optional(),
        webhookUrl: webhookUrlInputSchema.nullable().optional(),
        /** What the relay does with models that have no price; null = the platform default. */
        unpricedModelPolicy: unpricedModelPolicySchema.nullable().optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const data = {
        timeZone: input.timeZone,
        monthlyBudgetMicros:
          input.monthlyBudgetUsd === undefined ? undefined : input.monthlyBudgetUsd === null ? null : parseUsdToMicros(input.monthlyBudgetUsd),
        webhookUrl: input.webhookUrl,
        unpricedModelPolicy: input.unpricedModelPolicy,
      };
      const updated = await ctx.db.tenant.update({
        where: { id: ctx.tenant.id },
        data,
        select: { timeZone: true, monthlyBudgetMicros: true, webhookUrl: true },
      });
      await ctx.db.auditLog.create({
        data: {
          tenantId: ctx.tenant.id,
          actorId: ctx.session.user.id,
          action: "tenant.settings",
          target: ctx.tenant.id,
          details: {
            timeZone: input.timeZone ?? null,
            monthlyBudgetMicros: data.monthlyBudgetMicros === undefined ? "unchanged" : (data.monthlyBudgetMicros?.toString() ?? null),
            // Query values may be receiver tokens: the audit log keeps only their names.
            webhookUrl: input.webhookUrl === undefined ? "unchanged" : input.webhookUrl === null ? null : redactUrl(input.webhookUrl),
            unpricedModelPolicy: input.unpricedModelPolicy === undefined ? "unchanged" : input.unpricedModelPolicy,
          },
        },
      });
      return {
        timeZone: updated.timeZone,
        monthlyBudgetMicros: updated.monthlyBudgetMicros === null ? null : Number(updated.monthlyBudgetMicros),
        webhookUrl: updated.webhookUrl === null ? null : redactUrl(updated.webhookUrl, { keepQuery: true }),
      };
    }),

  /** A new webhook signing secret: in this response only; stored encrypted. */
  rotateWebhookSecret: tenantProcedure("ADMIN").mutation(async ({ ctx }) => {
    const secret = generateWebhookSecret();
    await ctx.db.tenant.update({ where: { id: ctx.tenant.id }, data: { webhookSecretEnc: encryptWebhookSecret(secret) } });
    await ctx.db.auditLog.create({
      data: { tenantId: ctx.tenant.id, actorId: ctx.session.user.id, action: "tenant.webhookSecret", target: ctx.tenant.id },
    });
    return { secret };
  }),

  /** Sets the tenant's price for a model (dollars per million tokens); applies to requests recorded from now on. */
  setPriceOverride: tenantProcedure("ADMIN")
    .input(priceOverrideInputSchema)
    .mutation(async ({ ctx, input }) => {
      const prices = {
        input: input.input,
        output: input.output,
        cacheWrite5m: input.cacheWrite5m ?? Math.round(input.input * 1.25),
        cacheWrite1h: input.cacheWrite1h ?? input.input * 2,
        cacheRead: input.cacheRead ?? Math.round(input.input / 10),
      };
      await ctx.db.priceOverride.upsert({
        where: { tenantId_model: { tenantId: ctx.tenant.id, model: input.model } },
        create: { tenantId: ctx.tenant.id, model: input.model, ...prices },
        update: prices,
      });
      await ctx.db.auditLog.create({
        data: {
          tenantId: ctx.tenant.id,
          actorId: ctx.session.user.id,
          action: "priceOverride.set",
          target: input.model,
          details: prices,
        },
      });
      return { model: input.model, ...prices };
    }),

  deletePriceOverride: tenantProcedure("ADMIN")
    .input(z.object({ model: z.string().trim().min(1).max(120) }))
    .mutation(async ({ ctx, input }) => {
      const { count } = await ctx.db.priceOverride.deleteMany({ where: { tenantId: ctx.tenant.id, model: input.model } });
      if (count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "No override for this model" });
      await ctx.db.auditLog.create({
        data: { tenantId: ctx.tenant.id, actorId: ctx.session.user.id, action: "priceOverride.delete", target: input.model },
      });
      return { model: input.model };
    }),
});
