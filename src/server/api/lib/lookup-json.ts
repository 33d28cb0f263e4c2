import type { KeyLookup } from "./key-lookup";
import type { UsageTotals } from "./usage-report";

type WithUsd<T extends UsageTotals> = T & { costUsd: string };

export interface KeyLookupJson {
  apiId: string;
  asOf: string;
  totals: WithUsd<UsageTotals>;
  models: WithUsd<UsageTotals & { model: string }>[];
}

/** Integer micro-dollars as an exact decimal dollar string, e.g. 15807 → "0.015807". */
export function microsToUsd(micros: number): string {
  const sign = micros < 0 ? "-" : "";
  const abs = Math.abs(Math.trunc(micros));
  return `${sign}${Math.floor(abs / 1_000_000)}.${String(abs % 1_000_000).padStart(6, "0")}`;
}

function withUsd<T extends UsageTotals>(t: T): WithUsd<T> {
  return { ...t, costUsd: microsToUsd(t.costMicros) };
}

export function toLookupJson(lookup: KeyLookup): KeyLookupJson {
  return {
    apiId: lookup.apiId,
    asOf: lookup.asOf,
    totals: withUsd(lookup.totals),
    models: lookup.models.map(withUsd),
  };
}
