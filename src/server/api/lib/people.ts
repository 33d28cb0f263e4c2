/**
 * People and Sessions of a tenant or of one of its keys, for the portal (tRPC), the usage CSV and the
 * key holder's lookup: one place that turns a period into the rollups' UTC days and attaches key
 * names, so every surface shows the same rows. Callers check access first; every read is scoped
 * to the tenant.
 */
import { z } from "zod";
import type { PrismaClient } from "~/generated/prisma/client";
import {
  isValidAttributionId,
  OTHER_BUCKET,
  PEOPLE_PER_KEY_DAY,
  peopleUsage,
  SESSIONS_PER_KEY_DAY,
  sessionUsage,
  type PersonUsage,
  type SessionUsage,
} from "~/ledger";
import { dbRead as defaultDb } from "~/infra/db";
import type { SessionSort } from "~/ledger/session-sort";
import { lastDays } from "~/lib/time";

/** Periods offered (days, UTC, today included): the same choices as the usage views. */
export const PEOPLE_PERIOD_DAYS = [1, 7, 30, 90] as const;
export const peopleDaysSchema = z.union(PEOPLE_PERIOD_DAYS.map((d) => z.literal(d))).default(30);

/** An end-user or session id as a filter: the recording rule, so a filter can only name what can exist. */
export { attributionIdSchema } from "~/ledger/request-log-filter";
export { sessionSortSchema, DEFAULT_SESSION_SORT, type SessionSort } from "~/ledger/session-sort";

export const PEOPLE_MAX = 500;
export const SESSIONS_MAX_PAGE = 200;

/** The rollups count UTC days: the last `days` of them, up to the end of the current hour. */
export function peopleRange(days: number, now: Date = new Date()): { from: Date; to: Date } {
  const { from, to } = lastDays(days, "UTC", now);
  return { from, to };
}

export interface PersonRow extends PersonUsage {
  /** "named" = an id the client sent; "none" = requests that named nobody; "other" = past the cap. */
  kind: "named" | "none" | "other";
}

export interface SessionRow extends SessionUsage {
  keyName: string;
  overflow: boolean;
}

export async function tenantPeople(
  db: PrismaClient,
  q: { tenantId: string; apiKeyId?: string; days: number; limit?: number; now?: Date },
): Promise<{ from: Date; to: Date; people: PersonRow[]; total: number; caps: { peoplePerKeyDay: number; sessionsPerKeyDay: number } }> {
  const range = peopleRange(q.days, q.now);
  const r = await peopleUsage({ tenantId: q.tenantId, apiKeyId: q.apiKeyId, ...range, limit: q.limit ?? PEOPLE_MAX }, db);
  return {
    ...range,
    total: r.total,
    caps: { peoplePerKeyDay: PEOPLE_PER_KEY_DAY, sessionsPerKeyDay: SESSIONS_PER_KEY_DAY },
    people: r.people.map((p) => ({ ...p, kind: p.endUserId === "" ? "none" : p.endUserId === OTHER_BUCKET ? "other" : "named" })),
  };
}

export async function tenantSessions(
  db: PrismaClient,
  q: { tenantId: string; apiKeyId?: string; endUserId?: string; sessionId?: string; days: number; sort?: SessionSort; cursor?: string | null; limit: number; now?: Date },
): Promise<{ from: Date; to: Date; sessions: SessionRow[]; nextCursor: string | null }> {
  const range = peopleRange(q.days, q.now);
  const page = await sessionUsage(
    { tenantId: q.tenantId, apiKeyId: q.apiKeyId, endUserId: q.endUserId, sessionId: q.sessionId, ...range, sort: q.sort, cursor: q.cursor, limit: q.limit },
    db,
  );
  const ids = [...new Set(page.sessions.map((s) => s.apiKeyId))];
  const keys =
    ids.length === 0
      ? []
      : await db.apiKey.findMany({ where: { tenantId: q.tenantId, id: { in: ids } }, select: { id: true, name: true } });
  const names = new Map(keys.map((k) => [k.id, k.name]));
  return {
    ...range,
    nextCursor: page.nextCursor,
    sessions: page.sessions.map((s) => ({ ...s, keyName: names.get(s.apiKeyId) ?? "", overflow: s.sessionId.startsWith("(other") })),
  };
}

export const LOOKUP_ATTRIBUTION_DAYS = 30;
export const LOOKUP_SESSIONS = 50;

/**
 * The key holder's view (POST /api/lookup with the secret): the key's people and its 50 most
 * recent sessions over the last 30 UTC days, optionally for one end user or one session.
 */
export async function keyAttribution(
  apiKeyId: string,
  filter: { endUserId?: string; sessionId?: string },
  db: PrismaClient = defaultDb,
  now: Date = new Date(),
): Promise<{ from: Date; people: PersonRow[]; sessions: SessionRow[] } | null> {
  const key = await db.apiKey.findUnique({ where: { id: apiKeyId }, select: { tenantId: true } });
  if (!key) return null;
  const q = { tenantId: key.tenantId, apiKeyId, days: LOOKUP_ATTRIBUTION_DAYS, now };
  const [people, sessions] = await Promise.all([
    tenantPeople(db, { ...q, limit: PEOPLE_MAX }),
    tenantSessions(db, { ...q, ...filter, limit: LOOKUP_SESSIONS }),
  ]);
  const wanted = filter.endUserId;
  return { from: people.from, people: wanted === undefined ? people.people : people.people.filter((p) => p.endUserId === wanted), sessions: sessions.sessions };
}
