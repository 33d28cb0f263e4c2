/**
 * GET /api/health — liveness. 200 {"status":"ok"} while the process serves HTTP; touches neither
 * Postgres nor Redis, so an outage of those does not get healthy instances restarted.
 * Use /api/ready for load-balancer membership.
 */
export const dynamic = "force-dynamic";
export const runtime = "nodejs";

export function GET(): Response {
  return Response.json({ status: "ok" }, { headers: { "cache-control": "no-store" } });
}
