import NextAuth from "next-auth";
import type { NextRequest } from "next/server";
import { authOptions } from "~/server/auth";
import { withBoundedBody } from "~/server/http/bounded-body";

const nextAuth = NextAuth(authOptions) as (req: NextRequest, ctx: { params: Promise<{ nextauth: string[] }> }) => Promise<Response>;

/** next-auth reads the whole body itself: give it a copy read within the public body limit. */
async function handler(req: NextRequest, ctx: { params: Promise<{ nextauth: string[] }> }): Promise<Response> {
  const bounded = await withBoundedBody(req);
  return bounded instanceof Response ? bounded : nextAuth(bounded, ctx);
}

export { handler as GET, handler as POST };
