/**
 * What a request may put into the ledger. One rule per field, so that no request, however
 * hostile, can produce an event Postgres refuses (which would stop the flush for everyone):
 *  - model names: refused at the relay boundary with a 400 when they break MODEL_NAME_RULE;
 *  - token counts: safe non-negative integers ≤ TOKEN_COUNT_MAX, else clamped and the event
 *    flagged `suspicious` (never dropped);
 *  - every other string (user agent, error message, endpoint, client IP): NUL and lone surrogates
 *    removed, length bounded, in sanitizeEvent, the one place every event passes before it is stored;
 *  - end-user and session ids: kept only when they follow ATTRIBUTION_ID_RULE (attribution.ts), else null.
 */
import { costOf, type Cost, type PriceOverrides } from "~/pricing";
import { isValidAttributionId } from "./attribution";
import { EVENT_FLAGS, type EventFlag, type RequestEvent, type TokenUsage } from "./types";

export const MODEL_NAME_MAX_LENGTH = 128;

/**
 * A model name: 1–128 characters of letters, digits and `. _ : / @ + = , -`. Covers every id in the SDKs' model unions, dated ids (`gpt-4o-2024-08-06`),
 * fine-tunes (`ft:gpt-4o-mini:org:suffix:id`), Bedrock ids and ARNs
 * (`arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-…-v2:0`),
 * Vertex `model@version`, and the stub upstream's knob suffix (`model@fixture=x,chunk=3`).
 * Excludes control characters, whitespace, quotes, `*` (the allowed-models wildcard) and the tab
 * that separates fields of the ledger's Redis hashes.
 */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9._:/@+=,-]+$/;

export const MODEL_NAME_RULE = `1–${MODEL_NAME_MAX_LENGTH} characters of letters, digits and . _ : / @ + = , -`;

export function isValidModelName(value: unknown): boolean {
  return typeof value === "string" && value.length <= MODEL_NAME_MAX_LENGTH && MODEL_NAME_PATTERN.test(value);
}

/** The upstream's reported model when it follows the rule, else the fallback (the requested model). */
export function validModelOr(reported: unknown, fallback: string): string {
  return typeof reported === "string" && isValidModelName(reported) ? reported : fallback;
}

/**
 * Largest token count accepted per usage field of one request (100 million; the largest context
 * windows are ~2 million tokens). Above it the value is clamped and the event flagged suspicious.
 * Also keeps every field inside Postgres `integer` and every cost product far below 2^53.
 */
export const TOKEN_COUNT_MAX = 100_000_000;

/** Bounds (UTF-16 code units) for the free-text fields of an event. */
export const TEXT_LIMITS = { endpoint: 128, clientIp: 64, userAgent: 512, error: 1024 } as const;

const INT32_MAX = 2_147_483_647;
const CONTROL_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The string with every lone surrogate replaced by U+FFFD (what UTF-8 cannot encode). */
export function wellFormed(value: string): string {
  return value.replace(LONE_SURROGATE, "\ufffd");
}

/**
 * A string Postgres `text` and `jsonb` accept: lone surrogates become U+FFFD, NUL and other
 * control characters (except tab and newlines) are removed, and it is cut to maxLength without
 * splitting a surrogate pair.
 */
export function safeText(value: string, maxLength: number): string {
  let s = wellFormed(value).replace(CONTROL_CHARS, "");
  if (s.length > maxLength) {
    s = s.slice(0, maxLength);
    const last = s.charCodeAt(s.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) s = s.slice(0, -1);
  }
  return s;
}

/** A model name made to follow the rule (for events that did not come through the relay boundary). */
export function safeModelName(model: string): string {
  if (isValidModelName(model)) return model;
  const s = model.replace(/[^A-Za-z0-9._:/@+=,-]/g, "_").slice(0, MODEL_NAME_MAX_LENGTH);
  return s === "" ? "unknown" : s;
}

/** A token count the ledger stores: a safe integer in [0, TOKEN_COUNT_MAX]; `clamped` if it had to change. */
export function safeTokenCount(value: number): { value: number; clamped: boolean } {
  if (Number.isSafeInteger(value) && value >= 0 && value <= TOKEN_COUNT_MAX) return { value, clamped: false };
  if (Number.isNaN(value) || value < 0) return { value: 0, clamped: true };
  return { value: Math.min(Math.round(value), TOKEN_COUNT_MAX), clamped: true };
}

/** A duration in ms as Postgres `integer` holds it (non-negative, whole). */
function safeMillis(value: number): number {
  return Number.isFinite(value) ? Math.min(Math.max(0, Math.round(value)), INT32_MAX) : 0;
}

const TOKEN_FIELDS = ["input", "output", "cacheWrite5m", "cacheWrite1h", "cacheRead"] as const satisfies ReadonlyArray<keyof TokenUsage>;

export function withFlag(flags: readonly EventFlag[] | undefined, flag: EventFlag): EventFlag[] {
  const set = new Set<EventFlag>(flags ?? []);
  set.add(flag);
  return EVENT_FLAGS.filter((f) => set.has(f));
}

export interface SanitizedEvent<E extends RequestEvent> {
  /** The event itself when nothing needed changing (flags then as given: absent = none), else a fixed copy. */
  event: E;
  /** Usage was clamped (its cost must be computed from the clamped usage). */
  usageClamped: boolean;
}

/** Any character safeText may change: a control character (except tab and newlines) or a surrogate half. */
const MAYBE_UNSAFE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ud800-\udfff]/;

/** safeText without allocating when the string is already safe (the common case on the hot path). */
function safeTextOf(value: string, maxLength: number): string {
  return value.length <= maxLength && !MAYBE_UNSAFE.test(value) ? value : safeText(value, maxLength);
}

function safeNullableText(value: string | null, maxLength: number): string | null {
  return value === null ? null : safeTextOf(value, maxLength);
}

function usageInRange(u: TokenUsage): boolean {
  const ok = (n: number) => Number.isSafeInteger(n) && n >= 0 && n <= TOKEN_COUNT_MAX;
  return ok(u.input) && ok(u.output) && ok(u.cacheWrite5m) && ok(u.cacheWrite1h) && ok(u.cacheRead);
}

/** Flags in EVENT_FLAGS order without duplicates, or undefined if they already are (no copy). */
function orderedFlags(flags: readonly EventFlag[] | undefined): EventFlag[] | undefined {
  if (flags === undefined || flags.length === 0) return undefined;
  for (let i = 1; i < flags.length; i++) {
    if (EVENT_FLAGS.indexOf(flags[i]!) <= EVENT_FLAGS.indexOf(flags[i - 1]!)) return EVENT_FLAGS.filter((f) => flags.includes(f));
  }
  return EVENT_FLAGS.includes(flags[0]!) ? undefined : EVENT_FLAGS.filter((f) => flags.includes(f));
}

/**
 * The event as the ledger may store it. Usage out of range, a model name outside the rule, a
 * status or start time that is not a number: fixed and flagged suspicious. Free text: made safe
 * silently (a long user agent is not suspicious). An event that needs no change is returned as
 * it is, not copied (this runs once per request on the record path; the copy was ~8% of it).
 */
export function sanitizeEvent<E extends RequestEvent>(event: E): SanitizedEvent<E> {
  const usageOk = usageInRange(event.usage);
  const model = safeModelName(event.model);
  const status = Number.isInteger(event.status) && event.status >= 0 && event.status <= 999 ? event.status : 500;
  const startedAt = Number.isSafeInteger(event.startedAt) && Math.abs(event.startedAt) <= 8.64e15 ? event.startedAt : Date.now();
  const suspicious = !usageOk || model !== event.model || status !== event.status || startedAt !== event.startedAt;
  const endpoint = safeTextOf(event.endpoint, TEXT_LIMITS.endpoint);
  const clientIp = safeNullableText(event.clientIp, TEXT_LIMITS.clientIp);
  const userAgent = safeNullableText(event.userAgent, TEXT_LIMITS.userAgent);
  const error = safeNullableText(event.error, TEXT_LIMITS.error);
  const latencyMs = safeMillis(event.latencyMs);
  const ttfbMs = event.ttfbMs === null ? null : safeMillis(event.ttfbMs);
  const reordered = orderedFlags(event.flags);
  const endUserId = event.endUserId == null || isValidAttributionId(event.endUserId) ? event.endUserId : null;
  const sessionId = event.sessionId == null || isValidAttributionId(event.sessionId) ? event.sessionId : null;
  const unchanged =
    !suspicious &&
    reordered === undefined &&
    endpoint === event.endpoint &&
    clientIp === event.clientIp &&
    userAgent === event.userAgent &&
    error === event.error &&
    latencyMs === event.latencyMs &&
    ttfbMs === event.ttfbMs &&
    endUserId === event.endUserId &&
    sessionId === event.sessionId;
  if (unchanged) return { event, usageClamped: false };

  let usage = event.usage;
  if (!usageOk) {
    usage = { ...event.usage };
    for (const field of TOKEN_FIELDS) usage[field] = safeTokenCount(usage[field]).value;
  }
  const flags = suspicious ? withFlag(event.flags, "suspicious") : (reordered ?? event.flags ?? []);
  return {
    event: { ...event, model, status, startedAt, usage, endpoint, clientIp, userAgent, error, latencyMs, ttfbMs, endUserId, sessionId, flags },
    usageClamped: !usageOk,
  };
}

/**
 * The pricing module's cost, or null when it threw or gave no whole non-negative number of
 * micro-dollars (a model named `constructor` once priced as NaN): such a request is recorded
 * unpriced (and flagged by the caller) instead of failing or writing a NaN.
 */
export function safeCostOf(model: string, usage: TokenUsage, overrides?: PriceOverrides): Cost | null {
  try {
    const cost = costOf(model, usage, overrides);
    return Number.isSafeInteger(cost.costMicros) && cost.costMicros >= 0 ? cost : null;
  } catch {
    return null;
  }
}
