-- Who revoked a key / set each of its limits (field-level role rules), and a session version per user.
ALTER TABLE "ApiKey" ADD COLUMN "revokedByRole" "MemberRole",
ADD COLUMN "limitsSetByRole" JSONB NOT NULL DEFAULT '{}';

ALTER TABLE "User" ADD COLUMN "sessionVersion" INTEGER NOT NULL DEFAULT 0;
