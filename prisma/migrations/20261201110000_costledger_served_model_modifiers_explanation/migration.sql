-- Served vs requested model, the modifiers the response reported, the cost explanation per request,
-- new rollup metrics, and the per-tenant policy for unpriced models.
ALTER TABLE "RequestLog" ADD COLUMN "requestedModel" TEXT,
  ADD COLUMN "speed" TEXT,
  ADD COLUMN "inferenceGeo" TEXT,
  ADD COLUMN "serviceTier" TEXT,
  ADD COLUMN "webSearchRequests" INTEGER NOT NULL DEFAULT 0,
  ADD COLUMN "webFetchRequests" INTEGER NOT NULL DEFAULT 0,
  ADD COLUMN "reasoningTokens" INTEGER NOT NULL DEFAULT 0,
  ADD COLUMN "costExplanation" JSONB;

ALTER TABLE "UsageHourly" ADD COLUMN "reasoningTokens" BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN "webSearchRequests" BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN "unpricedCount" BIGINT NOT NULL DEFAULT 0;

ALTER TABLE "Tenant" ADD COLUMN "unpricedModelPolicy" TEXT;
