/**
 * GET  /api/lookup?id=<API ID>     — public, for scripts. Same data as the /lookup page.
 * POST /api/lookup  {"key": "mg-…"} — the same answer, found by the key itself. The key travels in
 *      the body (never in a URL), is hashed at once and never logged; the answer includes its apiId.
 *
 * 200 application/json:
 * {
 *   "apiId": "123e4567-e89b-12d3-a456-426614174000",   // POST: null when the key is unknown or revoked
 *   "found": true,                                // false when the key is unknown or revoked (alike)
 *   "asOf": "2026-11-23T10:00:00.000Z",          // when the numbers were read
 *   "timeZone": "UTC",                            // the tenant's zone: days, weeks, months are counted in it
 *   "expiresAt": "2026-12-31T00:00:00.000Z",      // or null; the earlier of the fixed date and N days after first use
 *   "totals": {                                   // all time, includes usage not yet flushed
 *     "requests": 3, "inputTokens": 1200, "outputTokens": 340,
 *     "cacheWrite5mTokens": 0, "cacheWrite1hTokens": 0, "cacheReadTokens": 800,
 *     "costMicros": 15807,                        // integer micro-dollars (1e-6 USD)
 *     "costUsd": "0.015807",                      // the same as a decimal string
 *     "errorCount": 0, "estimatedCount": 0, "latencyMsSum": 2100
 *   },
 *   "models": [ { "model": "claude-sonnet-4-5", ...same fields as totals } ],   // all time, by cost, descending
 *   "today":     { "from": "2026-11-23T00:00:00.000Z", "totals": {...}, "models": [...] },
 *   "thisMonth": { "from": "2026-11-01T00:00:00.000Z", "totals": {...}, "models": [...] },
 *   "limits": [                                   // every limit set on the key, with its current use
 *     { "name": "rate_requests", "unit": "requests", "max": 10, "used": 3,
 *       "resetsInSec": 42, "periodId": null },    // seconds until the window frees; null = never (all-time, concurrency)
 *     { "name": "cost_daily", "unit": "micros", "max": 5000000, "used": 15807, "resetsInSec": 49000,
 *       "periodId": "d20261123", "maxUsd": "5.000000", "usedUsd": "0.015807" }
 *   ]   // names: rate_requests rate_tokens rate_cost concurrency cost_daily cost_weekly cost_monthly
 *       //        cost_total tokens_total tenant_budget; units: requests tokens micros concurrent
 * }
 * POST only (the holder of the secret, not anyone who knows the API ID) also answers "attribution":
 * {"from": "...", "people": [{"endUserId", "kind": "named"|"none"|"other", "requests", …, "costUsd",
 *  "firstSeenAt", "lastSeenAt"}], "sessions": [{"sessionId", "endUserId", "firstSeenAt", "lastSeenAt",
 *  "durationMs", "requests", …, "costUsd"}]} over the last 30 UTC days (50 most recent sessions), or
 *  null for an unknown key; body fields "endUserId" / "sessionId" narrow both lists.
 * An unknown or revoked ID returns the same shape with "found": false, zeros, empty "models" and
 * "limits", and "expiresAt": null. 400 {"error": "..."} when id is not a UUID (or key not a Metergate key);
 * 429 {"error": "..."} with Retry-After when the per-IP limit (LOOKUP_RATE_LIMIT_PER_MINUTE, shared
 * by GET, POST and the page) is exceeded.
 */
import { z } from "zod";
import { clientIpFrom } from "~/net";
import { apiIdForSecret, apiIdSchema, apiKeySecretSchema, emptyLookup, lookupKeyUsage } from "~/server/api/lib/key-lookup";
import { toAttributionJson, toLookupJson } from "~/server/api/lib/lookup-json";
import { attributionIdSchema, keyAttribution } from "~/server/api/lib/people";
import { hitLookupLimit } from "~/server/api/lib/rate-limit";
import { payloadTooLarge, readBoundedBody } from "~/server/http/bounded-body";

export const dynamic = "force-dynamic";

/** {"key": "mg-…"} is under 100 bytes. */
const LOOKUP_BODY_MAX_BYTES = 4096;

const NO_STORE = { "cache-control": "no-store" };

async function rateLimited(req: Request): Promise<Response | null> {
  const limit = await hitLookupLimit(clientIpFrom(req.headers));
  if (limit.allowed) return null;
  return Response.json(
    { error: "Too many lookups from this address; try again later" },
    { status: 429, headers: { ...NO_STORE, "retry-after": String(limit.retryAfterSeconds) } },
  );
}

export async function GET(req: Request): Promise<Response> {
  const parsed = apiIdSchema.safeParse(new URL(req.url).searchParams.get("id")?.trim() ?? "");
  if (!parsed.success) {
    return Response.json({ error: "Query parameter id must be an API ID (a UUID)" }, { status: 400, headers: NO_STORE });
  }
  const limited = await rateLimited(req);
  if (limited) return limited;
  return Response.json(toLookupJson(await lookupKeyUsage(parsed.data)), { headers: NO_STORE });
}

const postBodySchema = z.object({
  key: apiKeySecretSchema,
  endUserId: attributionIdSchema.optional(),
  sessionId: attributionIdSchema.optional(),
});

export async function POST(req: Request): Promise<Response> {
  const raw = await readBoundedBody(req, LOOKUP_BODY_MAX_BYTES);
  if (raw === null) return payloadTooLarge(LOOKUP_BODY_MAX_BYTES);
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(raw).toString("utf8"));
  } catch {
    body = null;
  }
  const parsed = postBodySchema.safeParse(body);
  if (!parsed.success) {
    return Response.json(
      { error: 'Send {"key": "mg-…"}: a Metergate API key (and optionally "endUserId", "sessionId": recorded ids)' },
      { status: 400, headers: NO_STORE },
    );
  }
  const limited = await rateLimited(req);
  if (limited) return limited;
  const apiId = await apiIdForSecret(parsed.data.key);
  if (!apiId) return Response.json({ ...toLookupJson(emptyLookup("")), apiId: null, attribution: null }, { headers: NO_STORE });
  const { endUserId, sessionId } = parsed.data;
  const [usage, attribution] = await Promise.all([lookupKeyUsage(apiId), keyAttribution(apiId, { endUserId, sessionId })]);
  return Response.json(
    { ...toLookupJson(usage), attribution: attribution ? toAttributionJson(attribution.from, attribution.people, attribution.sessions) : null },
    { headers: NO_STORE },
  );
}
