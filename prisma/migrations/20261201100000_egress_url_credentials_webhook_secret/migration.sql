-- Webhook signing secrets are encrypted at rest (AES-256-GCM with ENCRYPTION_KEY, the format of
-- Upstream.credentialEnc). SQL has no access to the key, so existing plaintext values stay as
-- they are under the new name and the application reads both forms during the transition: a
-- value in the v1.iv.tag.ciphertext format is decrypted, anything else (the legacy whsec_
-- plaintext) is used and re-encrypted in place on first use, the CLI command
-- webhook-secrets encrypt converts every remaining one at once.
ALTER TABLE "Tenant" RENAME COLUMN "webhookSecret" TO "webhookSecretEnc";

-- Credentials inside URLs (user:password@ before the host) are refused from now on, remove the ones
-- already stored, in the URL columns and in the audit entries that recorded them. The upstream
-- or webhook stays configured (without the credentials), so routing does not change.
UPDATE "Upstream"
SET "baseUrl" = regexp_replace("baseUrl", '^([A-Za-z][A-Za-z0-9+.-]*:[/\\]*)[^/\\?#]*@', '\1')
WHERE "baseUrl" ~ '^[A-Za-z][A-Za-z0-9+.-]*:[/\\]*[^/\\?#]*@';

UPDATE "Tenant"
SET "webhookUrl" = regexp_replace("webhookUrl", '^([A-Za-z][A-Za-z0-9+.-]*:[/\\]*)[^/\\?#]*@', '\1')
WHERE "webhookUrl" ~ '^[A-Za-z][A-Za-z0-9+.-]*:[/\\]*[^/\\?#]*@';

UPDATE "AuditLog"
SET "details" = jsonb_set("details", '{baseUrl}', to_jsonb(regexp_replace("details"->>'baseUrl', '^([A-Za-z][A-Za-z0-9+.-]*:[/\\]*)[^/\\?#]*@', '\1[redacted]@')))
WHERE jsonb_typeof("details") = 'object' AND "details"->>'baseUrl' ~ '^[A-Za-z][A-Za-z0-9+.-]*:[/\\]*[^/\\?#]*@';

UPDATE "AuditLog"
SET "details" = jsonb_set("details", '{webhookUrl}', to_jsonb(regexp_replace("details"->>'webhookUrl', '^([A-Za-z][A-Za-z0-9+.-]*:[/\\]*)[^/\\?#]*@', '\1[redacted]@')))
WHERE jsonb_typeof("details") = 'object' AND "details"->>'webhookUrl' ~ '^[A-Za-z][A-Za-z0-9+.-]*:[/\\]*[^/\\?#]*@';
