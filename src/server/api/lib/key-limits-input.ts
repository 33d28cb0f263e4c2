/**
 * The key limits editor's input, validated server-side (the form sends exactly this). Every field
 * is optional: absent = unchanged, null = no limit. Money arrives as decimal dollar strings and is
 * converted to integer micro-dollars by string arithmetic (src/lib/money.ts), never through floats.
 */
import { z } from "zod";
import { isUsdAmount, parseUsdToMicros } from "~/lib/money";

/** "claude-sonnet-*", "gpt-4o", "*-mini": letters, digits, . _ - : / @ and * as a wildcard. */
export const modelPatternSchema = z
  .string()
  .trim()
  .min(1)
  .max(120)
  .regex(/^[A-Za-z0-9._:/@*-]+$/, "A model name or pattern: letters, digits, . _ - : / @ and * as a wildcard");

export const modelPatternListSchema = z.array(modelPatternSchema).max(50, "At most 50 model patterns");

const usd = z
  .string()
  .trim()
  .refine(isUsdAmount, "A dollar amount such as 12.50 (at most 6 decimals)")
  .transform((s) => parseUsdToMicros(s))
  .refine((v) => v <= BigInt(Number.MAX_SAFE_INTEGER), "Too large");

const count = (min: number, max: number) => z.number().int("A whole number").min(min, `At least ${min}`).max(max, `At most ${max}`);

/** Field schemas of the editor; every one optional in the input (absent = unchanged). */
export const keyLimitsShape = {
  /** false revokes the key, true reactivates a revoked key. */
  active: z.boolean().optional(),
  expiresAt: z.date().nullable().optional(),
  expiresAfterFirstUseDays: count(1, 3650).nullable().optional(),
  allowedModels: modelPatternListSchema.optional(),
  rateWindowMinutes: count(1, 1440).nullable().optional(),
  rateMaxRequests: count(0, 1_000_000_000).nullable().optional(),
  rateMaxTokens: count(0, Number.MAX_SAFE_INTEGER).nullable().optional(),
  rateMaxCostUsd: usd.nullable().optional(),
  maxConcurrency: count(1, 10_000).nullable().optional(),
  dailyCostUsd: usd.nullable().optional(),
  weeklyCostUsd: usd.nullable().optional(),
  weeklyResetDay: count(0, 6).optional(),
  weeklyResetHour: count(0, 23).optional(),
  monthlyCostUsd: usd.nullable().optional(),
  totalCostUsd: usd.nullable().optional(),
  totalTokens: count(0, Number.MAX_SAFE_INTEGER).nullable().optional(),
  upstreamId: z.string().trim().min(1).max(64).nullable().optional(),
};

/** Rate maxima need a window (when both are in the same input; the handler checks the merged result). */
export function checkRateWindow(
  v: { rateWindowMinutes?: number | null; rateMaxRequests?: number | null; rateMaxTokens?: number | null; rateMaxCostUsd?: bigint | null },
  ctx: z.RefinementCtx,
): void {
  const hasRateMax = [v.rateMaxRequests, v.rateMaxTokens, v.rateMaxCostUsd].some((m) => m !== null && m !== undefined);
  if (hasRateMax && v.rateWindowMinutes === null) {
    ctx.addIssue({ code: "custom", path: ["rateWindowMinutes"], message: "Set a window for the rate limits" });
  }
}

export const keyLimitsInputSchema = z.object(keyLimitsShape).superRefine(checkRateWindow);

export type KeyLimitsInput = z.input<typeof keyLimitsInputSchema>;
export type KeyLimitsParsed = z.output<typeof keyLimitsInputSchema>;

/** The ApiKey columns the editor writes. */
export interface KeyLimitsColumns {
  expiresAt?: Date | null;
  expiresAfterFirstUseDays?: number | null;
  allowedModels?: string[];
  rateWindowMinutes?: number | null;
  rateMaxRequests?: number | null;
  rateMaxTokens?: bigint | null;
  rateMaxCostMicros?: bigint | null;
  maxConcurrency?: number | null;
  dailyCostMicros?: bigint | null;
  weeklyCostMicros?: bigint | null;
  weeklyResetDay?: number;
  weeklyResetHour?: number;
  monthlyCostMicros?: bigint | null;
  totalCostMicros?: bigint | null;
  totalTokens?: bigint | null;
  upstreamId?: string | null;
}

const big = (v: number | bigint | null | undefined) => (v === undefined ? undefined : v === null ? null : BigInt(v));

export function toLimitColumns(v: KeyLimitsParsed): KeyLimitsColumns {
  const out: KeyLimitsColumns = {
    expiresAt: v.expiresAt,
    expiresAfterFirstUseDays: v.expiresAfterFirstUseDays,
    allowedModels: v.allowedModels ? [...new Set(v.allowedModels)] : undefined,
    rateWindowMinutes: v.rateWindowMinutes,
    rateMaxRequests: v.rateMaxRequests,
    rateMaxTokens: big(v.rateMaxTokens),
    rateMaxCostMicros: v.rateMaxCostUsd,
    maxConcurrency: v.maxConcurrency,
    dailyCostMicros: v.dailyCostUsd,
    weeklyCostMicros: v.weeklyCostUsd,
    weeklyResetDay: v.weeklyResetDay,
    weeklyResetHour: v.weeklyResetHour,
    monthlyCostMicros: v.monthlyCostUsd,
    totalCostMicros: v.totalCostUsd,
    totalTokens: big(v.totalTokens),
    upstreamId: v.upstreamId,
  };
  for (const k of Object.keys(out) as (keyof KeyLimitsColumns)[]) if (out[k] === undefined) delete out[k];
  return out;
}

/** JSON-safe value for audit details (BigInt → string, Date → ISO). */
export function auditValue(v: unknown): string | number | boolean | null | string[] {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "string") return v;
  return String(v);
}
