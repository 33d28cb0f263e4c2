/** Sign-up and sign-in rules, shared by the tRPC procedure, next-auth and tests. */
import { z } from "zod";
import { db } from "~/infra/db";
import { COMMON_PASSWORDS } from "./common-passwords";
import { dummyPasswordHash, hashPassword, verifyPassword } from "./password";
import { ACCOUNT_POLICY, IP_POLICY, SignInThrottle, type AttemptVerdict, type ThrottleSubject } from "./throttle";

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ message: "Enter a valid email address" }).max(254));

export const PASSWORD_MIN_LENGTH = 10;
const commonPasswords = new Set(COMMON_PASSWORDS);

/**
 * The password rule: at least PASSWORD_MIN_LENGTH characters besides leading/trailing spaces, not
 * one character repeated, not on the common-passwords list. Length beats composition rules.
 */
export const passwordSchema = z
  .string()
  .max(200, "Password must be at most 200 characters")
  .refine((p) => p.trim().length >= PASSWORD_MIN_LENGTH, `Password must be at least ${PASSWORD_MIN_LENGTH} characters`)
  .refine((p) => new Set(p.trim()).size > 1 && !commonPasswords.has(p.trim().toLowerCase()), "This password is too common; choose another");

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
  sessionVersion: number;
}

/** Creates a user; throws EmailTakenError when the email is registered already. */
export async function registerUser(input: SignUpInput): Promise<AuthUser> {
  const passwordHash = await hashPassword(input.password);
  try {
    return await db.user.create({
      data: { email: input.email, name: input.name || null, passwordHash },
      select: { id: true, email: true, name: true, sessionVersion: true },
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new EmailTakenError();
    throw error;
  }
}

/** Thrown (and shown as "try again later") while the account or the client IP is locked out. */
export class SignInThrottledError extends Error {
  /** next-auth passes a thrown error's message to the client as `error`. */
  static readonly code = "SignInThrottled";
  constructor(readonly retryAfterSeconds: number) {
    super(SignInThrottledError.code);
  }
}

const defaultThrottle = new SignInThrottle();

async function auditLockout(subject: ThrottleSubject, clientIp: string | null, verdict: AttemptVerdict): Promise<void> {
  await db.auditLog.create({
    data: {
      action: "auth.lockout",
      target: subject.kind === "account" ? subject.email : subject.ip,
      details: { kind: subject.kind, clientIp, lockedForSeconds: verdict.retryAfterSeconds, level: verdict.level },
    },
  });
}

/**
 * The user for these credentials, or null. Unknown emails take as long as wrong passwords and are
 * throttled the same way. Throws SignInThrottledError while the IP or the account is locked out.
 */
export async function authenticate(raw: unknown, clientIp: string | null, throttle: SignInThrottle = defaultThrottle): Promise<AuthUser | null> {
  const parsed = signInInputSchema.safeParse(raw);
  if (!parsed.success) return null;
  const { email, password } = parsed.data;
  const subjects: ThrottleSubject[] = [...(clientIp ? [{ kind: "ip" as const, ip: clientIp }] : []), { kind: "account", email }];
  for (const subject of subjects) {
    const verdict = await throttle.attempt(subject, subject.kind === "ip" ? IP_POLICY : ACCOUNT_POLICY);
    if (verdict.lockedNow) await auditLockout(subject, clientIp, verdict);
    if (!verdict.allowed) throw new SignInThrottledError(verdict.retryAfterSeconds);
  }
  const user = await db.user.findUnique({
    where: { email },
    select: { id: true, email: true, name: true, passwordHash: true, sessionVersion: true },
  });
  if (!user) {
    await verifyPassword(await dummyPasswordHash(), password);
    return null;
  }
  if (!(await verifyPassword(user.passwordHash, password))) return null;
  await throttle.succeeded(email, clientIp);
  return { id: user.id, email: user.email, name: user.name, sessionVersion: user.sessionVersion };
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === "P2002";
}
