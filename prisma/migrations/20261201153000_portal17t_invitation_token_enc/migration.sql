-- An invitation's token, encrypted like upstream credentials (AES-256-GCM, ENCRYPTION_KEY), so admins can copy a
-- pending invitation's link again. Lookups still go by tokenHash. Rows from before keep NULL (their link cannot be shown).
ALTER TABLE "Invitation" ADD COLUMN "tokenEnc" TEXT;
