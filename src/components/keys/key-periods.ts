/**
 * The key page's periods and first-page sizes. Pure (no "use client"): the server page prefetches
 * with these very values, so the browser's first queries hit the prefetched cache.
 */
import type { MessageKey } from "~/i18n";
import { DEFAULT_RANGE_DAYS } from "~/lib/range";
import { REQUEST_LOG_SORT_KEYS } from "~/ledger/request-log-filter";
import { intCodec, sortCodec } from "../url-params";

export const KEY_PERIODS = [
  { days: 1, label: "usage.range.today" },
  { days: 7, label: "usage.range.7d" },
  { days: 30, label: "usage.range.30d" },
  { days: 90, label: "usage.range.90d" },
] as const satisfies readonly { days: number; label: MessageKey }[];
export type KeyPeriodDays = (typeof KEY_PERIODS)[number]["days"];
export const KEY_DEFAULT_DAYS: KeyPeriodDays = DEFAULT_RANGE_DAYS;
/** ?days=30 */
export const keyDaysCodec = intCodec(KEY_PERIODS.map((p) => p.days));

export const REQUEST_LOG_PAGE_SIZE = 50;
/** The request log's order in the URL: ?logSort=cost (descending), ?logSort=model.asc; newest first when absent. */
export const REQUEST_LOG_SORT_PARAM = "logSort";
export const requestLogSortCodec = sortCodec(REQUEST_LOG_SORT_KEYS);
