/**
 * Upstream credentials at rest: AES-256-GCM with the server's ENCRYPTION_KEY. Format
 * "v1.<iv>.<tag>.<ciphertext>" (base64url), so the key or scheme can be rotated later.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { decodeKey, env } from "~/infra/env";

const VERSION = "v1";

function serverKey(): Buffer {
  const key = decodeKey(env.ENCRYPTION_KEY);
  if (!key || key.length !== 32) throw new Error("ENCRYPTION_KEY must be 32 bytes");
  return key;
}

export function encryptCredential(plaintext: string, key: Buffer = serverKey()): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [VERSION, iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), ciphertext.toString("base64url")].join(".");
}

/** Whether a stored value has the encrypted format (a plaintext secret never does: see src/alerts/secret.ts). */
export function isEncryptedCredential(value: string): boolean {
  return /^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(value);
}

/** Throws if the value was tampered with or encrypted under another key. */
export function decryptCredential(encrypted: string, key: Buffer = serverKey()): string {
  const [version, iv, tag, ciphertext] = encrypted.split(".");
  if (version !== VERSION || !iv || !tag || ciphertext === undefined) throw new Error("unrecognised credential format");
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
}
