/**
 * Operator side of the DeadLetter table (the flush writes it: see flush.ts): list what was
 * quarantined, and replay it. A replay re-parses the raw event, re-sanitizes it (sanitize.ts:
 * a clamped usage is re-priced and flagged suspicious) and commits it with the flush's own
 * statement, in one transaction with marking the dead letter replayed: the request id keeps the
 * row unique, and a dead letter is claimed (replayedAt IS NULL → now) at most once.
 */
import type { PrismaClient } from "~/generated/prisma/client";
import { db as defaultDb } from "~/infra/db";
import { loadPriceOverrides } from "~/server/price-overrides";
import type { PriceOverrides } from "~/pricing";
import { storedEventSchema, type StoredEvent } from "./event";
import { commitEvents, describeError, isDataError } from "./flush";
import { toStoredEvent } from "./record";
import { safeText, sanitizeEvent } from "./sanitize";

export interface DeadLetterRow {
  id: string;
  shard: number;
  streamId: string;
  eventId: string | null;
  tenantId: string | null;
  error: string;
  firstSeenAt: Date;
  replayedAt: Date | null;
  replayError: string | null;
  raw: string;
}

export async function listDeadLetters(
  opts: { includeReplayed?: boolean; limit?: number } = {},
  db: PrismaClient = defaultDb,
): Promise<DeadLetterRow[]> {
  return db.deadLetter.findMany({
    where: opts.includeReplayed ? {} : { replayedAt: null },
    orderBy: [{ firstSeenAt: "asc" }, { id: "asc" }],
    take: opts.limit ?? 100,
  });
}

/** Dead letters not replayed yet (the count platform admins see). */
export async function openDeadLetterCount(db: PrismaClient = defaultDb): Promise<number> {
  return db.deadLetter.count({ where: { replayedAt: null } });
}

export interface ReplayReport {
  /** Dead letters replayed now, with the request-log rows they inserted (0 = the id was already there). */
  replayed: Array<{ id: string; eventId: string; inserted: number; flags: string[] }>;
  /** Dead letters that still cannot be stored; they stay open with replayError set. */
  failed: Array<{ id: string; error: string }>;
  /** Ids asked for that do not exist or were already replayed. */
  skipped: string[];
}

export interface ReplayDeps {
  db: PrismaClient;
  priceOverrides: (tenantId: string) => Promise<PriceOverrides>;
}

/** The event as it will be stored again: parsed, re-sanitized; re-priced only if its usage had to be clamped. */
function revalidate(raw: string, overrides: PriceOverrides): StoredEvent {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ReplayRefused("the raw entry is not JSON");
  }
  const parsed = storedEventSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ReplayRefused(`not a valid event: ${issue?.path.join(".") ?? ""} ${issue?.message ?? ""}`.trim());
  }
  const { event, usageClamped } = sanitizeEvent(parsed.data);
  if (usageClamped) return toStoredEvent(event, overrides);
  return { ...event, costMicros: parsed.data.costMicros, priced: parsed.data.priced };
}

class ReplayRefused extends Error {}

/** Replays one dead letter (by id) or every open one (`all`), oldest first. */
export async function replayDeadLetters(
  target: { id: string } | { all: true },
  overrides: Partial<ReplayDeps> = {},
): Promise<ReplayReport> {
  const deps: ReplayDeps = { db: defaultDb, priceOverrides: loadPriceOverrides, ...overrides };
  const report: ReplayReport = { replayed: [], failed: [], skipped: [] };
  // Ids first, rows one by one: raw events can be large and there may be many.
  const ids =
    "id" in target
      ? [target.id]
      : (await deps.db.deadLetter.findMany({ where: { replayedAt: null }, orderBy: [{ firstSeenAt: "asc" }, { id: "asc" }], select: { id: true } })).map(
          (r) => r.id,
        );
  for (const id of ids) {
    const row = await deps.db.deadLetter.findFirst({ where: { id, replayedAt: null } });
    if (!row) {
      report.skipped.push(id);
      continue;
    }
    try {
      const tenantId = row.tenantId ?? "";
      const event = revalidate(row.raw, tenantId ? await deps.priceOverrides(tenantId) : {});
      const inserted = await deps.db.$transaction(async (tx) => {
        const claimed = await tx.deadLetter.updateMany({ where: { id: row.id, replayedAt: null }, data: { replayedAt: new Date(), replayError: null } });
        if (claimed.count === 0) return null; // replayed by someone else meanwhile
        return commitEvents(tx, [event], row.shard);
      });
      if (inserted === null) report.skipped.push(row.id);
      else report.replayed.push({ id: row.id, eventId: event.id, inserted, flags: event.flags });
    } catch (err) {
      if (!(err instanceof ReplayRefused) && !isDataError(err)) throw err; // Postgres away: stop, nothing half-done
      const error = err instanceof ReplayRefused ? safeText(err.message, 1000) : describeError(err);
      await deps.db.deadLetter.update({ where: { id: row.id }, data: { replayError: error } });
      report.failed.push({ id: row.id, error });
    }
  }
  return report;
}
