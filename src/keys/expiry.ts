/**
 * When a key stops working: its fixed expiry date or N days after its first use, whichever comes
 * first. The one computation for the relay, the portal and the public lookup (the admission script
 * gets the same first-use lifetime from the ledger's KeyLimits).
 */
const DAY_MS = 86_400_000;

export interface KeyExpiryFields {
  expiresAt: Date | null;
  expiresAfterFirstUseDays: number | null;
  firstUsedAt: Date | null;
}

/** Epoch ms at which the key expires, or null (no expiry yet). Allocation-free for the relay's hot path. */
export function keyExpiresAtMs(key: KeyExpiryFields): number | null {
  const fixed = key.expiresAt ? key.expiresAt.getTime() : null;
  const afterFirstUse =
    key.expiresAfterFirstUseDays !== null && key.firstUsedAt ? key.firstUsedAt.getTime() + key.expiresAfterFirstUseDays * DAY_MS : null;
  if (fixed === null) return afterFirstUse;
  return afterFirstUse === null ? fixed : Math.min(fixed, afterFirstUse);
}

export function keyExpiresAt(key: KeyExpiryFields): Date | null {
  const ms = keyExpiresAtMs(key);
  return ms === null ? null : new Date(ms);
}

export function isKeyExpired(key: KeyExpiryFields, nowMs: number): boolean {
  const ms = keyExpiresAtMs(key);
  return ms !== null && ms <= nowMs;
}

export type KeyStatus = "active" | "expired" | "revoked";

/** What the portal shows for a key: revoked wins over expired. */
export function keyStatus(key: KeyExpiryFields & { revokedAt: Date | null }, nowMs: number): KeyStatus {
  if (key.revokedAt) return "revoked";
  return isKeyExpired(key, nowMs) ? "expired" : "active";
}
