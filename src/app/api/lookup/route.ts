/**
 * GET /api/lookup?id=<API ID>  — public, for scripts. Same data as the /lookup page.
 *
 * 200 application/json:
 * {
 *   "apiId": "123e4567-e89b-12d3-a456-426614174000",
 *   "asOf": "2026-11-23T10:00:00.000Z",          // when the numbers were read
 *   "totals": {                                   // all time, includes usage not yet flushed
 *     "requests": 3, "inputTokens": 1200, "outputTokens": 340,
 *     "cacheWrite5mTokens": 0, "cacheWrite1hTokens": 0, "cacheReadTokens": 800,
 *     "costMicros": 15807,                        // integer micro-dollars (1e-6 USD)
 *     "costUsd": "0.015807",                      // the same as a decimal string
 *     "errorCount": 0, "estimatedCount": 0, "latencyMsSum": 2100
 *   },
 *   "models": [ { "model": "claude-sonnet-4-5", ...same fields as totals } ]   // by cost, descending
 * }
 * An unknown or revoked ID returns the same shape with zeros and an empty "models" list.
 * 400 {"error": "..."} when id is not a UUID; 429 {"error": "..."} with Retry-After when the
 * per-IP limit (LOOKUP_RATE_LIMIT_PER_MINUTE) is exceeded.
 */
import { clientIpFrom } from "~/server/api/trpc";
import { apiIdSchema, lookupKeyUsage } from "~/server/api/lib/key-lookup";
import { toLookupJson } from "~/server/api/lib/lookup-json";
import { hitLookupLimit } from "~/server/api/lib/rate-limit";

export const dynamic = "force-dynamic";

const NO_STORE = { "cache-control": "no-store" };

export async function GET(req: Request): Promise<Response> {
  const parsed = apiIdSchema.safeParse(new URL(req.url).searchParams.get("id")?.trim() ?? "");
  if (!parsed.success) {
    return Response.json({ error: "Query parameter id must be an API ID (a UUID)" }, { status: 400, headers: NO_STORE });
  }
  const limit = await hitLookupLimit(clientIpFrom(req.headers));
  if (!limit.allowed) {
    return Response.json(
      { error: "Too many lookups from this address; try again later" },
      { status: 429, headers: { ...NO_STORE, "retry-after": String(limit.retryAfterSeconds) } },
    );
  }
  return Response.json(toLookupJson(await lookupKeyUsage(parsed.data)), { headers: NO_STORE });
}
