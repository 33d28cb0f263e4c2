/**
 * The request log's filter and the attribution id rule it checks with: pure (zod and the ledger's
 * pure id rule), so the portal's URL codec and the tests parse with the server's own schema.
 */
import { z } from "zod";
import { isValidAttributionId } from "./attribution";
import { sortOrderSchema } from "~/lib/sort-order";

export const attributionIdSchema = z
  .string()
  .trim()
  .refine(isValidAttributionId, "must be 1–128 characters of letters, digits and . _ : / @ + = , -");

export const STATUS_CLASSES = ["2xx", "4xx", "5xx", "errors", "refused"] as const;
export type StatusClass = (typeof STATUS_CLASSES)[number];

export const requestLogFilterSchema = z.object({
  statusClass: z.enum(STATUS_CLASSES).optional(),
  model: z.string().trim().min(1).max(200).optional(),
  /** Inclusive. */
  from: z.date().optional(),
  /** Exclusive. */
  to: z.date().optional(),
  /** End user / session as recorded (src/ledger/attribution.ts). */
  endUserId: attributionIdSchema.optional(),
  sessionId: attributionIdSchema.optional(),
});
export type RequestLogFilter = z.infer<typeof requestLogFilterSchema>;

/**
 * The request log's order: a column and a direction. Ties are broken by time, then id, in the same
 * direction (descending: newest first), so every order is total and a keyset cursor pages through
 * it without gaps or repeats.
 */
export const REQUEST_LOG_SORT_KEYS = ["time", "cost", "tokens", "status", "model", "latency"] as const;
export type RequestLogSortKey = (typeof REQUEST_LOG_SORT_KEYS)[number];
export const requestLogSortSchema = sortOrderSchema(REQUEST_LOG_SORT_KEYS);
export type RequestLogSort = z.infer<typeof requestLogSortSchema>;
export const DEFAULT_REQUEST_LOG_SORT: RequestLogSort = { key: "time", dir: "desc" };
