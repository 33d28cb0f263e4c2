-- End-user and session attribution (src/ledger/attribution.ts): per-request columns, the People rollup
-- per key, end user and UTC day, and the per-session rollup, both written by the flush with the request rows.

-- AlterTable
ALTER TABLE "RequestLog" ADD COLUMN     "endUserId" TEXT,
ADD COLUMN     "sessionId" TEXT;

-- CreateTable
CREATE TABLE "UsageUserDaily" (
    "apiKeyId" UUID NOT NULL,
    "tenantId" TEXT NOT NULL,
    "day" TIMESTAMP(3) NOT NULL,
    "endUserId" TEXT NOT NULL,
    "firstSeenAt" TIMESTAMP(3) NOT NULL,
    "lastSeenAt" TIMESTAMP(3) NOT NULL,
    "requests" BIGINT NOT NULL DEFAULT 0,
    "inputTokens" BIGINT NOT NULL DEFAULT 0,
    "outputTokens" BIGINT NOT NULL DEFAULT 0,
    "cacheWrite5mTokens" BIGINT NOT NULL DEFAULT 0,
    "cacheWrite1hTokens" BIGINT NOT NULL DEFAULT 0,
    "cacheReadTokens" BIGINT NOT NULL DEFAULT 0,
    "costMicros" BIGINT NOT NULL DEFAULT 0,
    "errorCount" BIGINT NOT NULL DEFAULT 0,
    "estimatedCount" BIGINT NOT NULL DEFAULT 0,
    "latencyMsSum" BIGINT NOT NULL DEFAULT 0,
    "reasoningTokens" BIGINT NOT NULL DEFAULT 0,
    "webSearchRequests" BIGINT NOT NULL DEFAULT 0,
    "unpricedCount" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "UsageUserDaily_pkey" PRIMARY KEY ("apiKeyId","day","endUserId")
);

-- CreateTable
CREATE TABLE "UsageSession" (
    "apiKeyId" UUID NOT NULL,
    "tenantId" TEXT NOT NULL,
    "sessionId" TEXT NOT NULL,
    "endUserId" TEXT,
    "firstSeenAt" TIMESTAMP(3) NOT NULL,
    "lastSeenAt" TIMESTAMP(3) NOT NULL,
    "requests" BIGINT NOT NULL DEFAULT 0,
    "inputTokens" BIGINT NOT NULL DEFAULT 0,
    "outputTokens" BIGINT NOT NULL DEFAULT 0,
    "cacheWrite5mTokens" BIGINT NOT NULL DEFAULT 0,
    "cacheWrite1hTokens" BIGINT NOT NULL DEFAULT 0,
    "cacheReadTokens" BIGINT NOT NULL DEFAULT 0,
    "costMicros" BIGINT NOT NULL DEFAULT 0,
    "errorCount" BIGINT NOT NULL DEFAULT 0,
    "estimatedCount" BIGINT NOT NULL DEFAULT 0,
    "latencyMsSum" BIGINT NOT NULL DEFAULT 0,
    "reasoningTokens" BIGINT NOT NULL DEFAULT 0,
    "webSearchRequests" BIGINT NOT NULL DEFAULT 0,
    "unpricedCount" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "UsageSession_pkey" PRIMARY KEY ("apiKeyId","sessionId")
);

-- CreateIndex
CREATE INDEX "UsageUserDaily_tenantId_day_idx" ON "UsageUserDaily"("tenantId", "day");

-- CreateIndex
CREATE INDEX "UsageSession_tenantId_lastSeenAt_idx" ON "UsageSession"("tenantId", "lastSeenAt");

-- CreateIndex
CREATE INDEX "UsageSession_apiKeyId_lastSeenAt_idx" ON "UsageSession"("apiKeyId", "lastSeenAt");

-- CreateIndex
CREATE INDEX "UsageSession_tenantId_endUserId_lastSeenAt_idx" ON "UsageSession"("tenantId", "endUserId", "lastSeenAt");

-- CreateIndex
CREATE INDEX "UsageSession_apiKeyId_firstSeenAt_idx" ON "UsageSession"("apiKeyId", "firstSeenAt");

-- CreateIndex
CREATE INDEX "RequestLog_apiKeyId_endUserId_createdAt_idx" ON "RequestLog"("apiKeyId", "endUserId", "createdAt");

-- CreateIndex
CREATE INDEX "RequestLog_apiKeyId_sessionId_createdAt_idx" ON "RequestLog"("apiKeyId", "sessionId", "createdAt");

