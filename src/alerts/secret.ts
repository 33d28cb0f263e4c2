/**
 * The webhook signing secret at rest: encrypted with the upstream-credential helper
 * (AES-256-GCM, ENCRYPTION_KEY) in Tenant.webhookSecretEnc, write-only for the portal (shown once,
 * when generated). Transition: rows written before encryption hold the plaintext "whsec_…"; they
 * are read as is, re-encrypted in place on first use, and `npm run cli -- webhook-secrets encrypt`
 * converts all of them at once.
 */
import type { PrismaClient } from "~/generated/prisma/client";
import { decryptCredential, encryptCredential, isEncryptedCredential } from "~/relay/credentials";

export const encryptWebhookSecret = (secret: string): string => encryptCredential(secret);

/** The signing secret from its stored form (encrypted, or legacy plaintext). Throws on a tampered value. */
export function webhookSecretFromStored(stored: string): string {
  return isEncryptedCredential(stored) ? decryptCredential(stored) : stored;
}

/** Encrypts a tenant's legacy plaintext secret in place (only if it is still that plaintext). */
export async function upgradeWebhookSecret(db: PrismaClient, tenantId: string, stored: string): Promise<void> {
  if (isEncryptedCredential(stored)) return;
  await db.tenant.updateMany({ where: { id: tenantId, webhookSecretEnc: stored }, data: { webhookSecretEnc: encryptWebhookSecret(stored) } });
}

/** Encrypts every legacy plaintext secret; returns how many were converted. */
export async function encryptLegacyWebhookSecrets(db: PrismaClient): Promise<number> {
  const rows = await db.tenant.findMany({ where: { webhookSecretEnc: { not: null } }, select: { id: true, webhookSecretEnc: true } });
  let converted = 0;
  for (const row of rows) {
    if (row.webhookSecretEnc === null || isEncryptedCredential(row.webhookSecretEnc)) continue;
    await upgradeWebhookSecret(db, row.id, row.webhookSecretEnc);
    converted++;
  }
  return converted;
}
