/** A tiny inline SVG line of a series (no axes): each tenant's cost trend in the ranking. */
export function Sparkline({ values, label, className }: { values: readonly number[]; label: string; className?: string }) {
  const w = 96;
  const h = 24;
  const max = Math.max(...values, 1);
  const step = values.length > 1 ? w / (values.length - 1) : w;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(h - 2 - (v / max) * (h - 4)).toFixed(1)}`).join(" ");
  return (
    <svg viewBox={`0 0 ${w} ${h}`} width={w} height={h} role="img" aria-label={label} className={className}>
      <polyline points={points || `0,${h - 2} ${w},${h - 2}`} fill="none" stroke="currentColor" strokeWidth={1.5} strokeLinejoin="round" />
    </svg>
  );
}
