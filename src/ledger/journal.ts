/**
 * The local journal: records that could not reach Redis, kept on disk until Redis is back.
 *
 * Format: append-only JSON lines, one record per line (the priced event exactly as the record
 * script would have stored it, plus its quota charge), in files `journal-<pid>-<n>.jsonl` under
 * LEDGER_JOURNAL_DIR. Each process appends to its own file.
 *
 * Durability (fsync policy): appends are group-committed: the lines queued while one write is in
 * progress are written together and the file is fsynced before any of their callers is told the
 * record is safe. So a record acknowledged as journaled survives a crash of the process or the
 * machine (as far as the disk honours fsync); one not yet acknowledged may be lost with the process.
 *
 * Bounded: the files of the directory may hold LEDGER_JOURNAL_MAX_BYTES; an append beyond that is
 * refused (JournalFullError) and the caller counts and logs the record as dropped.
 *
 * Replay: a process takes a file by renaming it to `…jsonl.replaying-<pid>` (only one rename can
 * win), replays it line by line, and deletes it. Files of dead processes (their pid is gone), also
 * half-replayed ones, are taken over the same way. Only files of this process and of processes
 * that no longer run are taken, so one journal directory per host serves any number of processes.
 */
import { randomUUID } from "node:crypto";
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { storedEventSchema, type StoredEvent } from "./event";
import { quotaChargeSchema, type QuotaCharge } from "./charge";
import { totalTokens } from "./types";

export class JournalFullError extends Error {
  constructor(readonly maxBytes: number) {
    super(`ledger journal is full (${maxBytes} bytes)`);
  }
}


const lineSchema = z.object({
  v: z.literal(1),
  event: storedEventSchema,
  charge: quotaChargeSchema.nullable(),
});

export interface JournalSpend {
  costMicros: number;
  tokens: number;
  seeded: (counter: string) => void;
  release: () => void;
}

export interface JournalEntry {
  event: StoredEvent;
  charge: QuotaCharge | null;
}

/** An entry not yet replayed, as the cap seeding sees it. */
interface Unreplayed {
  entry: JournalEntry;
  /** Counters that were seeded from a sum that already included this entry: not to be charged again. */
  seeded: Set<string>;
}

const FILE_RE = /^journal-(\d+)-[0-9a-f-]+\.jsonl(?:\.replaying-(\d+))?$/;

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface JournalOptions {
  dir: string;
  maxBytes: number;
}

export class LedgerJournal {
  private fd: number | null = null;
  private file: string | null = null;
  private queue: Array<{ line: string; resolve: () => void; reject: (e: unknown) => void }> = [];
  private writing = false;
  /** Bytes in the directory's journal files, as known to this process. */
  private bytes = 0;
  private sized = false;
  private readonly unreplayed = new Map<string, Unreplayed>();
  /**
   * Replaying one entry and seeding a counter from the journal exclude each other: otherwise a
   * seed could count an entry both in Redis (just replayed) and here, or count it here while its
   * replay charges the counter it is creating.
   */
  private lock: Promise<void> = Promise.resolve();

  private async exclusive(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    const prev = this.lock;
    this.lock = prev.then(() => next);
    await prev;
    return release;
  }

  constructor(readonly opts: JournalOptions) {}

  /** Entries this process holds that are not in Redis yet. */
  get pending(): number {
    return this.unreplayed.size;
  }

  /** Once per process: the directory's size, and the entries left by dead processes (for seeding). */
  private measure(): void {
    if (this.sized) return;
    this.sized = true;
    if (!existsSync(this.opts.dir)) return;
    for (const name of readdirSync(this.opts.dir)) {
      if (FILE_RE.test(name)) this.bytes += statSync(path.join(this.opts.dir, name)).size;
    }
    for (const name of this.claimable()) {
      for (const line of readFileSync(path.join(this.opts.dir, name), "utf8").split("\n")) {
        const e = line ? parseLine(line) : null;
        if (e) this.unreplayed.set(e.event.id, { entry: e, seeded: new Set() });
      }
    }
  }

  /** Appends one record; resolves once it is fsynced. Rejects with JournalFullError when full. */
  append(entry: JournalEntry): Promise<void> {
    this.measure();
    const line = `${JSON.stringify({ v: 1, event: entry.event, charge: entry.charge })}\n`;
    const size = Buffer.byteLength(line);
    if (this.bytes + size > this.opts.maxBytes) return Promise.reject(new JournalFullError(this.opts.maxBytes));
    this.bytes += size;
    this.unreplayed.set(entry.event.id, { entry, seeded: new Set() });
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ line, resolve, reject });
      if (!this.writing) this.writeQueued();
    });
  }

  /** Group commit: everything queued goes out in one write and one fsync. */
  private writeQueued(): void {
    this.writing = true;
    // Yield once so appends issued in the same tick join this batch.
    setImmediate(() => {
      const batch = this.queue.splice(0);
      try {
        if (this.fd === null) {
          mkdirSync(this.opts.dir, { recursive: true });
          this.file = path.join(this.opts.dir, `journal-${process.pid}-${randomUUID()}.jsonl`);
          this.fd = openSync(this.file, "a", 0o600);
        }
        writeSync(this.fd, batch.map((b) => b.line).join(""));
        fsyncSync(this.fd);
        for (const b of batch) b.resolve();
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
      this.writing = false;
      if (this.queue.length > 0) this.writeQueued();
    });
  }

  /** Ends the current file so a replay can take it; the next append starts a new one. */
  private rotate(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.file = null;
  }

  /** Files this process may replay now: its own closed ones and those of dead processes. */
  private claimable(): string[] {
    if (!existsSync(this.opts.dir)) return [];
    return readdirSync(this.opts.dir).filter((name) => {
      const m = FILE_RE.exec(name);
      if (!m) return false;
      const owner = Number(m[2] ?? m[1]);
      return owner === process.pid || !pidAlive(owner);
    });
  }

  /** True when there is anything this process could replay. */
  hasWork(): boolean {
    this.measure();
    return this.unreplayed.size > 0 || this.claimable().length > 0;
  }

  /**
   * Replays every claimable file through `apply` (which writes one entry to Redis, or throws).
   * Stops at the first failure: the rest of that file goes back into a new journal file.
   * Returns the number of entries applied.
   */
  async replay(apply: (entry: JournalEntry, seededCounters: ReadonlySet<string>) => Promise<void>): Promise<number> {
    if (this.writing || this.queue.length > 0) return 0; // an append is in flight: next time
    this.measure();
    this.rotate();
    let replayed = 0;
    for (const name of this.claimable()) {
      const from = path.join(this.opts.dir, name);
      const mine = `${from.replace(/\.replaying-\d+$/, "")}.replaying-${process.pid}`;
      try {
        renameSync(from, mine);
      } catch {
        continue; // another process took it
      }
      const claimedBytes = statSync(mine).size;
      const lines = readFileSync(mine, "utf8").split("\n").filter((l) => l.length > 0);
      let i = 0;
      try {
        for (; i < lines.length; i++) {
          const entry = parseLine(lines[i]!);
          if (!entry) continue; // a torn last line of a crashed process: nothing was acknowledged for it
          const release = await this.exclusive();
          try {
            await apply(entry, this.unreplayed.get(entry.event.id)?.seeded ?? new Set());
            this.unreplayed.delete(entry.event.id);
          } finally {
            release();
          }
          replayed++;
        }
      } finally {
        const rest = lines.slice(i).map((l) => `${l}\n`).join("");
        if (rest.length > 0) {
          const back = path.join(this.opts.dir, `journal-${process.pid}-${randomUUID()}.jsonl`);
          const fd = openSync(back, "a", 0o600);
          writeSync(fd, rest);
          fsyncSync(fd);
          closeSync(fd);
          for (const l of lines.slice(i)) {
            const e = parseLine(l);
            if (e && !this.unreplayed.has(e.event.id)) this.unreplayed.set(e.event.id, { entry: e, seeded: new Set() });
          }
        }
        unlinkSync(mine);
        this.bytes = Math.max(0, this.bytes - claimedBytes) + Buffer.byteLength(rest);
      }
    }
    return replayed;
  }

  /**
   * Spend of not yet replayed entries of this process for a key or tenant in [fromMs, toMs), for
   * seeding cap counters. `seeded(counter)` marks those entries as already counted in it, so
   * their replay does not add them to that counter a second time. Replay waits until `release()`:
   * the caller reads the rest of the spend (Redis, Postgres) and stores the counter in between.
   */
  async unreplayedSpend(
    scope: { apiKeyId?: string; tenantId?: string },
    fromMs: number,
    toMs: number,
  ): Promise<JournalSpend> {
    const release = await this.exclusive();
    this.measure();
    const hits: Unreplayed[] = [];
    let costMicros = 0;
    let tokens = 0;
    for (const u of this.unreplayed.values()) {
      const e = u.entry.event;
      if (scope.apiKeyId && e.apiKeyId !== scope.apiKeyId) continue;
      if (scope.tenantId && e.tenantId !== scope.tenantId) continue;
      if (e.startedAt < fromMs || e.startedAt >= toMs) continue;
      hits.push(u);
      costMicros += e.costMicros;
      tokens += totalTokens(e.usage);
    }
    return { costMicros, tokens, seeded: (counter) => hits.forEach((u) => u.seeded.add(counter)), release };
  }

  close(): void {
    this.rotate();
  }
}

function parseLine(line: string): JournalEntry | null {
  try {
    const parsed = lineSchema.safeParse(JSON.parse(line));
    return parsed.success ? { event: parsed.data.event, charge: parsed.data.charge } : null;
  } catch {
    return null;
  }
}
