import { TRPCError } from "@trpc/server";
import { env } from "~/infra/env";
import { EmailTakenError, registerUser, signUpInputSchema } from "~/server/auth/credentials";
import { hitFixedWindow } from "../lib/rate-limit";
import { createTRPCRouter, publicProcedure } from "../trpc";

export const authRouter = createTRPCRouter({
  /**
   * Creates an account. The client then signs in through next-auth with the same credentials.
   * The answer is the same whether or not the email was registered already (an existing account
   * is left untouched), so sign-up cannot be used to find out who has an account. Rate-limited
   * per client IP (SIGNUP_RATE_LIMIT_PER_HOUR).
   */
  signUp: publicProcedure.input(signUpInputSchema).mutation(async ({ ctx, input }) => {
    const limit = await hitFixedWindow({
      bucket: "signup",
      subject: ctx.clientIp ?? "unknown",
      limit: env.SIGNUP_RATE_LIMIT_PER_HOUR,
      windowSeconds: 3600,
    });
    if (!limit.allowed) {
      throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: `Too many sign-ups from this address; try again in ${Math.ceil(limit.retryAfterSeconds / 60)} minutes` });
    }
    try {
      await registerUser(input);
    } catch (error) {
      if (!(error instanceof EmailTakenError)) throw error;
    }
    return { email: input.email };
  }),
});
