/**
 * Cost-cap and budget alerts: the public surface. Everything else in src/alerts is internal.
 *  - evaluateAlerts: 80 % / 100 % of a key's spend caps and a tenant's monthly budget → one Alert
 *    row per period, an audit entry, a queued webhook.
 *  - deliverWebhooks: signed POSTs, at least once, retried with backoff; receivers dedupe on the id.
 *  - activeAlerts: what the portal banner shows.
 *  - createAlertRunner: the flush loop's hook.
 */
export { evaluateAlerts, crossedThresholds, type EvaluateInput, type EvaluateDeps, type EvaluateResult, type CreatedAlert } from "./evaluate";
export {
  deliverWebhooks,
  WEBHOOK_MAX_ATTEMPTS,
  WEBHOOK_TIMEOUT_MS,
  type DeliverDeps,
  type DeliverResult,
  type DeliveryOutcome,
} from "./deliver";
export { backoffMs, BACKOFF_BASE_MS, BACKOFF_CAP_MS } from "./backoff";
export { activeAlerts, type ActiveAlert, type ActiveAlerts } from "./active";
export { createAlertRunner, type AlertRunner, type AlertRunnerOptions } from "./runner";
export {
  signWebhookBody,
  verifyWebhookSignature,
  generateWebhookSecret,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  ALERT_ID_HEADER,
} from "./signature";
export {
  ALERT_KINDS,
  ALERT_THRESHOLDS,
  alertAction,
  webhookUrlSchema,
  type AlertKind,
  type AlertThreshold,
  type AlertWebhookPayload,
} from "./types";
