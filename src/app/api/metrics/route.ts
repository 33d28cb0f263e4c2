/**
 * GET /api/metrics — Prometheus text exposition (prom-client). When METRICS_TOKEN is set, the
 * scraper must send `Authorization: Bearer <METRICS_TOKEN>`; otherwise the endpoint is open
 * (restrict it at the network level).
 */
import { metricsAuthorized, metricsContentType, metricsText } from "~/server/observability/metrics";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

export async function GET(req: Request): Promise<Response> {
  if (!metricsAuthorized(req.headers.get("authorization"))) {
    return new Response("unauthorized\n", {
      status: 401,
      headers: { "www-authenticate": 'Bearer realm="metrics"', "cache-control": "no-store" },
    });
  }
  const body = await metricsText();
  return new Response(body, { headers: { "content-type": metricsContentType(), "cache-control": "no-store" } });
}
