import { relayRoute } from "~/relay";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

// Any other path under /v1: the caller's protocol 404, without touching an upstream.
const notFound = relayRoute("not-found");
export { notFound as GET, notFound as POST, notFound as PUT, notFound as PATCH, notFound as DELETE };
