/**
 * next-auth v4: email + password (Credentials), JWT sessions signed with NEXTAUTH_SECRET, so a
 * session survives a server restart and works on any instance behind a load balancer. The JWT
 * carries the user's session version, checked on every read, so sign-out and removal from a
 * tenant end sessions server-side (session-version.ts). Sign-in is throttled (throttle.ts).
 */
import type { DefaultSession, NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { env } from "~/infra/env";
import { clientIpFrom } from "~/net";
import { authenticate } from "./credentials";
import { assertSessionCurrent, endSessions, SessionRevokedError } from "./session-version";

/** next-auth hands authorize() the request headers as a plain object. */
function headersFrom(raw: Record<string, unknown> | undefined): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw ?? {})) if (typeof value === "string") headers.set(name, value);
  return headers;
}

declare module "next-auth" {
  interface Session extends DefaultSession {
    user: { id: string; email: string; name?: string | null };
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    uid?: string;
    /** User.sessionVersion at sign-in; absent in tokens issued before versions existed (= 0). */
    sv?: number;
  }
}

export const authOptions: NextAuthOptions = {
  // A getter: read at request time, so importing this module (e.g. during `next build`) needs no env.
  get secret() {
    return env.NEXTAUTH_SECRET;
  },
  session: { strategy: "jwt", maxAge: 30 * 24 * 60 * 60 },
  pages: { signIn: "/signin" },
  events: {
    // Sign-out ends the session everywhere: a copied cookie stops working too.
    signOut: async ({ token }) => {
      if (token?.uid) await endSessions(token.uid);
    },
  },
  logger: {
    error: (code, metadata) => {
      // A revoked session read is expected, not an error worth a stack trace.
      if (code === "JWT_SESSION_ERROR" && metadata instanceof SessionRevokedError) return;
      console.error(`[next-auth][error][${code}]`, metadata);
    },
    warn: (code) => console.warn(`[next-auth][warn][${code}]`),
    debug: () => {},
  },
  providers: [
    CredentialsProvider({
      name: "Email and password",
      credentials: {
        email: { label: "Email", type: "email" },
        password: { label: "Password", type: "password" },
      },
      authorize: async (credentials, req) => {
        const user = await authenticate(credentials, clientIpFrom(headersFrom(req.headers)));
        return user ? { id: user.id, email: user.email, name: user.name, sessionVersion: user.sessionVersion } : null;
      },
    }),
  ],
  callbacks: {
    jwt: async ({ token, user }) => {
      if (user) {
        token.uid = user.id;
        token.sv = (user as { sessionVersion?: number }).sessionVersion ?? 0;
        return token;
      }
      // Throwing makes next-auth answer "no session" and clear the cookie.
      if (!token.uid) throw new SessionRevokedError();
      await assertSessionCurrent(token.uid, token.sv ?? 0);
      return token;
    },
    session: ({ session, token }) => ({
      ...session,
      user: { id: token.uid ?? "", email: token.email ?? "", name: token.name ?? null },
    }),
  },
};
