/**
 * The ledger's public surface. Everything else in src/ledger is internal.
 *  - recordRequest: one Redis round trip per relayed request (hot counters + event stream).
 *  - LedgerRecorder: recordRequest for a relay process: lease heartbeat, retries, local journal.
 *  - sweepOrphans: expired leases of requests never recorded → `orphaned` events (in the flush).
 *  - flushOnce / startFlushLoop: move events into Postgres exactly once.
 *  - usageRows: Postgres rollups plus what Redis holds that is not flushed yet.
 *  - attributionOf, peopleUsage, sessionUsage: end user and session of a request, and their rollups.
 *  - listDeadLetters / replayDeadLetters: events the flush quarantined (Postgres refused them).
 *  - isValidModelName & co: what a request may put into the ledger (sanitize.ts).
 */
export type { RequestEvent, TokenUsage, ProviderName, UsageSourceName } from "./types";
export { ZERO_USAGE, totalTokens } from "./types";
export { recordRequest, type RecordResult } from "./record";
export { LedgerRecorder, isTransientRedisError, type RecordOutcome, type RecorderHooks, type RecorderOptions } from "./recorder";
export { LedgerJournal, JournalFullError, type JournalEntry } from "./journal";
export { LeaseHeartbeat, sweepOrphans, ORPHAN_STATUS, ORPHAN_ERROR, type LeaseDraft, type SweepResult } from "./leases";
export { flushOnce, startFlushLoop, FlushError, type FlushLoop, type FlushLoopHooks, type FlushResult, type ShardError } from "./flush";
export { listDeadLetters, replayDeadLetters, openDeadLetterCount, type DeadLetterRow, type ReplayReport } from "./dead-letter";
export { isValidModelName, MODEL_NAME_RULE, MODEL_NAME_MAX_LENGTH, TOKEN_COUNT_MAX } from "./sanitize";
export { usageRows, spentInRange, type Spend, type UsageRow, type UsageQuery } from "./query";
export { peopleUsage, sessionUsage, BadCursorError, type PersonUsage, type PeopleResult, type SessionUsage, type SessionPage } from "./attribution-query";
export { sessionSortSchema, DEFAULT_SESSION_SORT, SESSION_SORT_KEYS, type SessionSort, type SessionSortKey } from "./session-sort";
export {
  attributionOf,
  isValidAttributionId,
  ATTRIBUTION_ID_RULE,
  OTHER_BUCKET,
  PEOPLE_PER_KEY_DAY,
  SESSIONS_PER_KEY_DAY,
  type Attribution,
} from "./attribution";
export { METRICS, type Metric } from "./redis-keys";
export {
  admit,
  unlimited,
  releaseAdmission,
  refusalStatus,
  leaseTtlMs,
  type Admission,
  type KeyLimits,
  type QuotaCharge,
  type QuotaReason,
} from "./quota";
export { markKeyActive, markKeyRotated, markTenantSuspended } from "./key-state";
export { reconcile, reprice, purgeRequestLogs, type ReconcileReport, type RepriceReport } from "./maintenance";
export { limitStatus, type LimitName, type LimitStatus } from "./limit-status";
export { dayPeriod, weekPeriod, monthPeriod, type Period } from "./periods";
