/**
 * GET /api/ready — readiness. 200 when Postgres answers `SELECT 1`, Redis answers PING and every
 * migration in prisma/migrations is applied; 503 otherwise. Body (both cases):
 * {"status":"ok"|"unavailable","checks":{"postgres":{"ok":true,"latencyMs":1},
 *  "redis":{"ok":true,"latencyMs":0},"migrations":{"ok":true,"latencyMs":2,"expected":1,"applied":1,
 *  "pending":[],"failed":[],"unknown":[]}}}  — a failed check carries "error".
 */
import { checkReadiness } from "~/infra/observability/readiness";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

export async function GET(): Promise<Response> {
  const report = await checkReadiness();
  return Response.json(report, {
    status: report.status === "ok" ? 200 : 503,
    headers: { "cache-control": "no-store" },
  });
}
