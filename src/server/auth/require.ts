import type { Session } from "next-auth";
import { redirect } from "next/navigation";
import { getServerAuthSession } from "./index";

/** The session, or a redirect to sign-in that comes back to `returnTo`. For pages only. */
export async function requireSession(returnTo: string): Promise<Session> {
  const session = await getServerAuthSession();
  if (!session) redirect(`/signin?callbackUrl=${encodeURIComponent(returnTo)}`);
  return session;
}
