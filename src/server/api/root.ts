import { adminRouter } from "./routers/admin";
import { apiKeyRouter } from "./routers/apiKey";
import { auditRouter } from "./routers/audit";
import { authRouter } from "./routers/auth";
import { invitationRouter } from "./routers/invitation";
import { lookupRouter } from "./routers/lookup";
import { memberRouter } from "./routers/member";
import { peopleRouter } from "./routers/people";
import { requestRouter } from "./routers/request";
import { settingsRouter } from "./routers/settings";
import { tenantRouter } from "./routers/tenant";
import { upstreamRouter } from "./routers/upstream";
import { usageRouter } from "./routers/usage";
import { createCallerFactory, createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  auth: authRouter,
  tenant: tenantRouter,
  apiKey: apiKeyRouter,
  member: memberRouter,
  invitation: invitationRouter,
  usage: usageRouter,
  people: peopleRouter,
  lookup: lookupRouter,
  admin: adminRouter,
  audit: auditRouter,
  settings: settingsRouter,
  upstream: upstreamRouter,
  request: requestRouter,
});

export type AppRouter = typeof appRouter;

/** Server-side caller: `createCaller(ctx).tenant.mine()`. */
export const createCaller = createCallerFactory(appRouter);
