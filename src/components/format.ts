/** Display formatting. Sums are done on integers before this point; these only render. */
import { costDecimals } from "~/lib/money";

const integer = new Intl.NumberFormat("en-US");

export function formatCount(n: number): string {
  return integer.format(n);
}

/** Integer micro-dollars as dollars: exact (6 decimals) below $1, 4 decimals below $100, then cents. */
export function formatCost(micros: number): string {
  const digits = costDecimals(micros);
  return `$${(micros / 1_000_000).toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}

const dateTime = new Intl.DateTimeFormat("en-US", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });

/** In UTC so server and browser render the same text (no hydration mismatch). */
export function formatDateTime(date: Date | null | undefined): string {
  return date ? `${dateTime.format(date)} UTC` : "—";
}
