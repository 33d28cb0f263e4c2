-- The request log sorted by cost (most expensive first, or cheapest): an index walk of the key's
-- rows instead of sorting all of them (src/server/api/lib/request-log.ts).
-- CreateIndex
CREATE INDEX "RequestLog_apiKeyId_costMicros_createdAt_id_idx" ON "RequestLog"("apiKeyId", "costMicros", "createdAt", "id");
