-- CreateTable
CREATE TABLE "Alert" (
    "id" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "scope" TEXT NOT NULL,
    "apiKeyId" UUID,
    "kind" TEXT NOT NULL,
    "threshold" INTEGER NOT NULL,
    "periodId" TEXT NOT NULL,
    "spentMicros" BIGINT NOT NULL,
    "capMicros" BIGINT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deliveredAt" TIMESTAMP(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMP(3),
    "lastError" TEXT,

    CONSTRAINT "Alert_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PriceOverride" (
    "tenantId" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "input" INTEGER NOT NULL,
    "output" INTEGER NOT NULL,
    "cacheWrite5m" INTEGER NOT NULL,
    "cacheWrite1h" INTEGER NOT NULL,
    "cacheRead" INTEGER NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PriceOverride_pkey" PRIMARY KEY ("tenantId","model")
);

-- CreateIndex
CREATE INDEX "Alert_tenantId_createdAt_idx" ON "Alert"("tenantId", "createdAt");

-- CreateIndex
CREATE INDEX "Alert_deliveredAt_nextAttemptAt_idx" ON "Alert"("deliveredAt", "nextAttemptAt");

-- CreateIndex
CREATE UNIQUE INDEX "Alert_scope_kind_threshold_periodId_key" ON "Alert"("scope", "kind", "threshold", "periodId");
