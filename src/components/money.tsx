"use client";

import { columnCostDecimals, exactUsd } from "~/lib/money";
import { useFormat } from "~/i18n/client";

/**
 * A dollar amount as shown everywhere: tabular figures, `digits` decimals (a column's, from
 * `columnDigits`) and the exact amount on hover.
 */
export function Money({ micros, digits, className }: { micros: number; digits?: number; className?: string }) {
  const f = useFormat();
  return (
    <span className={className ? `tabular-nums ${className}` : "tabular-nums"} title={exactUsd(micros)}>
      {f.cost(micros, digits)}
    </span>
  );
}

/** The decimals of a column of amounts (see columnCostDecimals). */
export const columnDigits = columnCostDecimals;
