/**
 * The usage views' date range and bucket, as the URL, the tRPC input and the server resolve them:
 * pure (zod only), so client components and the server share one definition.
 */
import { z } from "zod";

/** At most this many calendar days in a custom range. */
export const MAX_RANGE_DAYS = 366;
/** Hour buckets only up to this many days (744 points). */
export const MAX_HOURLY_DAYS = 31;

const dateKeySchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "Use YYYY-MM-DD");

export const RANGE_PRESETS = ["today", "7d", "30d", "month"] as const;
export type RangePreset = (typeof RANGE_PRESETS)[number];

export const rangeInputSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.enum(RANGE_PRESETS) }),
  z.object({ kind: z.literal("custom"), from: dateKeySchema, to: dateKeySchema }),
]);
export type RangeInput = z.infer<typeof rangeInputSchema>;
/** The range every usage view opens with (tenant dashboard, key page, admin), and its length in days. */
export const DEFAULT_RANGE = { kind: "7d" } as const satisfies RangeInput;
export const DEFAULT_RANGE_DAYS = 7;
export const bucketSchema = z.enum(["hour", "day"]);
export type Bucket = z.infer<typeof bucketSchema>;
