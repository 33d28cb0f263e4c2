/**
 * tRPC setup (t3 layout): the request context and the procedure builders every router uses.
 *
 * Access rules live here, server-side:
 *  - publicProcedure: anyone.
 *  - protectedProcedure: a signed-in user.
 *  - tenantProcedure(minRole): input carries `tenantId`; the caller's membership of that tenant is
 *    loaded from the database and must have at least `minRole`, else FORBIDDEN. Handlers get
 *    `ctx.tenant` and `ctx.membership` and must scope every query by `ctx.tenant.id`.
 *  - platformAdminProcedure: a user whose platformRole is ADMIN (read from the database, not the JWT).
 */
import { initTRPC, TRPCError } from "@trpc/server";
import type { Session } from "next-auth";
import superjson from "superjson";
import { z, ZodError } from "zod";
import type { MemberRole } from "~/generated/prisma/enums";
import type { PrismaClient } from "~/generated/prisma/client";
import { hasRole, KeysError, ROLE_RANK } from "~/keys";
import type { Actor } from "~/keys/server";
import type { Locale } from "~/i18n/config";
import { localizeIssue, localizeServerMessage, requestLocale } from "~/i18n/server-messages";
import { clientIpFrom } from "~/net";
import { db } from "~/infra/db";

export interface TRPCContext {
  db: PrismaClient;
  session: Session | null;
  headers: Headers;
  /** The client's address for rate limits (src/net: honours TRUSTED_PROXY_HOPS); null if unknown. */
  clientIp: string | null;
}

export function createTRPCContext(opts: { headers: Headers; session: Session | null }): TRPCContext {
  return { db, session: opts.session, headers: opts.headers, clientIp: clientIpFrom(opts.headers) };
}

/** Validation errors as the client sees them: per-field messages for forms. */
export interface ZodErrorShape {
  formErrors: string[];
  fieldErrors: Partial<Record<string, string[]>>;
}

function zodErrorShape(cause: unknown, locale: Locale): ZodErrorShape | null {
  return cause instanceof ZodError ? z.flattenError(cause, (issue) => localizeIssue(issue, locale)) : null;
}

const t = initTRPC.context<TRPCContext>().create({
  transformer: superjson,
  // Messages in the caller's language (the portal shows them as they come).
  errorFormatter: ({ shape, error, ctx }) => {
    const locale = requestLocale(ctx?.headers);
    return {
      ...shape,
      message: localizeServerMessage(shape.message, locale),
      data: {
        ...shape.data,
        zodError: zodErrorShape(error.cause, locale),
      },
    };
  },
});

export const createCallerFactory = t.createCallerFactory;
export const createTRPCRouter = t.router;
export const middleware = t.middleware;

/** A refusal from the keys module (KeysError) reaches the client with its own code and message. */
const keysErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof KeysError) {
    throw new TRPCError({ code: result.error.cause.code, message: result.error.cause.message, cause: result.error.cause });
  }
  return result;
});

export const publicProcedure = t.procedure.use(keysErrors);

export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  const user = ctx.session?.user;
  if (!user?.id) throw new TRPCError({ code: "UNAUTHORIZED" });
  return next({ ctx: { session: { ...ctx.session, user } } });
});

export { hasRole, ROLE_RANK };

export const tenantIdSchema = z.string().trim().min(1).max(64);

/** A procedure scoped to one tenant: the caller must be a member with at least `minRole`. */
export function tenantProcedure(minRole: MemberRole) {
  return protectedProcedure.input(z.object({ tenantId: tenantIdSchema })).use(async ({ ctx, input, next }) => {
    const membership = await ctx.db.membership.findUnique({
      where: { userId_tenantId: { userId: ctx.session.user.id, tenantId: input.tenantId } },
      select: {
        role: true,
        tenant: { select: { id: true, name: true, slug: true, timeZone: true, suspendedAt: true } },
      },
    });
    // Same answer for "no such tenant" and "not a member": tenant ids cannot be probed.
    if (!membership || !hasRole(membership.role, minRole)) {
      throw new TRPCError({ code: "FORBIDDEN", message: "You do not have access to this tenant" });
    }
    return next({ ctx: { tenant: membership.tenant, membership: { role: membership.role } } });
  });
}

/** The caller of a tenantProcedure as the keys module's actor (the procedure checked the membership). */
export function memberActor(ctx: {
  tenant: { id: string };
  session: { user: { id: string } };
  membership: { role: MemberRole };
}): Extract<Actor, { kind: "member" }> {
  return { kind: "member", userId: ctx.session.user.id, tenantId: ctx.tenant.id, role: ctx.membership.role };
}

export const platformAdminProcedure = protectedProcedure.use(async ({ ctx, next }) => {
  const user = await ctx.db.user.findUnique({
    where: { id: ctx.session.user.id },
    select: { platformRole: true },
  });
  if (user?.platformRole !== "ADMIN") throw new TRPCError({ code: "FORBIDDEN" });
  return next();
});
