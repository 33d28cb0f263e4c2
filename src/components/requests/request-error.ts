/** A request-log error as people read it: "quota: rate_requests" → "Refused: the limit “Requests in window” was reached". */
import type { TFunction } from "~/i18n";
import type { LimitName } from "~/ledger/limit-status";
import { LIMIT_LABELS } from "../keys/limit-labels";

const QUOTA_PREFIX = "quota: ";

/** Metergate itself refused the request (a "quota: …" error): no upstream call was made, nothing was billed. */
export const refusedBeforeUpstream = (error: string | null): boolean => error?.startsWith(QUOTA_PREFIX) ?? false;

export function readableRequestError(t: TFunction, error: string | null): string | null {
  if (!error) return null;
  if (!error.startsWith(QUOTA_PREFIX)) return error;
  const reason = error.slice(QUOTA_PREFIX.length);
  if (reason === "expired") return t("requestError.expired");
  if (reason === "revoked") return t("requestError.revoked");
  if (reason === "suspended") return t("requestError.suspended");
  if (reason === "model_not_allowed") return t("requestError.modelNotAllowed");
  if (reason === "unpriced_model") return t("requestError.unpricedModel");
  if (Object.hasOwn(LIMIT_LABELS, reason)) return t("requestError.limit", { limit: t(LIMIT_LABELS[reason as LimitName]) });
  return error;
}
