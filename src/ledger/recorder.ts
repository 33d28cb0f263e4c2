/**
 * How a relay process hands requests to the ledger so that none is lost:
 *  - admitted(charge): the lease joins this process's heartbeat until the request is recorded;
 *  - record(): the record script, retried with back-off while Redis is unreachable, then spilled
 *    to the local journal (journal.ts) and replayed into Redis when it is back;
 *  - idle(): resolves when every record handed in so far is in Redis or in the journal (SIGTERM).
 *
 * Replay is exactly once: the request id is the idempotency key in Postgres (the flush inserts
 * RequestLog rows ON CONFLICT (id) DO NOTHING and rolls up only the rows it inserted), and in
 * Redis the record script refuses a second application of an admitted request (its lease info is
 * gone under the same epoch), so a write that had in fact reached Redis before the connection
 * broke adds neither its pending deltas nor its cap charges twice. Replayed rows carry the flag
 * `replayed`.
 */
import { ReplyError } from "ioredis";
import type { PriceOverrides } from "~/pricing";
import { redis as defaultRedis, type RedisClient } from "~/infra/redis";
import type { StoredEvent } from "./event";
import { JournalFullError, type JournalEntry, type JournalSpend, type LedgerJournal } from "./journal";
import type { LeaseHeartbeat } from "./leases";
import { releaseAdmission, type QuotaCharge } from "./quota";
import { recordStored, toStoredEvent, type RecordResult } from "./record";
import { ledgerKeys, shardOf } from "./redis-keys";
import type { RequestEvent } from "./types";

export type RecordOutcome = "recorded" | "duplicate" | "journaled" | "dropped";
export type RecorderResult = RecordResult & { outcome: RecordOutcome };

export interface RecorderHooks {
  /** A record went to the journal (Redis unreachable after every retry). */
  onJournaled?(event: StoredEvent, error: unknown): void;
  /** A record could be neither written to Redis nor journaled (journal full or unwritable). */
  onDropped?(event: StoredEvent, error: unknown): void;
  onReplayed?(count: number): void;
  /** The ledger already had the request: a retried write, or its lease was swept as orphaned. */
  onDuplicate?(event: StoredEvent): void;
  onError?(error: unknown, context: string): void;
}

export interface RecorderOptions {
  redis?: RedisClient;
  journal?: LedgerJournal | null;
  heartbeat?: LeaseHeartbeat | null;
  /** Waits before each retry of a failed write; after the last, the record is journaled. */
  retryDelaysMs?: readonly number[];
  /** How often to look for journal entries to replay. */
  replayIntervalMs?: number;
  hooks?: RecorderHooks;
}

/** Replies that mean "not now" rather than "never": worth retrying and journaling. */
const TRANSIENT_REPLY = /^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY|MOVED|ASK)\b/;

export function isTransientRedisError(err: unknown): boolean {
  if (err instanceof ReplyError) return TRANSIENT_REPLY.test((err as Error).message);
  return err instanceof Error;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class LedgerRecorder {
  private readonly redis: RedisClient;
  private readonly journal: LedgerJournal | null;
  private readonly heartbeat: LeaseHeartbeat | null;
  private readonly retryDelaysMs: readonly number[];
  private readonly hooks: RecorderHooks;
  private readonly inFlight = new Set<Promise<unknown>>();
  private replayTimer: NodeJS.Timeout | null = null;
  private replaying: Promise<number> | null = null;

  constructor(private readonly opts: RecorderOptions = {}) {
    this.redis = opts.redis ?? defaultRedis;
    this.journal = opts.journal ?? null;
    this.heartbeat = opts.heartbeat ?? null;
    this.retryDelaysMs = opts.retryDelaysMs ?? [100, 300, 900];
    this.hooks = opts.hooks ?? {};
  }

  /** Starts replaying the journal (left-overs of earlier runs included) whenever Redis answers. */
  start(): this {
    if (this.journal && !this.replayTimer) {
      this.replayTimer = setInterval(() => void this.replayJournal().catch(() => {}), this.opts.replayIntervalMs ?? 1_000);
      this.replayTimer.unref();
      void this.replayJournal().catch(() => {});
    }
    return this;
  }

  /** An admitted request: its lease is renewed until the request is recorded. */
  admitted(charge: QuotaCharge): void {
    this.heartbeat?.track(charge);
  }

  /** Records one request; never rejects for Redis being away (retried, then journaled). */
  record(event: RequestEvent, charge: QuotaCharge | null, priceOverrides?: PriceOverrides): Promise<RecorderResult> {
    const p = this.recordOnce(toStoredEvent(event, priceOverrides), charge);
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p)).catch(() => {});
    return p;
  }

  private async recordOnce(stored: StoredEvent, charge: QuotaCharge | null): Promise<RecorderResult> {
    const result = (outcome: RecordOutcome): RecorderResult => ({ costMicros: stored.costMicros, priced: stored.priced, outcome });
    let lastError: unknown;
    for (let attempt = 0; attempt <= this.retryDelaysMs.length; attempt++) {
      if (attempt > 0) await sleep(this.retryDelaysMs[attempt - 1]!);
      // Not connected: don't queue the record behind a dead connection (ioredis would hold it
      // for its reconnect attempts, seconds each); the journal is the queue.
      if (this.redis.status !== "ready") {
        lastError = new Error(`Redis connection ${this.redis.status}`);
        continue;
      }
      try {
        const applied = await recordStored(this.redis, stored, charge);
        if (charge) this.heartbeat?.untrack(charge.requestId);
        if (!applied) this.hooks.onDuplicate?.(stored);
        return result(applied ? "recorded" : "duplicate");
      } catch (err) {
        if (!isTransientRedisError(err)) {
          // Not Redis being away (a script error, a bad key type): the request is over, so its
          // lease and reservation must not outlive it. Releasing twice is harmless.
          if (charge) {
            this.heartbeat?.untrack(charge.requestId);
            await releaseAdmission(charge, this.redis).catch(() => {});
          }
          throw err;
        }
        lastError = err;
      }
    }
    if (!this.journal) {
      if (charge) this.heartbeat?.untrack(charge.requestId);
      this.hooks.onDropped?.(stored, lastError);
      return result("dropped");
    }
    try {
      // The lease stays on the heartbeat: when Redis is back, the lease is renewed and the
      // replay (not the orphan sweeper) records the request, with its real usage.
      await this.journal.append({ event: stored, charge });
      this.hooks.onJournaled?.(stored, lastError);
      return result("journaled");
    } catch (err) {
      if (charge) this.heartbeat?.untrack(charge.requestId);
      this.hooks.onDropped?.(stored, err instanceof JournalFullError ? err : lastError);
      return result("dropped");
    }
  }

  /** Resolves when every record handed in so far is in Redis, in the journal, or given up. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Replays the journal into Redis if Redis answers; returns the entries replayed. */
  replayJournal(): Promise<number> {
    const journal = this.journal;
    if (!journal) return Promise.resolve(0);
    this.replaying ??= (async () => {
      if (!journal.hasWork()) return 0;
      await this.redis.ping();
      const n = await journal.replay(async (entry, seeded) => {
        try {
          await this.applyReplay(entry, seeded);
        } catch (err) {
          // Redis away again: stop, keep the rest. Anything else would fail forever and hold up
          // every later entry: count it as dropped (logged with its id and cost) and go on.
          if (isTransientRedisError(err)) throw err;
          this.hooks.onDropped?.(entry.event, err);
        }
      });
      if (n > 0) this.hooks.onReplayed?.(n);
      return n;
    })().finally(() => (this.replaying = null));
    return this.replaying;
  }

  private async applyReplay(entry: JournalEntry, seeded: ReadonlySet<string>): Promise<void> {
    const flags = entry.event.flags.includes("replayed") ? entry.event.flags : [...entry.event.flags, "replayed" as const];
    const event: StoredEvent = { ...entry.event, flags };
    let charge = entry.charge;
    if (charge && seeded.size > 0) {
      // Counters seeded while this entry was journaled already include it (quota seeding adds
      // the journal): charge only the others.
      const none = ledgerKeys.noCounter(shardOf(event.tenantId));
      charge = {
        ...charge,
        keys: {
          ...charge.keys,
          costCounters: charge.keys.costCounters.filter((c) => !seeded.has(c)),
          totalTokens: seeded.has(charge.keys.totalTokens) ? none : charge.keys.totalTokens,
        },
      };
    }
    const applied = await recordStored(this.redis, event, charge);
    if (entry.charge) this.heartbeat?.untrack(entry.charge.requestId);
    if (!applied) this.hooks.onDuplicate?.(event);
  }

  /** Unreplayed journal spend, for seeding cap counters (see AdmitDeps.spent); holds replay until released. */
  async journalSpend(scope: { apiKeyId?: string; tenantId?: string }, fromMs: number, toMs: number): Promise<JournalSpend | null> {
    return this.journal ? this.journal.unreplayedSpend(scope, fromMs, toMs) : null;
  }

  stop(): void {
    if (this.replayTimer) clearInterval(this.replayTimer);
    this.replayTimer = null;
    this.heartbeat?.stop();
    this.journal?.close();
  }
}
