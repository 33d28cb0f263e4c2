/**
 * Webhook signatures: `x-metergate-signature: sha256=<hex HMAC-SHA256 of the exact body bytes>`,
 * keyed with the tenant's webhook secret. Receivers recompute it over the raw body (before any
 * JSON parsing) and compare in constant time; verifyWebhookSignature does exactly that.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "x-metergate-signature";
export const TIMESTAMP_HEADER = "x-metergate-timestamp";
export const ALERT_ID_HEADER = "x-metergate-alert-id";

export function signWebhookBody(body: string | Uint8Array, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** True when `header` is the signature of `body` under `secret` (constant-time comparison). */
export function verifyWebhookSignature(
  body: string | Uint8Array,
  secret: string,
  header: string | null | undefined,
): boolean {
  if (!header || !/^sha256=[0-9a-f]{64}$/i.test(header.trim())) return false;
  const expected = Buffer.from(signWebhookBody(body, secret), "utf8");
  const given = Buffer.from(header.trim().toLowerCase(), "utf8");
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** A fresh secret for a tenant's webhook (shown once in the portal, stored in Tenant.webhookSecret). */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64url")}`;
}
