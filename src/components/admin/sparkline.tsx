/**
 * A tiny inline column chart of a series (no axes): each tenant's cost trend in the ranking. Columns
 * from a shared baseline, not a line: a tenant that started yesterday shows one column, not a
 * flat line that shoots up (a line from 0 suggests a ramp that never happened).
 */
export function Sparkline({ values, label, className }: { values: readonly number[]; label: string; className?: string }) {
  const w = 96;
  const h = 24;
  const max = Math.max(...values, 1);
  const slot = values.length > 0 ? w / values.length : w;
  const bar = Math.max(1, slot * 0.7);
  return (
    <svg viewBox={`0 0 ${w} ${h}`} width={w} height={h} role="img" aria-label={label} className={className}>
      <line x1={0} x2={w} y1={h - 0.5} y2={h - 0.5} stroke="currentColor" strokeOpacity={0.3} strokeWidth={1} />
      {values.map((v, i) =>
        v > 0 ? (
          <rect
            key={i}
            x={(i * slot + (slot - bar) / 2).toFixed(1)}
            y={(h - 1 - Math.max(1, (v / max) * (h - 2))).toFixed(1)}
            width={bar.toFixed(1)}
            height={Math.max(1, (v / max) * (h - 2)).toFixed(1)}
            fill="currentColor"
          />
        ) : null,
      )}
    </svg>
  );
}
