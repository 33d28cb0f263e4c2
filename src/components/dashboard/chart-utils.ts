/** Shared bits of the usage charts: colours, axis labels, bucket labels. */
import type { Formatters } from "~/i18n";

/** Distinguishable in light and dark mode. */
export const MODEL_COLORS = ["#6366f1", "#10b981", "#f59e0b", "#0ea5e9", "#e11d48", "#a855f7", "#84cc16", "#71717a"] as const;
export const OTHER_COLOR = "#a1a1aa";
/** Axis labels: --chart-tick (globals.css) is readable on the light and the dark card. */
export const AXIS_TICK = { fontSize: 12, fill: "var(--chart-tick)" } as const;

export function colorAt(i: number, isOther: boolean): string {
  return isOther ? OTHER_COLOR : MODEL_COLORS[i % MODEL_COLORS.length]!;
}

/** Axis labels for micro-dollars: "$0", "$0.0012", "$1.5", "$2.3K". */
export function costTick(micros: number, f: Formatters): string {
  const dollars = micros / 1_000_000;
  if (dollars === 0) return "$0";
  if (Math.abs(dollars) >= 1) return `$${f.compact(dollars)}`;
  return `$${dollars.toPrecision(2).replace(/0+$/, "")}`;
}

/** "2026-03-07" → "03-07"; "2026-03-07T14" → "14:00" (or "03-07 14:00" when the range spans days). */
export function bucketLabel(bucket: string, multiDay: boolean): string {
  const [day = "", hour] = bucket.split("T");
  if (hour === undefined) return day.slice(5);
  return multiDay ? `${day.slice(5)} ${hour}:00` : `${hour}:00`;
}

/**
 * A value axis from zero: evenly spaced round ticks (1, 2, 2.5 or 5 × 10ⁿ apart) whose top one is
 * at or above `max`. A top tick at the data's own maximum (0, 4, 8, 10 or $0, $0.025, $0.063)
 * spaced the gridlines unevenly and read as a scale that was not there.
 */
export function zeroBasedTicks(max: number, { count = 4, integer = false }: { count?: number; integer?: boolean } = {}): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / Math.max(1, count - 1);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  let step = ([1, 2, 2.5, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude;
  if (integer) step = Math.max(1, Math.ceil(step));
  const top = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let i = 0; i * step <= top + step / 1e6; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}
