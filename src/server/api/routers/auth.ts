import { TRPCError } from "@trpc/server";
import { EmailTakenError, registerUser, signUpInputSchema } from "~/server/auth/credentials";
import { createTRPCRouter, publicProcedure } from "../trpc";

export const authRouter = createTRPCRouter({
  /** Creates an account. The client then signs in through next-auth with the same credentials. */
  signUp: publicProcedure.input(signUpInputSchema).mutation(async ({ input }) => {
    try {
      const user = await registerUser(input);
      return { id: user.id, email: user.email };
    } catch (error) {
      if (error instanceof EmailTakenError) throw new TRPCError({ code: "CONFLICT", message: error.message });
      throw error;
    }
  }),
});
