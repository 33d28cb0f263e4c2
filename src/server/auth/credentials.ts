/** Sign-up and sign-in rules, shared by the tRPC procedure, next-auth and tests. */
import { z } from "zod";
import { db } from "~/server/db";
import { dummyPasswordHash, hashPassword, verifyPassword } from "./password";

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ message: "Enter a valid email address" }).max(254));

export const passwordSchema = z
  .string()
  .min(8, "Password must be at least 8 characters")
  .max(200, "Password must be at most 200 characters");

export const signUpInputSchema = z.object({
  email: emailSchema,
  password: passwordSchema,
  name: z.string().trim().max(100).optional(),
});
export type SignUpInput = z.infer<typeof signUpInputSchema>;

export const signInInputSchema = z.object({
  email: emailSchema,
  password: z.string().min(1).max(200),
});

export class EmailTakenError extends Error {
  constructor() {
    super("An account with this email already exists");
  }
}

export interface AuthUser {
  id: string;
  email: string;
  name: string | null;
}

/** Creates a user; throws EmailTakenError when the email is registered already. */
export async function registerUser(input: SignUpInput): Promise<AuthUser> {
  const passwordHash = await hashPassword(input.password);
  try {
    return await db.user.create({
      data: { email: input.email, name: input.name || null, passwordHash },
      select: { id: true, email: true, name: true },
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new EmailTakenError();
    throw error;
  }
}

/** The user for these credentials, or null. Unknown emails take as long as wrong passwords. */
export async function authenticate(raw: unknown): Promise<AuthUser | null> {
  const parsed = signInInputSchema.safeParse(raw);
  if (!parsed.success) return null;
  const user = await db.user.findUnique({
    where: { email: parsed.data.email },
    select: { id: true, email: true, name: true, passwordHash: true },
  });
  if (!user) {
    await verifyPassword(await dummyPasswordHash(), parsed.data.password);
    return null;
  }
  if (!(await verifyPassword(user.passwordHash, parsed.data.password))) return null;
  return { id: user.id, email: user.email, name: user.name };
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === "P2002";
}
