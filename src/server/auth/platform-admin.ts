import { notFound } from "next/navigation";
import { db } from "~/infra/db";
import { requireSession } from "./require";

/**
 * For admin pages: a signed-in platform admin (role read from the database), else a 404, so the
 * admin pages do not even reveal that they exist. The tRPC procedures check again.
 */
export async function requirePlatformAdmin(returnTo: string) {
  const session = await requireSession(returnTo);
  const user = await db.user.findUnique({ where: { id: session.user.id }, select: { platformRole: true } });
  if (user?.platformRole !== "ADMIN") notFound();
  return session;
}
