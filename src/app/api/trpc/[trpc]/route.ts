import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import type { NextRequest } from "next/server";
import { appRouter } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";
import { getServerAuthSession } from "~/server/auth";
import { withBoundedBody } from "~/server/http/bounded-body";

export const dynamic = "force-dynamic";

async function handler(incoming: NextRequest): Promise<Response> {
  // Portal calls are small (sign-up is public): read the body within the public limit.
  const req = await withBoundedBody(incoming);
  if (req instanceof Response) return req;
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: async () => createTRPCContext({ headers: req.headers, session: await getServerAuthSession() }),
    onError:
      process.env.NODE_ENV === "development"
        ? ({ path, error }) => console.error(`tRPC failed on ${path ?? "<no-path>"}: ${error.message}`)
        : ({ error, path }) => {
            if (error.code === "INTERNAL_SERVER_ERROR") console.error(`tRPC ${path ?? "?"}:`, error.cause ?? error);
          },
  });
}

export { handler as GET, handler as POST };
