/**
 * Metergate API keys. The secret is shown once; only its SHA-256 hash is stored. A fast hash is
 * right here (unlike passwords): the secret has 256 bits of entropy, so it cannot be guessed.
 */
import { createHash, randomBytes } from "node:crypto";

export const KEY_PREFIX = "mg-";

export interface GeneratedKey {
  /** The full secret, to show the user once. */
  secret: string;
  keyHash: string;
  /** A short, non-secret prefix for lists ("mg-AbCd…"). */
  keyPrefix: string;
}

export function hashApiKey(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

export function generateApiKey(): GeneratedKey {
  const secret = KEY_PREFIX + randomBytes(32).toString("base64url");
  return { secret, keyHash: hashApiKey(secret), keyPrefix: secret.slice(0, KEY_PREFIX.length + 6) };
}

/** True if the string has the shape of a Metergate key (not proof that it exists). */
export function looksLikeApiKey(value: string): boolean {
  return value.startsWith(KEY_PREFIX) && value.length >= KEY_PREFIX.length + 40;
}

/** Anything that could be a key or a fragment of one: the prefix and 16+ base64url characters. */
const KEY_LIKE = /mg-[A-Za-z0-9_-]{16,}/g;

/**
 * `text` with every key-like token replaced by "mg-[redacted]", for values stored or logged that
 * a client controls (User-Agent): a key pasted there must not land in the request log.
 */
export function redactApiKeys(text: string): string;
export function redactApiKeys(text: string | null): string | null;
export function redactApiKeys(text: string | null): string | null {
  return text === null ? null : text.replace(KEY_LIKE, `${KEY_PREFIX}[redacted]`);
}
