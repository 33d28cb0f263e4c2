/**
 * Time: the millisecond units, and calendar helpers in a tenant's IANA time zone, without a date
 * library. Pure (no I/O, no env), so the ledger, the server and the browser share it.
 */

export const SECOND_MS = 1_000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

const partsFormatters = new Map<string, Intl.DateTimeFormat>();
function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = partsFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      weekday: "short",
    });
    partsFormatters.set(timeZone, f);
  }
  return f;
}

/** The wall clock of an instant in a zone. */
export interface LocalParts {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  weekday: number; // 0 = Sunday
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

export function localParts(ms: number, timeZone: string): LocalParts {
  const parts = Object.fromEntries(partsFormatter(timeZone).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    weekday: WEEKDAYS.indexOf(parts.weekday ?? "Sun"),
  };
}

/** UTC ms of a local wall-clock time in the zone (exact except inside a DST gap). */
export function zonedTimeToUtc(year: number, month: number, day: number, hour: number, timeZone: string): number {
  const asUtc = Date.UTC(year, month - 1, day, hour);
  let guess = asUtc;
  for (let i = 0; i < 2; i++) {
    const p = localParts(guess, timeZone);
    const offset = Date.UTC(p.year, p.month - 1, p.day, p.hour) - guess;
    guess = asUtc - offset;
  }
  return guess;
}

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

const pad2 = (n: number): string => String(n).padStart(2, "0");

/** "YYYY-MM-DDTHH" of the instant's hour in the time zone. */
export function hourKey(date: Date, timeZone: string): string {
  const p = localParts(date.getTime(), timeZone);
  return `${p.year}-${pad2(p.month)}-${pad2(p.day)}T${pad2(p.hour)}`;
}

/** The instant local midnight of "YYYY-MM-DD" happens in the zone. */
export function localMidnight(key: string, timeZone: string): Date {
  const [y, m, d] = key.split("-").map(Number) as [number, number, number];
  return new Date(zonedTimeToUtc(y, m, d, 0, timeZone));
}

/** The instant at which the calendar day containing `date` begins in the zone. */
export function startOfDay(date: Date, timeZone: string): Date {
  return localMidnight(dayKey(date, timeZone), timeZone);
}

/** "YYYY-MM-DD" `days` calendar days after (or before) the given one. */
export function addDaysKey(key: string, days: number): string {
  const [y, m, d] = key.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
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

/** The zone when this runtime knows it, else UTC (a stored zone a newer runtime wrote, say). */
export function zoneOrUtc(timeZone: string): string {
  return isValidTimeZone(timeZone) ? timeZone : "UTC";
}

/** IANA zones this runtime knows (Intl.supportedValuesOf), plus UTC which some runtimes omit from the list. */
let zones: Set<string> | null = null;
export function supportedTimeZones(): Set<string> {
  zones ??= new Set([...Intl.supportedValuesOf("timeZone"), "UTC", "Etc/UTC"]);
  return zones;
}
