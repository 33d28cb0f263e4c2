-- DropIndex
DROP INDEX "UsageHourly_hourStart_idx";

-- CreateIndex
CREATE INDEX "RequestLog_apiKeyId_status_createdAt_idx" ON "RequestLog"("apiKeyId", "status", "createdAt");

-- CreateIndex
CREATE INDEX "UsageHourly_hourStart_tenantId_costMicros_idx" ON "UsageHourly"("hourStart", "tenantId", "costMicros");
