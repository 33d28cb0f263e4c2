/**
 * Calendar periods in a tenant's time zone (UTC by default): day, week with a configurable reset
 * day and hour, month. Each period has a stable id used in Redis key names and its bounds in ms.
 */
import { localParts, zonedTimeToUtc } from "~/lib/time";

export interface Period {
  id: string;
  startMs: number;
  endMs: number;
}

const pad = (n: number) => String(n).padStart(2, "0");

export function dayPeriod(nowMs: number, timeZone = "UTC"): Period {
  const p = localParts(nowMs, timeZone);
  const startMs = zonedTimeToUtc(p.year, p.month, p.day, 0, timeZone);
  const next = new Date(Date.UTC(p.year, p.month - 1, p.day + 1));
  const endMs = zonedTimeToUtc(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), 0, timeZone);
  return { id: `d${p.year}${pad(p.month)}${pad(p.day)}`, startMs, endMs };
}

/** The week that started at the most recent `resetDay` (0 = Sunday) `resetHour`:00, local time. */
export function weekPeriod(nowMs: number, timeZone = "UTC", resetDay = 1, resetHour = 0): Period {
  const p = localParts(nowMs, timeZone);
  let back = (p.weekday - resetDay + 7) % 7;
  if (back === 0 && p.hour < resetHour) back = 7;
  const d = new Date(Date.UTC(p.year, p.month - 1, p.day - back));
  const startMs = zonedTimeToUtc(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), resetHour, timeZone);
  const n = new Date(Date.UTC(p.year, p.month - 1, p.day - back + 7));
  const endMs = zonedTimeToUtc(n.getUTCFullYear(), n.getUTCMonth() + 1, n.getUTCDate(), resetHour, timeZone);
  return { id: `w${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}h${resetHour}`, startMs, endMs };
}

export function monthPeriod(nowMs: number, timeZone = "UTC"): Period {
  const p = localParts(nowMs, timeZone);
  const startMs = zonedTimeToUtc(p.year, p.month, 1, 0, timeZone);
  const ny = p.month === 12 ? p.year + 1 : p.year;
  const nm = p.month === 12 ? 1 : p.month + 1;
  return { id: `m${p.year}${pad(p.month)}`, startMs, endMs: zonedTimeToUtc(ny, nm, 1, 0, timeZone) };
}

