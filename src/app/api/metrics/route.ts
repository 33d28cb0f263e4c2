/**
 * GET /api/metrics — Prometheus text exposition (prom-client). The scraper sends
 * `Authorization: Bearer <METRICS_TOKEN>`. Without METRICS_TOKEN the endpoint answers only while
 * every server of this process listens on loopback alone (nothing off the host can reach it);
 * otherwise it refuses, so a forgotten token never leaves metrics open to the network.
 */
import { servesLoopbackOnly } from "~/net";
import { metricsAuthorized } from "~/infra/observability/metrics";
import { metricsContentType, metricsText } from "~/server/metrics";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

function refused(reason: string): Response {
  return new Response(`${reason}\n`, {
    status: 401,
    headers: { "www-authenticate": 'Bearer realm="metrics"', "cache-control": "no-store" },
  });
}

export async function GET(req: Request): Promise<Response> {
  if (!process.env.METRICS_TOKEN && !servesLoopbackOnly()) {
    return refused("unauthorized: set METRICS_TOKEN (or listen on loopback only) to expose metrics");
  }
  if (!metricsAuthorized(req.headers.get("authorization"))) return refused("unauthorized");
  const body = await metricsText();
  return new Response(body, { headers: { "content-type": metricsContentType(), "cache-control": "no-store" } });
}
