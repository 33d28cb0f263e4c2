/**
 * Money is integer micro-dollars (1e-6 USD). Conversions to and from decimal dollar strings are
 * done by string arithmetic, never with floats, so "0.1" is exactly 100 000 µ$. Safe in the browser.
 */

export class MoneyFormatError extends Error {}

/** "12.5" → 12_500_000n micro-dollars. Throws MoneyFormatError for anything else (negative, > 6 decimals, junk). */
export function parseUsdToMicros(text: string): bigint {
  const m = /^(\d+)(?:\.(\d{1,6}))?$/.exec(text.trim().replace(/^\$/, ""));
  if (!m) throw new MoneyFormatError(`not a dollar amount with at most 6 decimals: "${text}"`);
  return BigInt(m[1]!) * 1_000_000n + BigInt((m[2] ?? "").padEnd(6, "0"));
}

/** True if `text` is a dollar amount parseUsdToMicros accepts. */
export function isUsdAmount(text: string): boolean {
  return /^\$?\d+(?:\.\d{1,6})?$/.test(text.trim());
}

/** Integer micro-dollars as an exact decimal dollar string without trailing zeros: 12_500_000 → "12.5". */
export function microsToUsdInput(micros: number | bigint): string {
  const v = BigInt(micros);
  const sign = v < 0n ? "-" : "";
  const abs = v < 0n ? -v : v;
  const whole = abs / 1_000_000n;
  const frac = (abs % 1_000_000n).toString().padStart(6, "0").replace(/0+$/, "");
  return `${sign}${whole}${frac ? `.${frac}` : ""}`;
}

/** Micro-dollars as a dollar decimal string with all six places: 15807 → "0.015807". */
export function microsToDollars(micros: number | bigint): string {
  if (typeof micros === "number" && Number.isSafeInteger(micros)) {
    // Exact in Number arithmetic (every step stays an integer below 2^53); no BigInt per log line.
    const abs = Math.abs(micros);
    const frac = abs % 1_000_000;
    return `${micros < 0 ? "-" : ""}${(abs - frac) / 1_000_000}.${String(frac).padStart(6, "0")}`;
  }
  const n = typeof micros === "bigint" ? micros : BigInt(Math.round(micros));
  const neg = n < 0n;
  const abs = neg ? -n : n;
  return `${neg ? "-" : ""}${abs / 1_000_000n}.${(abs % 1_000_000n).toString().padStart(6, "0")}`;
}

/**
 * Decimals a dollar amount is shown with: exact (6) below $1, 4 below $100, then cents; $0 as
 * "$0.00". One rule for every page (Formatters.cost, the e2e helpers).
 */
export function costDecimals(micros: number): 2 | 4 | 6 {
  const abs = Math.abs(micros);
  return abs === 0 ? 2 : abs < 1_000_000 ? 6 : abs < 100_000_000 ? 4 : 2;
}

/**
 * Decimals for a column (or a "used / max" pair) of amounts: the most any of them needs, so every
 * cell has the same decimals, figures line up, and no small amount rounds to a misleading $0.00.
 */
export function columnCostDecimals(micros: readonly number[]): 2 | 4 | 6 {
  let digits: 2 | 4 | 6 = 2;
  for (const m of micros) {
    const d = costDecimals(m);
    if (d > digits) digits = d;
  }
  return digits;
}

/** The exact amount, e.g. "$0.15807" (a hover title next to a rounded figure). */
export function exactUsd(micros: number | bigint): string {
  return `$${microsToUsdInput(micros)}`;
}
