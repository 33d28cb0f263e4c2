/** Display helpers for key limits (client and server). */
import type { LimitName, LimitStatus } from "~/ledger/limit-status";
import { formatCost, formatCount } from "../format";

export const LIMIT_LABELS: Record<LimitName, string> = {
  rate_requests: "Requests in window",
  rate_tokens: "Tokens in window",
  rate_cost: "Cost in window",
  concurrency: "Requests in flight",
  cost_daily: "Daily cost",
  cost_weekly: "Weekly cost",
  cost_monthly: "Monthly cost",
  cost_total: "Total cost",
  tokens_total: "Total tokens",
  tenant_budget: "Tenant monthly budget",
};

export function formatLimitValue(unit: LimitStatus["unit"], value: number): string {
  return unit === "micros" ? formatCost(value) : formatCount(value);
}

/** 75 → "1 min 15 s", 93784 → "1 d 2 h 3 min". */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d} d ${h} h${m ? ` ${m} min` : ""}`;
  if (h > 0) return `${h} h${m ? ` ${m} min` : ""}`;
  if (m > 0) return `${m} min${sec ? ` ${sec} s` : ""}`;
  return `${sec} s`;
}
