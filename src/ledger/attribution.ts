/**
 * Who spent it: the end user (developer, agent) and the session of a relayed request, read from
 * what clients already send. Teams share one key among many people, so the key alone does not say.
 *
 * Sources, first valid match wins (a value that breaks ATTRIBUTION_ID_RULE is skipped and the next
 * source is tried, so a hostile header can neither break the ledger nor hide a real id):
 *
 * end user
 *   1. header `x-metergate-user`                       (any client; Metergate's own)
 *   2. body `metadata.user_id` (Anthropic protocol)    Claude Code: the account UUID, else the device id;
 *                                                       any other value that fits the rule as it is
 *   3. body `safety_identifier`, then `user` (OpenAI protocols)
 * session
 *   1. header `x-metergate-session`
 *   2. header `x-claude-code-session-id`               (Claude Code)
 *   3. body `metadata.user_id` session part (Claude Code, both formats)
 *   4. header `session-id`, then `thread-id`          (Codex)
 *
 * Claude Code's `metadata.user_id` comes in two formats: before v2.1.78
 * `user_<device>_account_<account uuid or empty>_session_<session uuid>`, from v2.1.78 a JSON string
 * `{"device_id":"…","account_uuid":"…","session_id":"…"}`.
 *
 * An id means something only inside the key's tenant: every rollup row and query carries the tenant
 * (and key), and nothing joins ids across tenants. No source can name a tenant or a key.
 */
export const ATTRIBUTION_ID_MAX_LENGTH = 128;

/**
 * 1–128 characters of letters, digits and `. _ : / @ + = , -` (the model-name alphabet): covers
 * UUIDs, hex device ids, e-mail addresses and `team/name` handles. No whitespace, quotes, control
 * characters or parentheses, so the rollups' reserved values (OTHER_BUCKET) cannot be sent.
 */
export const ATTRIBUTION_ID_PATTERN = /^[A-Za-z0-9._:/@+=,-]+$/;
export const ATTRIBUTION_ID_RULE = `1–${ATTRIBUTION_ID_MAX_LENGTH} characters of letters, digits and . _ : / @ + = , -`;

/** The rollups' bucket for ids past the per-key, per-day cap (not a valid id, so never a real one). */
export const OTHER_BUCKET = "(other)";
/** Distinct end users kept per key and UTC day in the People rollup; the rest count as OTHER_BUCKET. */
export const PEOPLE_PER_KEY_DAY = 1000;
/** New sessions kept per key and UTC day (by first request); later ones count in that day's overflow session. */
export const SESSIONS_PER_KEY_DAY = 5000;

export function isValidAttributionId(value: unknown): value is string {
  return typeof value === "string" && value.length >= 1 && value.length <= ATTRIBUTION_ID_MAX_LENGTH && ATTRIBUTION_ID_PATTERN.test(value);
}

/** A trimmed candidate when it follows the rule, else null. */
function valid(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const v = value.trim();
  return isValidAttributionId(v) ? v : null;
}

export interface Attribution {
  endUserId: string | null;
  sessionId: string | null;
}

export const NO_ATTRIBUTION: Readonly<Attribution> = Object.freeze({ endUserId: null, sessionId: null });

/** What Claude Code's `metadata.user_id` holds, in either format. */
export interface ClaudeCodeUserId {
  deviceId: string | null;
  accountUuid: string | null;
  sessionId: string | null;
}

const LEGACY_USER_ID = /^user_(.*)_account_(.*)_session_(.*)$/s;

/** Parses `metadata.user_id`; null when it is in neither Claude Code format. */
export function parseClaudeCodeUserId(value: string): ClaudeCodeUserId | null {
  const legacy = LEGACY_USER_ID.exec(value);
  if (legacy) return { deviceId: valid(legacy[1]), accountUuid: valid(legacy[2]), sessionId: valid(legacy[3]) };
  if (!value.startsWith("{")) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return null;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return null;
  const o = parsed as Record<string, unknown>;
  if (!("device_id" in o || "account_uuid" in o || "session_id" in o)) return null;
  return { deviceId: valid(o.device_id), accountUuid: valid(o.account_uuid), sessionId: valid(o.session_id) };
}

function first(...candidates: Array<() => string | null>): string | null {
  for (const c of candidates) {
    const v = c();
    if (v !== null) return v;
  }
  return null;
}

/**
 * The request's end user and session (see the order above). `body` is the parsed JSON request
 * body; `protocol` decides which body fields mean something.
 */
export function attributionOf(headers: Pick<Headers, "get">, body: Record<string, unknown>, protocol: "anthropic" | "openai"): Attribution {
  const header = (name: string) => () => valid(headers.get(name));
  let claude: ClaudeCodeUserId | null = null;
  let metadataUserId: string | null = null;
  if (protocol === "anthropic") {
    const metadata = body.metadata;
    const raw = typeof metadata === "object" && metadata !== null ? (metadata as Record<string, unknown>).user_id : undefined;
    if (typeof raw === "string" && raw.length <= 4096) {
      claude = parseClaudeCodeUserId(raw);
      if (!claude) metadataUserId = valid(raw);
    }
  }
  const openAiField = (name: string) => () => (protocol === "openai" ? valid(body[name]) : null);
  return {
    endUserId: first(
      header("x-metergate-user"),
      () => claude?.accountUuid ?? claude?.deviceId ?? metadataUserId,
      openAiField("safety_identifier"),
      openAiField("user"),
    ),
    sessionId: first(
      header("x-metergate-session"),
      header("x-claude-code-session-id"),
      () => claude?.sessionId ?? null,
      header("session-id"),
      header("thread-id"),
    ),
  };
}
