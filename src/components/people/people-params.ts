/**
 * The People page's URL: ?days= (period), ?key= (one key), ?person= (sessions of one end user) and
 * ?sessionSort= (the Sessions table's order).
 * Pure (no "use client"): the server page prefetches with what these read, so the browser's first
 * queries hit its cache (a constant imported from a client module would reach the server as a
 * client reference, not a value, and the prefetch would fail its input check).
 */
import { z } from "zod";
import { attributionIdSchema } from "~/ledger/request-log-filter";
import { SESSION_SORT_KEYS } from "~/ledger/session-sort";

export { DEFAULT_SESSION_SORT, type SessionSort, type SessionSortKey } from "~/ledger/session-sort";
import { DEFAULT_RANGE_DAYS } from "~/lib/range";
import { intCodec, sortCodec, type ParamCodec } from "../url-params";

/** The same choices as the server's peopleDaysSchema (UTC days, today included). */
export const PEOPLE_PERIODS = [1, 7, 30, 90] as const;
export type PeoplePeriod = (typeof PEOPLE_PERIODS)[number];
/** One default range everywhere (DEFAULT_RANGE_DAYS). */
export const PEOPLE_DEFAULT_DAYS: PeoplePeriod = DEFAULT_RANGE_DAYS;
export const SESSIONS_PAGE_SIZE = 50;

export const peopleDaysCodec = intCodec(PEOPLE_PERIODS);

/** An API ID (?key=). */
export const keyIdCodec: ParamCodec<string> = {
  parse: (raw) => (z.uuid().safeParse(raw).success ? raw.toLowerCase() : undefined),
  format: (v) => v,
};

/** An end user as recorded (?person=alice@example.com). */
export const personCodec: ParamCodec<string> = {
  parse: (raw) => {
    const parsed = attributionIdSchema.safeParse(raw);
    return parsed.success ? parsed.data : undefined;
  },
  format: (v) => v,
};

/** The Sessions table's order: ?sessionSort=cost (descending), ?sessionSort=duration.asc; most recently active first when absent. */
export const SESSION_SORT_PARAM = "sessionSort";
export const sessionSortCodec = sortCodec(SESSION_SORT_KEYS);
