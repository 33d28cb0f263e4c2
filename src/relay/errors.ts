/**
 * Errors in the caller's wire protocol. Callers never see stack traces: only a kind, a status and
 * a message chosen here.
 */
export type WireProtocol = "anthropic" | "openai";

export type RelayErrorKind =
  | "invalid_request"
  | "unsupported_media_type"
  | "authentication"
  | "permission"
  | "not_found"
  | "method_not_allowed"
  | "request_too_large"
  | "rate_limit"
  | "billing"
  | "api_error"
  | "upstream_unavailable"
  | "overloaded"
  | "loop_detected";

interface KindInfo {
  status: number;
  anthropicType: string;
  openaiType: string;
  openaiCode: string | null;
}

const KINDS: Record<RelayErrorKind, KindInfo> = {
  invalid_request: { status: 400, anthropicType: "invalid_request_error", openaiType: "invalid_request_error", openaiCode: null },
  unsupported_media_type: { status: 415, anthropicType: "invalid_request_error", openaiType: "invalid_request_error", openaiCode: "unsupported_media_type" },
  authentication: { status: 401, anthropicType: "authentication_error", openaiType: "invalid_request_error", openaiCode: "invalid_api_key" },
  permission: { status: 403, anthropicType: "permission_error", openaiType: "invalid_request_error", openaiCode: "permission_denied" },
  not_found: { status: 404, anthropicType: "not_found_error", openaiType: "invalid_request_error", openaiCode: "not_found" },
  method_not_allowed: { status: 405, anthropicType: "invalid_request_error", openaiType: "invalid_request_error", openaiCode: "method_not_allowed" },
  request_too_large: { status: 413, anthropicType: "request_too_large", openaiType: "invalid_request_error", openaiCode: "request_too_large" },
  billing: { status: 402, anthropicType: "billing_error", openaiType: "insufficient_quota", openaiCode: "insufficient_quota" },
  rate_limit: { status: 429, anthropicType: "rate_limit_error", openaiType: "rate_limit_error", openaiCode: "rate_limit_exceeded" },
  api_error: { status: 500, anthropicType: "api_error", openaiType: "server_error", openaiCode: null },
  upstream_unavailable: { status: 502, anthropicType: "api_error", openaiType: "server_error", openaiCode: "upstream_unavailable" },
  overloaded: { status: 529, anthropicType: "overloaded_error", openaiType: "server_error", openaiCode: "overloaded" },
  // RFC 5842 Loop Detected: the gateway reached itself through an upstream.
  loop_detected: { status: 508, anthropicType: "api_error", openaiType: "server_error", openaiCode: "loop_detected" },
};

/** A refusal the relay itself decides (bad input, bad key, no upstream). */
export class RelayError extends Error {
  readonly status: number;
  constructor(
    readonly kind: RelayErrorKind,
    message: string,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = KINDS[kind].status;
  }
}

export function errorBody(protocol: WireProtocol, kind: RelayErrorKind, message: string, param: string | null = null): string {
  const info = KINDS[kind];
  if (protocol === "anthropic") {
    return JSON.stringify({ type: "error", error: { type: info.anthropicType, message } });
  }
  return JSON.stringify({ error: { message, type: info.openaiType, param, code: info.openaiCode } });
}

export function errorResponse(protocol: WireProtocol, error: RelayError, extraHeaders: Record<string, string> = {}): Response {
  return new Response(errorBody(protocol, error.kind, error.message, error.param), {
    status: error.status,
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
