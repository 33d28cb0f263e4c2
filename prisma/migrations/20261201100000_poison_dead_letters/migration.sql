-- Dead letters of the ledger flush: events Postgres refused or that could not be parsed, kept verbatim until replayed.
-- CreateTable
CREATE TABLE "DeadLetter" (
    "id" TEXT NOT NULL,
    "shard" INTEGER NOT NULL,
    "streamId" TEXT NOT NULL,
    "eventId" TEXT,
    "tenantId" TEXT,
    "raw" TEXT NOT NULL,
    "error" TEXT NOT NULL,
    "firstSeenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "replayedAt" TIMESTAMP(3),
    "replayError" TEXT,

    CONSTRAINT "DeadLetter_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "DeadLetter_replayedAt_firstSeenAt_idx" ON "DeadLetter"("replayedAt", "firstSeenAt");
