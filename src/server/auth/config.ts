/**
 * next-auth v4: email + password (Credentials), JWT sessions signed with NEXTAUTH_SECRET, so a
 * session survives a server restart and works on any instance behind a load balancer.
 */
import type { DefaultSession, NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { env } from "~/env";
import { authenticate } from "./credentials";

declare module "next-auth" {
  interface Session extends DefaultSession {
    user: { id: string; email: string; name?: string | null };
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    uid?: string;
  }
}

export const authOptions: NextAuthOptions = {
  // A getter: read at request time, so importing this module (e.g. during `next build`) needs no env.
  get secret() {
    return env.NEXTAUTH_SECRET;
  },
  session: { strategy: "jwt", maxAge: 30 * 24 * 60 * 60 },
  pages: { signIn: "/signin" },
  providers: [
    CredentialsProvider({
      name: "Email and password",
      credentials: {
        email: { label: "Email", type: "email" },
        password: { label: "Password", type: "password" },
      },
      authorize: async (credentials) => {
        const user = await authenticate(credentials);
        return user ? { id: user.id, email: user.email, name: user.name } : null;
      },
    }),
  ],
  callbacks: {
    jwt: ({ token, user }) => {
      if (user) token.uid = user.id;
      return token;
    },
    session: ({ session, token }) => ({
      ...session,
      user: { id: token.uid ?? "", email: token.email ?? "", name: token.name ?? null },
    }),
  },
};
