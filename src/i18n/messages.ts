/** Dictionaries by locale, the t() function and locale-aware formatters. Server and client safe. */
import { costDecimals } from "~/lib/money";
import type { Locale } from "./config";
import { en, type Dictionary, type MessageKey } from "./en";
import { zhCN } from "./zh-CN";

export type { Dictionary, MessageKey };

export const DICTIONARIES: Readonly<Record<Locale, Dictionary>> = { en, "zh-CN": zhCN };

export type MessageVars = Readonly<Record<string, string | number>>;
export type TFunction = (key: MessageKey, vars?: MessageVars) => string;

/** t() for a locale: looks the key up (English as a fallback) and fills `{name}` placeholders. */
export function createT(locale: Locale): TFunction {
  const dict = DICTIONARIES[locale];
  const numbers = new Intl.NumberFormat(locale);
  return (key, vars) => {
    const text = dict[key] ?? en[key];
    if (!vars) return text;
    return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
      const v = vars[name];
      if (v === undefined) return whole;
      return typeof v === "number" ? numbers.format(v) : v;
    });
  };
}

/** Formatters bound to a locale. Dates default to UTC so server and browser render the same text. */
export interface Formatters {
  locale: Locale;
  count: (n: number) => string;
  compact: (n: number) => string;
  percent: (fraction: number, digits?: number) => string;
  /**
   * Integer micro-dollars as dollars: 6 decimals below $1, 4 below $100, then cents (costDecimals),
   * or `digits` decimals (a column's, from columnCostDecimals).
   */
  cost: (micros: number, digits?: number) => string;
  dateTime: (date: Date | null | undefined, timeZone?: string) => string;
  /** To the second, with the zone's name ("Dec 1, 2026, 12:03:07 UTC"): request times. */
  dateTimeSeconds: (date: Date | null | undefined, timeZone?: string) => string;
  date: (date: Date | null | undefined, timeZone?: string) => string;
  ms: (ms: number) => string;
}

/**
 * Intl formatters, one per locale and options: building one costs a fraction of a millisecond, and
 * a dashboard formats hundreds of values per render (server and browser alike). Keys are bounded:
 * locales, decimals 0–6, the IANA zones tenants may pick.
 */
const intlFormats = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();
function numberFormat(key: string, locale: Locale, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  let f = intlFormats.get(`n|${locale}|${key}`) as Intl.NumberFormat | undefined;
  if (!f) intlFormats.set(`n|${locale}|${key}`, (f = new Intl.NumberFormat(locale, options)));
  return f;
}
function dateFormat(key: string, locale: Locale, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  let f = intlFormats.get(`d|${locale}|${key}`) as Intl.DateTimeFormat | undefined;
  if (!f) intlFormats.set(`d|${locale}|${key}`, (f = new Intl.DateTimeFormat(locale, options)));
  return f;
}

export function createFormatters(locale: Locale): Formatters {
  const integer = numberFormat("integer", locale, {});
  const compactFmt = numberFormat("compact", locale, { notation: "compact", maximumFractionDigits: 1 });
  return {
    locale,
    count: (n) => integer.format(n),
    compact: (n) => compactFmt.format(n),
    percent: (fraction, digits = 1) => numberFormat(`percent|${digits}`, locale, { style: "percent", maximumFractionDigits: digits }).format(fraction),
    cost: (micros, digits = costDecimals(micros)) =>
      `$${numberFormat(`fixed|${digits}`, locale, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(micros / 1_000_000)}`,
    dateTime: (date, timeZone = "UTC") =>
      date
        ? `${dateFormat(`dateTime|${timeZone}`, locale, { dateStyle: "medium", timeStyle: "short", timeZone }).format(date)}${timeZone === "UTC" ? " UTC" : ""}`
        : "—",
    dateTimeSeconds: (date, timeZone = "UTC") =>
      date
        ? dateFormat(`dateTimeSeconds|${timeZone}`, locale, {
            year: "numeric",
            month: "short",
            day: "numeric",
            hour: "2-digit",
            minute: "2-digit",
            second: "2-digit",
            hourCycle: "h23",
            timeZone,
            timeZoneName: "short",
          }).format(date)
        : "—",
    date: (date, timeZone = "UTC") => (date ? dateFormat(`date|${timeZone}`, locale, { dateStyle: "medium", timeZone }).format(date) : "—"),
    ms: (ms) => `${numberFormat(`ms|${ms < 10 ? 1 : 0}`, locale, { maximumFractionDigits: ms < 10 ? 1 : 0 }).format(ms)} ms`,
  };
}
