import { getServerSession, type Session } from "next-auth";
import { authOptions } from "./config";

export { authOptions };

/** The signed-in user's session in a Server Component, route handler or server action; null if signed out. */
export async function getServerAuthSession(): Promise<Session | null> {
  const session = await getServerSession(authOptions);
  return session?.user.id ? session : null;
}
