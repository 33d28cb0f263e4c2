/**
 * Errors in the caller's wire protocol. Callers never see stack traces: only a status, a type, a
 * code and a message chosen here.
 *
 * Two tables, each the one definition of its concept:
 *  - KINDS: errors of the request itself (bad input, unknown path, no upstream);
 *  - REFUSALS: the relay refusing a request on its own (limits, key state, model policy), answered
 *    the way each provider answers the same situation, with headers that keep the official SDKs
 *    from retrying what cannot succeed (`x-should-retry: false`, read by both SDKs before the
 *    status) and tell them when a retry can (`retry-after`).
 */
import { unpricedRefusalMessage } from "./unpriced-policy";
import type { QuotaReason } from "~/ledger";

export type WireProtocol = "anthropic" | "openai";

export type RelayErrorKind =
  | "invalid_request"
  | "unsupported_media_type"
  | "authentication"
  | "permission"
  | "not_found"
  | "method_not_allowed"
  | "upgrade_refused"
  | "request_too_large"
  | "api_error"
  | "upstream_unavailable"
  | "service_unavailable"
  | "overloaded"
  | "loop_detected";

/** What one protocol's client receives: HTTP status, error type and (OpenAI) code. */
export interface WireAnswer {
  status: number;
  type: string;
  code: string | null;
}

type Answers = Record<WireProtocol, WireAnswer>;

const kind = (status: number, anthropicType: string, openaiType: string, openaiCode: string | null): Answers => ({
  anthropic: { status, type: anthropicType, code: null },
  openai: { status, type: openaiType, code: openaiCode },
});

const KINDS: Record<RelayErrorKind, Answers> = {
  invalid_request: kind(400, "invalid_request_error", "invalid_request_error", null),
  unsupported_media_type: kind(415, "invalid_request_error", "invalid_request_error", "unsupported_media_type"),
  authentication: kind(401, "authentication_error", "invalid_request_error", "invalid_api_key"),
  permission: kind(403, "permission_error", "invalid_request_error", "permission_denied"),
  not_found: kind(404, "not_found_error", "invalid_request_error", "not_found"),
  method_not_allowed: kind(405, "invalid_request_error", "invalid_request_error", "method_not_allowed"),
  // A WebSocket upgrade (Codex's Responses WebSocket mode): Codex falls back to HTTPS at once on a
  // 426 to its handshake; any other answer (or none) costs it five backed-off retries first.
  upgrade_refused: kind(426, "invalid_request_error", "invalid_request_error", "websocket_not_supported"),
  request_too_large: kind(413, "request_too_large", "invalid_request_error", "request_too_large"),
  api_error: kind(500, "api_error", "server_error", null),
  upstream_unavailable: kind(502, "api_error", "server_error", "upstream_unavailable"),
  service_unavailable: kind(503, "api_error", "server_error", "service_unavailable"),
  overloaded: kind(529, "overloaded_error", "server_error", "overloaded"),
  // RFC 5842 Loop Detected: the gateway reached itself through an upstream.
  loop_detected: kind(508, "api_error", "server_error", "loop_detected"),
};

/** Why the relay refused a request before any upstream call. */
export type RefusalReason = QuotaReason | "model_not_allowed" | "unpriced_model" | "revoked" | "suspended";

interface Refusal {
  answers: Answers;
  /** "after": a retry after `retry-after` can succeed; "never": it cannot until someone acts. */
  retry: "after" | "never";
  message: string;
}

/** Rate and concurrency limits: both providers answer 429 and clients retry after `retry-after`. */
const rate = (message: string, openaiType: "requests" | "tokens"): Refusal => ({
  answers: { anthropic: { status: 429, type: "rate_limit_error", code: null }, openai: { status: 429, type: openaiType, code: "rate_limit_exceeded" } },
  retry: "after",
  message,
});

/**
 * Spend caps and budgets. Anthropic answers a spend limit the account set for itself with 400
 * invalid_request_error (its errors reference); OpenAI an exhausted quota with 429
 * insufficient_quota, which Codex stops on at once. The SDKs would retry that 429, hence "never".
 */
const spend = (message: string): Refusal => ({
  answers: { anthropic: { status: 400, type: "invalid_request_error", code: null }, openai: { status: 429, type: "insufficient_quota", code: "insufficient_quota" } },
  retry: "never",
  message,
});

/** A key that no longer works: 401 on both (Anthropic: revoked or expired keys; OpenAI: invalid_api_key). */
const deadKey = (message: string): Refusal => ({ answers: KINDS.authentication, retry: "never", message });

/** The one table of refusals: per reason, each protocol's answer. */
const REFUSALS: Record<RefusalReason, Refusal> = {
  rate_requests: rate("Request rate limit of this API key reached.", "requests"),
  rate_tokens: rate("Token rate limit of this API key reached.", "tokens"),
  rate_cost: rate("Spend rate limit of this API key reached.", "requests"),
  concurrency: rate("Too many concurrent requests for this API key.", "requests"),
  cost_daily: spend("Daily spend cap of this API key reached."),
  cost_weekly: spend("Weekly spend cap of this API key reached."),
  cost_monthly: spend("Monthly spend cap of this API key reached."),
  cost_total: spend("Total spend cap of this API key reached."),
  tokens_total: spend("Total token cap of this API key reached."),
  tenant_budget: spend("Monthly budget of this organization reached."),
  expired: deadKey("This API key has expired."),
  revoked: deadKey("This API key has been revoked."),
  // Anthropic: 400 "This organization has been disabled."; OpenAI: 401 account_deactivated.
  suspended: {
    answers: { anthropic: { status: 400, type: "invalid_request_error", code: null }, openai: { status: 401, type: "invalid_request_error", code: "account_deactivated" } },
    retry: "never",
    message: "This organization is suspended.",
  },
  // Anthropic: permission_error; OpenAI: 403 model_not_found ("Project … does not have access to model …").
  model_not_allowed: {
    answers: { anthropic: { status: 403, type: "permission_error", code: null }, openai: { status: 403, type: "invalid_request_error", code: "model_not_found" } },
    retry: "never",
    message: "This API key may not use this model.",
  },
  // Never a silent $0 (src/relay/unpriced-policy.ts): a permission refusal in both protocols, naming the model.
  unpriced_model: {
    answers: { anthropic: { status: 403, type: "permission_error", code: null }, openai: { status: 403, type: "invalid_request_error", code: "permission_denied" } },
    retry: "never",
    message: "This model has no price in Metergate, and this API key or its organization has a spend limit.",
  },
};

/** Every refusal reason (the request log records each as `quota: <reason>`). */
export const REFUSAL_REASONS = Object.keys(REFUSALS) as RefusalReason[];

export interface RefusalDetails {
  /** Seconds until the limit resets (rate windows, periods); null when it never does. */
  retryAfterSec?: number | null;
  /** For the message of a period that resets ("You will regain access on …"). */
  nowMs?: number;
  /** The refused model (model_not_allowed, unpriced_model). */
  model?: string;
}

/** A refusal or error the relay itself decides (bad input, bad key, limits, no upstream). */
export class RelayError extends Error {
  /** Set when the relay refused on its own: what is recorded and counted. */
  readonly reason: RefusalReason | null;
  private readonly answers: Answers;

  constructor(
    kind: RelayErrorKind,
    message: string,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
    refusal: { reason: RefusalReason; answers: Answers } | null = null,
  ) {
    super(message);
    this.answers = refusal?.answers ?? KINDS[kind];
    this.reason = refusal?.reason ?? null;
  }

  /** The refusal for one reason, with the headers that steer client retries. */
  static refusal(reason: RefusalReason, details: RefusalDetails = {}): RelayError {
    const r = REFUSALS[reason];
    const retryAfter = details.retryAfterSec ?? null;
    const headers: Record<string, string> = {};
    if (retryAfter !== null && retryAfter > 0) headers["retry-after"] = String(retryAfter);
    if (r.retry === "never") headers["x-should-retry"] = "false";
    let message = r.message;
    if (reason === "model_not_allowed" && details.model) message = `This API key may not use the model ${details.model}.`;
    if (reason === "unpriced_model" && details.model) message = unpricedRefusalMessage(details.model);
    if (r.retry === "never" && retryAfter !== null && retryAfter > 0 && details.nowMs !== undefined) {
      const at = new Date(details.nowMs + retryAfter * 1000).toISOString();
      message += ` You will regain access on ${at.slice(0, 10)} at ${at.slice(11, 16)} UTC.`;
    }
    const param = reason === "model_not_allowed" || reason === "unpriced_model" ? "model" : null;
    return new RelayError("permission", message, param, headers, { reason, answers: r.answers });
  }

  /** The HTTP status this error has in one protocol. */
  statusFor(protocol: WireProtocol): number {
    return this.answers[protocol].status;
  }

  /** The error body in one protocol's shape. */
  bodyFor(protocol: WireProtocol): string {
    const a = this.answers[protocol];
    if (protocol === "anthropic") return JSON.stringify({ type: "error", error: { type: a.type, message: this.message } });
    return JSON.stringify({ error: { message: this.message, type: a.type, param: this.param, code: a.code } });
  }
}

export function errorBody(protocol: WireProtocol, kind: RelayErrorKind, message: string, param: string | null = null): string {
  return new RelayError(kind, message, param).bodyFor(protocol);
}

export function errorResponse(protocol: WireProtocol, error: RelayError, extraHeaders: Record<string, string> = {}): Response {
  return new Response(error.bodyFor(protocol), {
    status: error.statusFor(protocol),
    headers: { "content-type": "application/json", ...error.headers, ...extraHeaders },
  });
}

/** The HTTP status an in-stream error event stands for (DESIGN.md: overloaded ≈ 529, rate limit ≈ 429). */
export function statusForErrorType(type: string | undefined | null): number {
  if (!type) return 500;
  const t = type.toLowerCase();
  if (t.includes("overloaded")) return 529;
  if (t.includes("rate_limit") || t === "requests" || t === "tokens") return 429;
  if (t.includes("authentication") || t === "invalid_api_key") return 401;
  if (t.includes("permission")) return 403;
  if (t.includes("not_found")) return 404;
  if (t.includes("too_large")) return 413;
  if (t.includes("invalid_request")) return 400;
  return 500;
}
