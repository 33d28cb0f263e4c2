import { apiKeyRouter } from "./routers/apiKey";
import { authRouter } from "./routers/auth";
import { invitationRouter } from "./routers/invitation";
import { lookupRouter } from "./routers/lookup";
import { memberRouter } from "./routers/member";
import { tenantRouter } from "./routers/tenant";
import { usageRouter } from "./routers/usage";
import { createCallerFactory, createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  auth: authRouter,
  tenant: tenantRouter,
  apiKey: apiKeyRouter,
  member: memberRouter,
  invitation: invitationRouter,
  usage: usageRouter,
  lookup: lookupRouter,
});

export type AppRouter = typeof appRouter;

/** Server-side caller: `createCaller(ctx).tenant.mine()`. */
export const createCaller = createCallerFactory(appRouter);
