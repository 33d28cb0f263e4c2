-- Marks on request-log rows: suspicious (clamped usage), orphaned (made from a dead process's lease), replayed (from the local journal).
ALTER TABLE "RequestLog" ADD COLUMN "flags" TEXT[] DEFAULT ARRAY[]::TEXT[];
