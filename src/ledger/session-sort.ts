/**
 * The Sessions table's order: a column and a direction. Pure (zod only), so the portal's URL codec
 * and the server's input check are one definition. Ties are broken by last activity, then key id,
 * then session id, in the same direction, so every order is total and a keyset cursor pages it
 * without gaps or repeats.
 */
import type { z } from "zod";
import { sortOrderSchema } from "~/lib/sort-order";

export const SESSION_SORT_KEYS = ["lastSeen", "cost", "requests", "tokens", "duration"] as const;
export type SessionSortKey = (typeof SESSION_SORT_KEYS)[number];
export const sessionSortSchema = sortOrderSchema(SESSION_SORT_KEYS);
export type SessionSort = z.infer<typeof sessionSortSchema>;
/** Most recently active first. */
export const DEFAULT_SESSION_SORT: SessionSort = { key: "lastSeen", dir: "desc" };
