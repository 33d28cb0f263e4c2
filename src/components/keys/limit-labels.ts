/** Display helpers for key limits (client and server). */
import type { Formatters, MessageKey, TFunction } from "~/i18n";
import type { LimitName, LimitStatus } from "~/ledger/limit-status";

export const LIMIT_LABELS: Record<LimitName, MessageKey> = {
  rate_requests: "limits.name.rate_requests",
  rate_tokens: "limits.name.rate_tokens",
  rate_cost: "limits.name.rate_cost",
  concurrency: "limits.name.concurrency",
  cost_daily: "limits.name.cost_daily",
  cost_weekly: "limits.name.cost_weekly",
  cost_monthly: "limits.name.cost_monthly",
  cost_total: "limits.name.cost_total",
  tokens_total: "limits.name.tokens_total",
  tenant_budget: "limits.name.tenant_budget",
};

export function formatLimitValue(f: Formatters, unit: LimitStatus["unit"], value: number, costDigits?: number): string {
  return unit === "micros" ? f.cost(value, costDigits) : f.count(value);
}

/** 75 → "1 min 15 s", 93784 → "1 d 2 h 3 min" (in English; units from the dictionary). */
export function formatDuration(t: TFunction, totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const parts =
    d > 0
      ? [t("duration.d", { n: d }), t("duration.h", { n: h }), m ? t("duration.min", { n: m }) : null]
      : h > 0
        ? [t("duration.h", { n: h }), m ? t("duration.min", { n: m }) : null]
        : m > 0
          ? [t("duration.min", { n: m }), sec ? t("duration.s", { n: sec }) : null]
          : [t("duration.s", { n: sec })];
  return parts.filter(Boolean).join(" ");
}
