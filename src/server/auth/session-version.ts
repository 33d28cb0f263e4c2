/**
 * Ending JWT sessions before they expire. A session's JWT carries the user's sessionVersion from
 * sign-in; every time the session is read (next-auth's jwt callback, so getServerSession, the tRPC
 * context and /api/auth/session alike) it is compared with the user's current value, one
 * primary-key read. Signing out and being removed from a tenant bump the value, which ends every
 * session of that user on every device and instance at once.
 */
import type { PrismaClient } from "~/generated/prisma/client";
import { db } from "~/infra/db";

export class SessionRevokedError extends Error {
  constructor() {
    super("SessionRevoked");
    this.name = "SessionRevokedError";
  }
}

/** Throws SessionRevokedError unless `userId` exists and still has `version`. */
export async function assertSessionCurrent(userId: string, version: number): Promise<void> {
  const user = await db.user.findUnique({ where: { id: userId }, select: { sessionVersion: true } });
  if (!user || user.sessionVersion !== version) throw new SessionRevokedError();
}

/** Ends every session of the user (sign-out, removal from a tenant: pass its transaction). */
export async function endSessions(userId: string, client: Pick<PrismaClient, "user"> = db): Promise<void> {
  await client.user.updateMany({ where: { id: userId }, data: { sessionVersion: { increment: 1 } } });
}
