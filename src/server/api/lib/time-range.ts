/** Calendar helpers in a tenant's IANA time zone, without a date library. */
import { zonedTimeToUtc } from "~/ledger/periods";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const dayFormatters = new Map<string, Intl.DateTimeFormat>();

function dayFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = dayFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
    dayFormatters.set(timeZone, f);
  }
  return f;
}

/** "YYYY-MM-DD" of the instant in the time zone. */
export function dayKey(date: Date, timeZone: string): string {
  return dayFormatter(timeZone).format(date);
}

/** The instant at which the calendar day containing `date` begins in the zone. */
export function startOfDay(date: Date, timeZone: string): Date {
  const [y, m, d] = dayKey(date, timeZone).split("-").map(Number) as [number, number, number];
  return new Date(zonedTimeToUtc(y, m, d, 0, timeZone));
}

export function floorHour(date: Date): Date {
  return new Date(Math.floor(date.getTime() / HOUR_MS) * HOUR_MS);
}

export function nextHour(date: Date): Date {
  return new Date(floorHour(date).getTime() + HOUR_MS);
}

export interface DayRange {
  from: Date;
  /** Exclusive. */
  to: Date;
  /** Every calendar day in the range, oldest first, as "YYYY-MM-DD". */
  days: string[];
}

/** The last `days` calendar days in the zone, today included, up to the end of the current hour. */
export function lastDays(days: number, timeZone: string, now: Date = new Date()): DayRange {
  const from = startOfDay(new Date(startOfDay(now, timeZone).getTime() - (days - 1) * DAY_MS + 12 * HOUR_MS), timeZone);
  const to = nextHour(now);
  const keys: string[] = [];
  // Step by 12h-adjusted days so DST changes never skip or repeat a date.
  for (let t = from.getTime() + 12 * HOUR_MS; t - 12 * HOUR_MS < to.getTime(); t += DAY_MS) {
    const key = dayKey(new Date(t), timeZone);
    if (keys[keys.length - 1] !== key) keys.push(key);
  }
  return { from, to, days: keys };
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return true;
  } catch {
    return false;
  }
}
