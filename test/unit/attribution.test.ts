/**
 * End-user and session attribution (src/ledger/attribution.ts): the documented source order, both
 * Claude Code metadata formats, Codex's headers, OpenAI's body fields, and hostile values skipped
 * (the next source wins) instead of reaching the ledger.
 */
import { describe, expect, it } from "vitest";
import {
  ATTRIBUTION_ID_MAX_LENGTH,
  attributionOf,
  isValidAttributionId,
  OTHER_BUCKET,
  parseClaudeCodeUserId,
} from "~/ledger/attribution";
import { sanitizeEvent } from "~/ledger/sanitize";
import { requestEvent } from "../helpers/events";

const DEVICE = "5b7c0a34d0f64a3b9f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3b2";
const ACCOUNT = "0f0e0d0c-1b1a-4c2d-9e3f-a0b1c2d3e4f5";
const SESSION = "6d1e9f2a-3b4c-4d5e-8f60-718293a4b5c6";
const legacyUserId = (account = ACCOUNT) => `user_${DEVICE}_account_${account}_session_${SESSION}`;
const jsonUserId = (account = ACCOUNT) => JSON.stringify({ device_id: DEVICE, account_uuid: account, session_id: SESSION });

const h = (o: Record<string, string> = {}) => new Headers(o);

describe("Claude Code metadata.user_id", () => {
  it("parses the format before v2.1.78", () => {
    expect(parseClaudeCodeUserId(legacyUserId())).toEqual({ deviceId: DEVICE, accountUuid: ACCOUNT, sessionId: SESSION });
    // API-key users have no account: the device stands for the developer.
    expect(parseClaudeCodeUserId(legacyUserId(""))).toEqual({ deviceId: DEVICE, accountUuid: null, sessionId: SESSION });
  });

  it("parses the JSON string format from v2.1.78", () => {
    expect(parseClaudeCodeUserId(jsonUserId())).toEqual({ deviceId: DEVICE, accountUuid: ACCOUNT, sessionId: SESSION });
    expect(parseClaudeCodeUserId(jsonUserId(""))).toEqual({ deviceId: DEVICE, accountUuid: null, sessionId: SESSION });
  });

  it("is null for anything else", () => {
    expect(parseClaudeCodeUserId("alice")).toBeNull();
    expect(parseClaudeCodeUserId("{not json")).toBeNull();
    expect(parseClaudeCodeUserId('{"other":1}')).toBeNull();
    expect(parseClaudeCodeUserId("[1,2]")).toBeNull();
  });

  it("gives the account as the developer, else the device, and the session, in both formats", () => {
    for (const userId of [legacyUserId(), jsonUserId()]) {
      expect(attributionOf(h(), { metadata: { user_id: userId } }, "anthropic")).toEqual({ endUserId: ACCOUNT, sessionId: SESSION });
    }
    for (const userId of [legacyUserId(""), jsonUserId("")]) {
      expect(attributionOf(h(), { metadata: { user_id: userId } }, "anthropic")).toEqual({ endUserId: DEVICE, sessionId: SESSION });
    }
  });

  it("takes any other metadata.user_id that fits the rule as the end user", () => {
    expect(attributionOf(h(), { metadata: { user_id: "app-user-42" } }, "anthropic")).toEqual({ endUserId: "app-user-42", sessionId: null });
  });
});

describe("source order (first valid match wins)", () => {
  const claude = { metadata: { user_id: jsonUserId() } };

  it("x-metergate-user / x-metergate-session come first", () => {
    const a = attributionOf(h({ "x-metergate-user": "alice@example.com", "x-metergate-session": "s-1", "x-claude-code-session-id": "cc" }), claude, "anthropic");
    expect(a).toEqual({ endUserId: "alice@example.com", sessionId: "s-1" });
  });

  it("x-claude-code-session-id before the metadata's session, before Codex's headers", () => {
    expect(attributionOf(h({ "x-claude-code-session-id": "cc-head", "session-id": "codex" }), claude, "anthropic").sessionId).toBe("cc-head");
    expect(attributionOf(h({ "session-id": "codex" }), claude, "anthropic").sessionId).toBe(SESSION);
  });

  it("Codex: session-id, then thread-id", () => {
    expect(attributionOf(h({ "session-id": "s", "thread-id": "t" }), {}, "openai").sessionId).toBe("s");
    expect(attributionOf(h({ "thread-id": "t" }), {}, "openai").sessionId).toBe("t");
  });

  it("OpenAI: safety_identifier, then user; only on OpenAI protocols", () => {
    expect(attributionOf(h(), { safety_identifier: "hash-1", user: "u" }, "openai").endUserId).toBe("hash-1");
    expect(attributionOf(h(), { user: "u" }, "openai").endUserId).toBe("u");
    expect(attributionOf(h(), { user: "u" }, "anthropic").endUserId).toBeNull();
    expect(attributionOf(h(), { metadata: { user_id: "x" } }, "openai").endUserId).toBeNull();
  });

  it("nothing sent: both null", () => {
    expect(attributionOf(h(), {}, "anthropic")).toEqual({ endUserId: null, sessionId: null });
  });
});

describe("hostile values", () => {
  const bad = [
    "",
    "   ",
    "a".repeat(ATTRIBUTION_ID_MAX_LENGTH + 1),
    "with space",
    "tab\tinside",
    "quote\"s",
    "nul\u0000",
    "\ud800lone",
    "名字",
    OTHER_BUCKET,
    "(other:2026-12-01)",
    "*",
  ];

  it("are refused by the rule", () => {
    for (const v of bad) expect(isValidAttributionId(v), JSON.stringify(v)).toBe(false);
    expect(isValidAttributionId("a".repeat(ATTRIBUTION_ID_MAX_LENGTH))).toBe(true);
    expect(isValidAttributionId("team/alice+ci@example.com")).toBe(true);
  });

  it("are skipped: the next source wins", () => {
    for (const v of bad.filter((b) => !/[\u0000\ud800\u540d]/.test(b))) {
      const a = attributionOf(h({ "x-metergate-user": v, "x-metergate-session": v }), { user: "fallback", metadata: {} }, "openai");
      expect(a, JSON.stringify(v)).toEqual({ endUserId: "fallback", sessionId: null });
    }
    const weird = attributionOf(h(), { user: { nested: true }, safety_identifier: 42, metadata: "x" }, "openai");
    expect(weird).toEqual({ endUserId: null, sessionId: null });
    expect(attributionOf(h(), { metadata: { user_id: `user_${"x".repeat(5000)}_account__session_y` } }, "anthropic")).toEqual({ endUserId: null, sessionId: null });
  });

  it("surrounding whitespace is trimmed", () => {
    expect(attributionOf(h({ "x-metergate-user": "  bob  " }), {}, "openai").endUserId).toBe("bob");
  });

  it("sanitizeEvent drops ids that break the rule (events that did not come through the relay)", () => {
    const e = { ...requestEvent("t", "k"), endUserId: "bad id", sessionId: "ok-session" };
    expect(sanitizeEvent(e).event).toMatchObject({ endUserId: null, sessionId: "ok-session" });
  });
});
