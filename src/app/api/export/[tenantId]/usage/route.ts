/** CSV of usage per day and model, for a key or the whole tenant (see src/server/export/csv.ts). */
import { getServerAuthSession } from "~/server/auth";
import { exportUsage } from "~/server/export/csv";

export const dynamic = "force-dynamic";

export async function GET(req: Request, { params }: { params: Promise<{ tenantId: string }> }): Promise<Response> {
  const { tenantId } = await params;
  return exportUsage(req, tenantId, await getServerAuthSession());
}
