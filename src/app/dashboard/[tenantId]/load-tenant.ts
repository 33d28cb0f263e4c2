import "server-only";
import { TRPCError } from "@trpc/server";
import { notFound } from "next/navigation";
import { serverCaller } from "~/trpc/server";

/**
 * The tenant a dashboard page shows, through the tenant.get procedure (membership checked there):
 * a tenant the viewer may not see, or an id that is not one, answers 404 like an unknown tenant.
 */
export async function loadTenantOr404(tenantId: string) {
  try {
    return await (await serverCaller()).tenant.get({ tenantId });
  } catch (error) {
    if (error instanceof TRPCError && (error.code === "FORBIDDEN" || error.code === "BAD_REQUEST")) notFound();
    throw error;
  }
}
