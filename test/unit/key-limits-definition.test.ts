/**
 * KEY_LIMITS (src/keys/limits.ts) is the one list of key limits; Prisma's ApiKey model is their
 * storage. These checks keep the two in step and show that what is derived from the list agrees:
 * the portal's input schema and the CLI's flags accept and refuse the same values.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { KEY_LIMITS, LIMIT_COLUMNS, LimitArgError, keyLimitsInputSchema, parseKeyLimitArgs, toKeyLimits, type LimitKind } from "~/keys";
import type { KeyLimits } from "~/ledger";
import { en } from "~/i18n/en";
import { zhCN } from "~/i18n/zh-CN";

/** Every KeyLimits field (a Record, so the compiler insists on all of them). */
const KEY_LIMITS_FIELDS: Record<keyof KeyLimits, true> = {
  apiKeyId: true, tenantId: true, timeZone: true, rateWindowMinutes: true, rateMaxRequests: true, rateMaxTokens: true,
  rateMaxCostMicros: true, maxConcurrency: true, dailyCostMicros: true, weeklyCostMicros: true, monthlyCostMicros: true,
  totalCostMicros: true, totalTokens: true, weeklyResetDay: true, weeklyResetHour: true, expiresAfterFirstUseDays: true,
  tenantMonthlyBudgetMicros: true,
};

const schema = readFileSync(path.resolve(import.meta.dirname, "../../prisma/schema.prisma"), "utf8");
const apiKeyModel = /model ApiKey \{([\s\S]*?)\n\}/.exec(schema)![1]!;
/** column → Prisma type as written ("Int?", "BigInt?", "String[]", …). */
const columns = new Map(
  apiKeyModel
    .split("\n")
    .map((line) => /^\s+(\w+)\s+(\S+)/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null && !m[1]!.startsWith("@@"))
    .map((m) => [m[1]!, m[2]!]),
);

/** ApiKey columns that are not limits (identity, secret, bookkeeping, relations). */
const NOT_LIMITS = [
  "id", "tenantId", "createdById", "name", "description", "tags", "keyHash", "keyPrefix", "createdAt", "lastUsedAt",
  "firstUsedAt", "revokedAt", "revokedByRole", "limitsSetByRole", "tenant", "createdBy", "upstream",
];

const PRISMA_TYPE: Record<LimitKind, string> = {
  count: "Int?",
  bigCount: "BigInt?",
  usd: "BigInt?",
  date: "DateTime?",
  models: "String[]",
  upstream: "String?",
  choice: "Int",
};

describe("KEY_LIMITS and the Prisma schema", () => {
  it("every ApiKey column is either a defined limit or a known non-limit column", () => {
    const undefinedColumns = [...columns.keys()].filter((c) => !NOT_LIMITS.includes(c) && !(c in KEY_LIMITS));
    expect(undefinedColumns).toEqual([]);
  });

  it.each(LIMIT_COLUMNS)("%s is a column of the storage type of its kind", (column) => {
    expect(columns.get(column)).toBe(PRISMA_TYPE[KEY_LIMITS[column].kind]);
  });

  it("the ledger's KeyLimits get every limit they hold from a definition", () => {
    const fed = LIMIT_COLUMNS.map((c) => KEY_LIMITS[c].ledger).filter((f) => f !== null);
    const fromTenant = ["apiKeyId", "tenantId", "timeZone", "tenantMonthlyBudgetMicros"];
    expect(new Set(fed)).toEqual(new Set(Object.keys(KEY_LIMITS_FIELDS).filter((f) => !fromTenant.includes(f))));
    const row = {
      id: "k", tenantId: "t", tenant: { timeZone: "Asia/Tokyo", monthlyBudgetMicros: 9n },
      expiresAfterFirstUseDays: 3, rateWindowMinutes: 5, rateMaxRequests: 6, rateMaxTokens: 7n, rateMaxCostMicros: 8n,
      maxConcurrency: 2, dailyCostMicros: 10n, weeklyCostMicros: 11n, monthlyCostMicros: 12n, totalCostMicros: 13n,
      totalTokens: 14n, weeklyResetDay: 3, weeklyResetHour: 4,
    };
    expect(toKeyLimits(row)).toEqual({
      apiKeyId: "k", tenantId: "t", timeZone: "Asia/Tokyo", tenantMonthlyBudgetMicros: 9,
      expiresAfterFirstUseDays: 3, rateWindowMinutes: 5, rateMaxRequests: 6, rateMaxTokens: 7, rateMaxCostMicros: 8,
      maxConcurrency: 2, dailyCostMicros: 10, weeklyCostMicros: 11, monthlyCostMicros: 12, totalCostMicros: 13,
      totalTokens: 14, weeklyResetDay: 3, weeklyResetHour: 4,
    });
  });
});

/** Does the portal's input schema take this value for the limit? */
function portalAccepts(column: keyof typeof KEY_LIMITS, value: unknown): boolean {
  return keyLimitsInputSchema.safeParse({ [KEY_LIMITS[column].input]: value }).success;
}

/** Does the CLI take this flag text for the limit? */
function cliAccepts(column: keyof typeof KEY_LIMITS, text: string): boolean {
  const flag = KEY_LIMITS[column].flag;
  if (flag === null) throw new Error(`${column} has no flag`);
  try {
    parseKeyLimitArgs({ [flag]: text });
    return true;
  } catch (error) {
    if (error instanceof LimitArgError) return false;
    throw error;
  }
}

const BOUNDED = LIMIT_COLUMNS.filter((c) => ["count", "bigCount", "choice"].includes(KEY_LIMITS[c].kind));

describe("the portal and the CLI take the same values", () => {
  it.each(BOUNDED)("%s: both accept the bounds and refuse one past them", (column) => {
    const { min, max } = KEY_LIMITS[column];
    for (const v of [min, max]) {
      expect([column, v, portalAccepts(column, v), cliAccepts(column, String(v))]).toEqual([column, v, true, true]);
    }
    for (const v of [min - 1, max + 1]) {
      expect([column, v, portalAccepts(column, v), cliAccepts(column, String(v))]).toEqual([column, v, false, false]);
    }
  });

  it.each(LIMIT_COLUMNS.filter((c) => KEY_LIMITS[c].kind === "usd"))("%s: both take exact dollars and refuse the rest", (column) => {
    for (const [text, ok] of [["12.5", true], ["0.000001", true], ["12.1234567", false], ["-1", false], ["abc", false], ["99999999999", false]] as const) {
      expect([text, portalAccepts(column, text), cliAccepts(column, text)]).toEqual([text, ok, ok]);
    }
  });

  it("allowed models: both refuse a pattern with characters outside the model alphabet", () => {
    expect([portalAccepts("allowedModels", ["claude-*"]), cliAccepts("allowedModels", "claude-*")]).toEqual([true, true]);
    expect([portalAccepts("allowedModels", ["claude sonnet"]), cliAccepts("allowedModels", "claude sonnet")]).toEqual([false, false]);
  });

  it("the CLI's flags become the same columns as the portal's input", () => {
    expect(
      parseKeyLimitArgs({ "daily-usd": "2.5", "rate-max-tokens": "100", "rate-window-minutes": "5", "expires-at": "none", "allowed-models": "a,b,a" }),
    ).toEqual({ dailyCostMicros: 2_500_000n, rateMaxTokens: 100n, rateWindowMinutes: 5, expiresAt: null, allowedModels: ["a", "b"] });
  });
});

describe("help text and bounds from the definition", () => {
  const enDict = en as Record<string, string>;
  const zhDict = zhCN as Record<string, string>;

  it.each(LIMIT_COLUMNS)("%s has help text in both dictionaries; bounded limits say their maximum", (column) => {
    const d = KEY_LIMITS[column];
    expect(enDict[d.help], d.help).toBeTruthy();
    expect(zhDict[d.help], d.help).toBeTruthy();
    expect(zhDict[d.help]).not.toBe(enDict[d.help]);
    if (["count", "bigCount", "usd", "models"].includes(d.kind)) {
      expect(enDict[d.help]).toContain("{max}");
      expect(zhDict[d.help]).toContain("{max}");
    }
  });

  it.each(LIMIT_COLUMNS.filter((c) => KEY_LIMITS[c].kind === "usd"))("%s: the maximum is accepted; past it the message says the maximum", (column) => {
    const d = KEY_LIMITS[column];
    expect(d.max).toBe(1_000_000_000_000_000);
    expect(portalAccepts(column, "1000000000")).toBe(true);
    const refused = keyLimitsInputSchema.safeParse({ [d.input]: "1000000000.000001" });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toBe("At most $1000000000");
    expect(() => parseKeyLimitArgs({ [d.flag!]: "1000000001" })).toThrow(`--${d.flag}: At most $1000000000`);
  });
});
