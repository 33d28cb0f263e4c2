"use client";

import { useEffect, useState } from "react";
import { useFormat, useT } from "~/i18n/client";
import type { RouterOutputs } from "~/trpc/types";
import { cn } from "../ui/cn";
import { columnCostDecimals, exactUsd } from "~/lib/money";
import { formatDuration, formatLimitValue, LIMIT_LABELS } from "./limit-labels";

type LimitStatus = RouterOutputs["apiKey"]["limitUse"]["limits"][number];

/** Seconds since `asOf`, ticking once a second so "resets in" counts down between refreshes. */
function useElapsedSeconds(asOf: string | Date): number {
  const start = new Date(asOf).getTime();
  const [now, setNow] = useState<number | null>(null);
  useEffect(() => {
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [start]);
  return now === null ? 0 : Math.max(0, Math.floor((now - start) / 1000));
}

/** Each limit with a progress bar of its use and a countdown to its reset. Used by the key page and the lookup. */
export function LimitBars({
  limits,
  asOf,
  emptyText,
  className = "space-y-4",
}: {
  limits: readonly LimitStatus[];
  asOf: string | Date;
  emptyText: string;
  /** Layout of the list, e.g. a grid on wide cards. */
  className?: string;
}) {
  const t = useT();
  const f = useFormat();
  const elapsed = useElapsedSeconds(asOf);
  if (limits.length === 0) return <p className="py-4 text-center text-sm text-zinc-500 dark:text-zinc-400">{emptyText}</p>;
  return (
    <ul className={className} data-testid="limit-bars">
      {limits.map((l) => {
        const pct = l.max > 0 ? Math.min(100, (l.used / l.max) * 100) : l.used > 0 ? 100 : 0;
        const left = l.resetsInSec === null ? null : Math.max(0, l.resetsInSec - elapsed);
        // "used / max" share their decimals: $0.158070 / $5.000000, not $0.158070 / $5.0000.
        const digits = columnCostDecimals([l.used, l.max]);
        const tone = pct >= 100 ? "bg-red-500" : pct >= 80 ? "bg-amber-500" : "bg-indigo-500";
        return (
          <li key={l.name} data-limit={l.name}>
            <div className="flex flex-wrap items-baseline justify-between gap-x-3 text-sm">
              <span className="font-medium">{t(LIMIT_LABELS[l.name])}</span>
              <span
                className="tabular-nums text-zinc-700 dark:text-zinc-300"
                data-testid="limit-use"
                title={l.unit === "micros" ? `${exactUsd(l.used)} / ${exactUsd(l.max)}` : undefined}
              >
                {formatLimitValue(f, l.unit, l.used, digits)} / {formatLimitValue(f, l.unit, l.max, digits)}
              </span>
            </div>
            <div
              role="progressbar"
              aria-label={t(LIMIT_LABELS[l.name])}
              aria-valuemin={0}
              aria-valuemax={l.max}
              aria-valuenow={Math.min(l.used, l.max)}
              className="mt-1.5 h-2 overflow-hidden rounded-full bg-zinc-100 dark:bg-zinc-800"
            >
              <div className={cn("h-full rounded-full transition-all", tone)} style={{ width: `${pct}%` }} />
            </div>
            <p className="mt-1 text-xs text-zinc-500 dark:text-zinc-400" data-testid="limit-reset">
              {left === null
                ? l.name === "concurrency"
                  ? t("limits.freesAsFinish")
                  : t("limits.neverResets")
                : l.used === 0 && (l.name.startsWith("rate_"))
                  ? t("limits.windowEmpty")
                  : t("limits.resetsIn", { duration: formatDuration(t, left) })}
            </p>
          </li>
        );
      })}
    </ul>
  );
}
