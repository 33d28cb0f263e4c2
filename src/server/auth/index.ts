import { getServerSession, type Session } from "next-auth";
import { cache } from "react";
import { authOptions } from "./config";

export { authOptions };

/**
 * The signed-in user's session in a Server Component, route handler or server action; null if signed
 * out. Read once per server render (React cache): a page and its tRPC context share one token
 * decryption and one session-version check.
 */
export const getServerAuthSession = cache(async (): Promise<Session | null> => {
  const session = await getServerSession(authOptions);
  return session?.user.id ? session : null;
});
