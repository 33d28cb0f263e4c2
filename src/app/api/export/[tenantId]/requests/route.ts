/** CSV of a key's request log (see src/server/export/csv.ts). Session + tenant membership required. */
import { getServerAuthSession } from "~/server/auth";
import { exportRequestLog } from "~/server/export/csv";

export const dynamic = "force-dynamic";

export async function GET(req: Request, { params }: { params: Promise<{ tenantId: string }> }): Promise<Response> {
  const { tenantId } = await params;
  return exportRequestLog(req, tenantId, await getServerAuthSession());
}
