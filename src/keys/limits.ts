/**
 * The one definition of every key limit: its column, input name, CLI flag, kind and bounds, unit,
 * label, editor group and who may change it. The tRPC input schema, the CLI flags
 * (limit-flags.ts), the limits editor's fields, the ledger mapping (limits-row.ts) and the field
 * rules (field-rules.ts) are derived from KEY_LIMITS; the Prisma schema stays the storage
 * (test/unit/key-limits-definition.test.ts checks they agree).
 *
 * Input: every field optional (absent = unchanged, null = no limit). Money arrives as decimal
 * dollar strings and becomes integer micro-dollars by string arithmetic (src/lib/money.ts).
 * Client-safe: no database, no server imports.
 */
import { z } from "zod";
import type { MessageKey } from "~/i18n";
import type { KeyLimits } from "~/ledger";
import { isUsdAmount, microsToUsdInput, parseUsdToMicros } from "~/lib/money";

/** "claude-sonnet-*", "gpt-4o", "*-mini": letters, digits, . _ - : / @ and * as a wildcard. */
export const modelPatternSchema = z
  .string()
  .trim()
  .min(1)
  .max(120)
  .regex(/^[A-Za-z0-9._:/@*-]+$/, "A model name or pattern: letters, digits, . _ - : / @ and * as a wildcard");

/** The most model patterns a key (or an upstream) lists. */
export const MODEL_PATTERNS_MAX = 50;

export const modelPatternListSchema = z.array(modelPatternSchema).max(MODEL_PATTERNS_MAX, `At most ${MODEL_PATTERNS_MAX} model patterns`);

const usdSchema = (maxMicros: number) =>
  z
    .string()
    .trim()
    .refine(isUsdAmount, "A dollar amount such as 12.50 (at most 6 decimals)")
    .transform((s) => parseUsdToMicros(s))
    .refine((v) => v <= BigInt(maxMicros), `At most $${microsToUsdInput(maxMicros)}`);

const wholeNumber = (min: number, max: number) =>
  z.number().int("A whole number").min(min, `At least ${min}`).max(max, `At most ${max}`);

/**
 * Kinds of limit. Storage: count Int?, bigCount BigInt?, usd BigInt? (µ$), date DateTime?,
 * models String[] (empty = all), upstream String? (a tenant Upstream id), choice Int (never null).
 */
export type LimitKind = "count" | "bigCount" | "usd" | "date" | "models" | "upstream" | "choice";

/** The input schema of each kind; bounds come from the definition. */
const inputSchemaOf = {
  count: (d: Bounds) => wholeNumber(d.min, d.max).nullable().optional(),
  bigCount: (d: Bounds) => wholeNumber(d.min, d.max).nullable().optional(),
  usd: (d: Bounds) => usdSchema(d.max).nullable().optional(),
  date: () => z.date().nullable().optional(),
  models: (d: Bounds) => z.array(modelPatternSchema).max(d.max, `At most ${d.max} model patterns`).optional(),
  upstream: () => z.string().trim().min(1).max(64).nullable().optional(),
  choice: (d: Bounds) => wholeNumber(d.min, d.max).optional(),
} satisfies Record<LimitKind, (d: Bounds) => z.ZodType>;

/** Stored (Prisma) value of each kind. */
interface StoredValue {
  count: number | null;
  bigCount: bigint | null;
  usd: bigint | null;
  date: Date | null;
  models: string[];
  upstream: string | null;
  choice: number;
}

/** The value as the portal reads it (JSON-safe numbers: µ$ and token counts stay below 2^53). */
interface ShownValue {
  count: number | null;
  bigCount: number | null;
  usd: number | null;
  date: Date | null;
  models: string[];
  upstream: string | null;
  choice: number;
}

interface Bounds {
  min: number;
  max: number;
}

export type LimitGroup = "access" | "rate" | "spend";
export type LimitUnit = "days" | "minutes" | "requests" | "tokens" | "micros" | "concurrent" | "weekday" | "hour";

export interface LimitDefinition extends Bounds {
  kind: LimitKind;
  /** Field name in the tRPC input and the editor form (dollar fields are named …Usd). */
  input: string;
  /** CLI flag (`--daily-usd`); null: not settable from the CLI. "none" clears a nullable limit. */
  flag: string | null;
  unit: LimitUnit | null;
  label: MessageKey;
  /**
   * What counts, when it resets, the bounds ({min} and {max}, shown in the limit's unit): the
   * editor's help text under the field.
   */
  help: MessageKey;
  group: LimitGroup;
  /**
   * Who may change it. "setter": whoever manages the key may tighten it, loosening needs the role
   * that set it (field-rules.ts). A role: only that role or higher, either way.
   */
  changeBy: "setter" | "ADMIN";
  /** The ledger's KeyLimits field it feeds (admission, limit status), if any. */
  ledger: keyof KeyLimits | null;
  /** Editor hints: a suffix after the input and a placeholder instead of "No limit". */
  suffix?: MessageKey;
  placeholder?: MessageKey;
}

const ANY = { min: 0, max: 0 };
const SAFE = Number.MAX_SAFE_INTEGER;
/** Dollar limits: at most $1,000,000,000 (integer µ$; a round figure the form can say). */
const USD = { min: 0, max: 1_000_000_000_000_000 };

/** Every limit, keyed by its ApiKey column, in the editor's order. */
export const KEY_LIMITS = {
  expiresAt: { kind: "date", input: "expiresAt", flag: "expires-at", unit: null, label: "limits.expiresAt", help: "limits.help.expiresAt", group: "access", changeBy: "setter", ledger: null, ...ANY },
  expiresAfterFirstUseDays: {
    kind: "count", input: "expiresAfterFirstUseDays", flag: "expires-after-first-use-days", min: 1, max: 3650, unit: "days",
    label: "limits.expiresAfterFirstUse", help: "limits.help.expiresAfterFirstUseDays", group: "access", changeBy: "setter", ledger: "expiresAfterFirstUseDays",
    suffix: "limits.days", placeholder: "common.never",
  },
  upstreamId: { kind: "upstream", input: "upstreamId", flag: null, unit: null, label: "limits.upstream", help: "limits.help.upstreamId", group: "access", changeBy: "ADMIN", ledger: null, ...ANY },
  allowedModels: { kind: "models", input: "allowedModels", flag: "allowed-models", unit: null, label: "limits.allowedModels", help: "limits.help.allowedModels", group: "access", changeBy: "setter", ledger: null, min: 0, max: MODEL_PATTERNS_MAX },
  rateWindowMinutes: {
    kind: "count", input: "rateWindowMinutes", flag: "rate-window-minutes", min: 1, max: 1440, unit: "minutes",
    label: "limits.window", help: "limits.help.rateWindowMinutes", group: "rate", changeBy: "setter", ledger: "rateWindowMinutes", suffix: "limits.minutes", placeholder: "limits.none",
  },
  rateMaxRequests: { kind: "count", input: "rateMaxRequests", flag: "rate-max-requests", min: 0, max: 1_000_000_000, unit: "requests", label: "limits.rateMaxRequests", help: "limits.help.rateMaxRequests", group: "rate", changeBy: "setter", ledger: "rateMaxRequests" },
  rateMaxTokens: { kind: "bigCount", input: "rateMaxTokens", flag: "rate-max-tokens", min: 0, max: SAFE, unit: "tokens", label: "limits.rateMaxTokens", help: "limits.help.rateMaxTokens", group: "rate", changeBy: "setter", ledger: "rateMaxTokens" },
  rateMaxCostMicros: { kind: "usd", input: "rateMaxCostUsd", flag: "rate-max-cost-usd", unit: "micros", label: "limits.rateMaxCost", help: "limits.help.rateMaxCostMicros", group: "rate", changeBy: "setter", ledger: "rateMaxCostMicros", ...USD },
  maxConcurrency: { kind: "count", input: "maxConcurrency", flag: "max-concurrency", min: 1, max: 10_000, unit: "concurrent", label: "limits.maxConcurrency", help: "limits.help.maxConcurrency", group: "rate", changeBy: "setter", ledger: "maxConcurrency" },
  dailyCostMicros: { kind: "usd", input: "dailyCostUsd", flag: "daily-usd", unit: "micros", label: "limits.name.cost_daily", help: "limits.help.dailyCostMicros", group: "spend", changeBy: "setter", ledger: "dailyCostMicros", ...USD },
  weeklyCostMicros: { kind: "usd", input: "weeklyCostUsd", flag: "weekly-usd", unit: "micros", label: "limits.name.cost_weekly", help: "limits.help.weeklyCostMicros", group: "spend", changeBy: "setter", ledger: "weeklyCostMicros", ...USD },
  weeklyResetDay: { kind: "choice", input: "weeklyResetDay", flag: "weekly-reset-day", min: 0, max: 6, unit: "weekday", label: "limits.weeklyResetDay", help: "limits.help.weeklyResetDay", group: "spend", changeBy: "setter", ledger: "weeklyResetDay" },
  weeklyResetHour: { kind: "choice", input: "weeklyResetHour", flag: "weekly-reset-hour", min: 0, max: 23, unit: "hour", label: "limits.weeklyResetHour", help: "limits.help.weeklyResetHour", group: "spend", changeBy: "setter", ledger: "weeklyResetHour" },
  monthlyCostMicros: { kind: "usd", input: "monthlyCostUsd", flag: "monthly-usd", unit: "micros", label: "limits.name.cost_monthly", help: "limits.help.monthlyCostMicros", group: "spend", changeBy: "setter", ledger: "monthlyCostMicros", ...USD },
  totalCostMicros: { kind: "usd", input: "totalCostUsd", flag: "total-usd", unit: "micros", label: "limits.totalCost", help: "limits.help.totalCostMicros", group: "spend", changeBy: "setter", ledger: "totalCostMicros", ...USD },
  totalTokens: { kind: "bigCount", input: "totalTokens", flag: "total-tokens", min: 0, max: SAFE, unit: "tokens", label: "limits.totalTokens", help: "limits.help.totalTokens", group: "spend", changeBy: "setter", ledger: "totalTokens" },
} as const satisfies Record<string, LimitDefinition>;

type Defs = typeof KEY_LIMITS;
/** An ApiKey column holding a limit. */
export type LimitColumn = keyof Defs;
export const LIMIT_COLUMNS = Object.keys(KEY_LIMITS) as LimitColumn[];

/** The columns under the tighten/loosen rule (field-rules.ts). */
export type LimitField = { [C in LimitColumn]: Defs[C]["changeBy"] extends "setter" ? C : never }[LimitColumn];
export const LIMIT_FIELDS = LIMIT_COLUMNS.filter((c): c is LimitField => KEY_LIMITS[c].changeBy === "setter");

export function limitDefinition(column: LimitColumn): LimitDefinition {
  return KEY_LIMITS[column];
}

/** The ApiKey columns the limit operations write (absent = unchanged). */
export type KeyLimitsColumns = { -readonly [C in LimitColumn]?: StoredValue[Defs[C]["kind"]] };

/** Every limit as the portal shows it (apiKey.get `limits`). */
export type KeyLimitValues = { -readonly [C in LimitColumn]: ShownValue[Defs[C]["kind"]] };

type InputName<C extends LimitColumn> = Defs[C]["input"];
type InputSchemaOf<C extends LimitColumn> = ReturnType<(typeof inputSchemaOf)[Defs[C]["kind"]]>;
type LimitsShape = { [C in LimitColumn as InputName<C>]: InputSchemaOf<C> };

function buildShape(): LimitsShape {
  const shape: Record<string, z.ZodType> = {};
  for (const column of LIMIT_COLUMNS) {
    const d = limitDefinition(column);
    shape[d.input] = inputSchemaOf[d.kind](d);
  }
  return shape as LimitsShape;
}

/** Field schemas of the limits input (tRPC and CLI), plus `active` (false revokes, true reactivates). */
export const keyLimitsShape = { active: z.boolean().optional(), ...buildShape() };

/** Rate maxima need a window (when both are in the same input; the operation checks the merged result). */
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

/** Parsed input → the columns it sets (absent stays absent). */
export function toLimitColumns(v: KeyLimitsParsed): KeyLimitsColumns {
  const parsed = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const column of LIMIT_COLUMNS) {
    const d = limitDefinition(column);
    const value = parsed[d.input];
    if (value === undefined) continue;
    if (d.kind === "bigCount") out[column] = value === null ? null : BigInt(value as number);
    else if (d.kind === "models") out[column] = [...new Set(value as string[])];
    else out[column] = value;
  }
  return out as KeyLimitsColumns;
}

/** Stored columns → what the portal shows (BigInt → number). */
export function toLimitValues(row: { [C in LimitColumn]: StoredValue[Defs[C]["kind"]] }): KeyLimitValues {
  const out: Record<string, unknown> = {};
  for (const column of LIMIT_COLUMNS) {
    const value: unknown = row[column];
    out[column] = typeof value === "bigint" ? Number(value) : value;
  }
  return out as KeyLimitValues;
}

/** Prisma select of every limit column. */
export const limitColumnsSelect = Object.fromEntries(LIMIT_COLUMNS.map((c) => [c, true])) as { [C in LimitColumn]: true };

/** JSON-safe value for audit details (BigInt → string, Date → ISO). */
export function auditValue(v: unknown): string | number | boolean | null | string[] {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "string") return v;
  return String(v);
}
