import { z } from "zod";
import { checkUrlShape } from "~/infra/net/url";

/** Alert kinds: the spend caps of a key and the tenant's monthly budget (same names as LimitName). */
export const ALERT_KINDS = ["cost_daily", "cost_weekly", "cost_monthly", "cost_total", "tenant_budget"] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** Percent of a cap at which an alert fires. */
export const ALERT_THRESHOLDS = [80, 100] as const;
export type AlertThreshold = (typeof ALERT_THRESHOLDS)[number];

export function isAlertKind(v: string): v is AlertKind {
  return (ALERT_KINDS as readonly string[]).includes(v);
}

/** Audit-log action of an alert: alert.cost_80 / alert.cost_100 (key caps), alert.budget_80 / alert.budget_100 (tenant). */
export function alertAction(kind: AlertKind, threshold: number): string {
  return `alert.${kind === "tenant_budget" ? "budget" : "cost"}_${threshold}`;
}

/**
 * Alert.scope. The unique key is (scope, kind, threshold, periodId) with no tenant in it, so the
 * tenant scope must carry the tenant id: a bare "tenant" would let one tenant's budget alert
 * suppress every other tenant's for the same month.
 */
export const keyScope = (apiKeyId: string) => `key:${apiKeyId}`;
export const tenantScope = (tenantId: string) => `tenant:${tenantId}`;

/**
 * The period an alert belongs to: the calendar period of the cap, and for the all-time cap the
 * cap's value ("all@5000000"), so raising a total cap re-arms its alerts instead of never
 * alerting again.
 */
export function alertPeriodId(kind: AlertKind, periodId: string, capMicros: number): string {
  return kind === "cost_total" ? `all@${Math.round(capMicros)}` : periodId;
}

/**
 * The shape of a tenant's webhook URL: absolute http(s), no credentials, no fragment (a query is
 * fine). Where it may point is the egress policy's business (egressUrlSchema at save time, the
 * egress Agent on connect).
 */
export const webhookUrlSchema = z
  .string()
  .max(2048)
  .superRefine((v, ctx) => {
    const checked = checkUrlShape(v, "webhook");
    if (!checked.ok) ctx.addIssue({ code: "custom", message: checked.message });
  });

/** The JSON body POSTed to a tenant's webhook. Money in integer micro-dollars. */
export interface AlertWebhookPayload {
  id: string;
  type: "metergate.alert";
  tenantId: string;
  apiKeyId: string | null;
  kind: AlertKind;
  threshold: number;
  periodId: string;
  spentMicros: number;
  capMicros: number;
  createdAt: string;
}
