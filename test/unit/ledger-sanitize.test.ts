/**
 * The ledger's input rules (src/ledger/sanitize.ts): the model-name rule accepts every model id the
 * official SDKs know and the real-world id shapes (dated, fine-tune, Bedrock ARN, Vertex), and
 * refuses what broke the flush; sanitizeEvent makes any event storable.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { priceTable } from "~/pricing";
import {
  isValidModelName,
  MODEL_NAME_MAX_LENGTH,
  safeModelName,
  safeText,
  safeTokenCount,
  sanitizeEvent,
  TOKEN_COUNT_MAX,
  validModelOr,
} from "~/ledger/sanitize";
import { anthropicMessages, openAiChat, openAiResponses, type ProtocolAdapter } from "~/relay/adapters";
import { JsonTap, SseTap, type BodyObserver } from "~/relay/observers";
import { servedModelOf } from "~/relay/usage";
import { createMetrics } from "~/server/metrics";
import { fixture } from "../../stub/upstream";
import { requestEvent } from "../helpers/events";

/** The string literals of `export type <name> = 'a' | 'b' | …;` in an SDK's .d.ts. */
function unionLiterals(file: string, typeName: string): string[] {
  const text = readFileSync(file, "utf8");
  const m = new RegExp(`export type ${typeName} = ([^;]+);`).exec(text);
  expect(m, `${typeName} in ${file}`).not.toBeNull();
  return [...m![1]!.matchAll(/'([^']+)'/g)].map((x) => x[1]!);
}

function sdkFile(pkg: string, rel: string): string {
  return path.resolve(import.meta.dirname, "../../node_modules", pkg, rel);
}

describe("model name rule", () => {
  it("accepts every model id in the Anthropic and OpenAI SDK unions and in the price table", () => {
    const ids = [
      ...unionLiterals(sdkFile("@anthropic-ai/sdk", "resources/messages/messages.d.ts"), "Model"),
      ...unionLiterals(sdkFile("openai", "resources/shared.d.ts"), "ChatModel"),
      ...unionLiterals(sdkFile("openai", "resources/shared.d.ts"), "ResponsesModel"),
      ...Object.keys(priceTable.models),
    ];
    expect(ids.length).toBeGreaterThan(50);
    expect(ids.filter((id) => !isValidModelName(id))).toEqual([]);
  });

  it("accepts dated, fine-tuned, Bedrock, Vertex and routed ids", () => {
    for (const id of [
      "claude-sonnet-4-5-20250929",
      "gpt-4o-2024-08-06",
      "gpt-4.1-mini",
      "ft:gpt-4o-mini-2024-07-18:my-org:custom-suffix:AbCdEf12",
      "anthropic.claude-3-5-sonnet-20241022-v2:0",
      "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
      "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20241022-v2:0",
      "arn:aws:bedrock:ap-southeast-2:123456789012:application-inference-profile/a1b2c3d4e5f6",
      "claude-3-5-sonnet-v2@20241022",
      "anthropic/claude-3.5-sonnet:beta",
      "meta-llama/Llama-3.1-8B-Instruct+lora",
      "claude-x@fixture=stream-no-usage,chunk=3",
      "constructor",
      "__proto__",
      "x".repeat(MODEL_NAME_MAX_LENGTH),
    ]) {
      expect(isValidModelName(id), id).toBe(true);
    }
  });

  it("refuses NUL, lone surrogates, control characters, whitespace, wildcards and over-long names", () => {
    for (const id of [
      "",
      "claude-sonnet-4-5\u0000x",
      "claude-\ud800",
      "claude\tsonnet",
      "claude sonnet",
      "claude\nsonnet",
      "claude-*",
      'claude"',
      "claude-é",
      "x".repeat(MODEL_NAME_MAX_LENGTH + 1),
      "x".repeat(4000),
    ]) {
      expect(isValidModelName(id), JSON.stringify(id)).toBe(false);
    }
  });

  it("falls back to the requested model when the upstream reports a bad one", () => {
    expect(validModelOr("claude-sonnet-4-5-20250929", "claude-sonnet-4-5")).toBe("claude-sonnet-4-5-20250929");
    expect(validModelOr("evil\u0000", "claude-sonnet-4-5")).toBe("claude-sonnet-4-5");
    expect(validModelOr(42, "claude-sonnet-4-5")).toBe("claude-sonnet-4-5");
    expect(validModelOr(null, "gpt-4o")).toBe("gpt-4o");
  });

  it("makes any name follow the rule for events that bypassed the boundary", () => {
    expect(safeModelName("claude-sonnet-4-5\u0000x")).toBe("claude-sonnet-4-5_x");
    expect(safeModelName("x".repeat(4000))).toHaveLength(MODEL_NAME_MAX_LENGTH);
    expect(safeModelName("")).toBe("unknown");
    expect(isValidModelName(safeModelName("\ud800 \t*"))).toBe(true);
  });
});

describe("token counts", () => {
  it("keeps safe non-negative integers up to the ceiling and clamps the rest", () => {
    expect(safeTokenCount(0)).toEqual({ value: 0, clamped: false });
    expect(safeTokenCount(TOKEN_COUNT_MAX)).toEqual({ value: TOKEN_COUNT_MAX, clamped: false });
    expect(safeTokenCount(3e9)).toEqual({ value: TOKEN_COUNT_MAX, clamped: true });
    expect(safeTokenCount(Number.POSITIVE_INFINITY)).toEqual({ value: TOKEN_COUNT_MAX, clamped: true });
    expect(safeTokenCount(-1)).toEqual({ value: 0, clamped: true });
    expect(safeTokenCount(Number.NaN)).toEqual({ value: 0, clamped: true });
    expect(safeTokenCount(12.6)).toEqual({ value: 13, clamped: true });
  });
});

describe("sanitizeEvent", () => {
  it("strips NUL and lone surrogates, bounds free text, and flags only changed usage, model, status or time", () => {
    const e = requestEvent("t", "k", {
      userAgent: `ua\u0000\ud800${"x".repeat(2000)}`,
      error: "bad\u0000thing \ud83d\ude00",
      endpoint: "/v1/messages\u0000",
      clientIp: "1.2.3.4\u0000",
    });
    const { event, usageClamped } = sanitizeEvent(e);
    expect(usageClamped).toBe(false);
    expect(event.flags).toEqual([]);
    expect(event.userAgent!.startsWith("ua\ufffdx")).toBe(true);
    expect(event.userAgent!.length).toBeLessThanOrEqual(512);
    expect(event.error).toBe("badthing \ud83d\ude00"); // a real surrogate pair is kept
    expect(event.endpoint).toBe("/v1/messages");
    expect(event.clientIp).toBe("1.2.3.4");

    const hostile = sanitizeEvent(requestEvent("t", "k", { usage: { input: 3e9, output: 1, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: -4 }, flags: ["replayed"] }));
    expect(hostile.usageClamped).toBe(true);
    expect(hostile.event.usage).toMatchObject({ input: TOKEN_COUNT_MAX, cacheRead: 0 });
    expect(hostile.event.flags).toEqual(["suspicious", "replayed"]);
    expect(sanitizeEvent(requestEvent("t", "k", { model: "a\u0000b" })).event).toMatchObject({ model: "a_b", flags: ["suspicious"] });
  });

  it("never cuts a surrogate pair in half", () => {
    expect(safeText(`${"a".repeat(9)}\ud83d\ude00`, 10)).toBe("a".repeat(9));
  });
});

describe("dead-letter metrics", () => {
  it("counts quarantined events by reason (unparseable, refused)", async () => {
    const m = createMetrics({ defaultMetrics: false, backlog: async () => ({ lagSeconds: 0, pending: 0 }) });
    m.ledger.observeFlush({ read: 50, inserted: 45, acked: 50, invalid: 2, refused: 3 }, 10);
    const text = await m.text();
    expect(text).toContain('metergate_ledger_dead_letters_total{reason="unparseable"} 2');
    expect(text).toContain('metergate_ledger_dead_letters_total{reason="refused"} 3');
    expect(text).toContain('metergate_flush_events_total{outcome="refused"} 3');
    expect(text).not.toContain('outcome="duplicate"');
  });
});

describe("the served model a response reports", () => {
  const prepared = { upstreamBody: null, withholdUsageFrames: false };
  function readSse(adapter: ProtocolAdapter, body: Buffer) {
    const reader = adapter.createReader(prepared);
    const tap: BodyObserver = new SseTap(reader);
    tap.push(body, () => {});
    tap.end(() => {});
    return reader.snapshot();
  }
  function readJson(adapter: ProtocolAdapter, body: Buffer) {
    const reader = adapter.createReader(prepared);
    const tap: BodyObserver = new JsonTap((b) => reader.onJson(b), 1 << 20);
    tap.push(body, () => {});
    tap.end(() => {});
    return reader.snapshot();
  }

  it("is read from every protocol when it follows the rule", () => {
    expect(servedModelOf(readSse(anthropicMessages, fixture("anthropic/stream-basic.sse")), "claude-sonnet-4-5")).toBe("claude-sonnet-4-5-20250929");
    expect(servedModelOf(readJson(anthropicMessages, fixture("anthropic/nonstream.json")), "claude-sonnet-4-5")).toBe("claude-sonnet-4-5-20250929");
    expect(servedModelOf(readJson(openAiChat, fixture("openai/chat-nonstream.json")), "gpt-4o")).toBe("gpt-4o-2024-08-06");
    expect(readSse(openAiChat, fixture("openai/chat-stream-include-usage.sse")).servedModel).toMatch(/^gpt-/);
    expect(readSse(openAiResponses, fixture("openai/responses-stream.sse")).servedModel).toMatch(/^gpt-/);
  });

  it("falls back to the requested model when the upstream reports a hostile one", () => {
    for (const bad of ["claude-sonnet-4-5\u0000x", "claude-\ud800", "x".repeat(4000), 42]) {
      const body = fixture("anthropic/nonstream.json").toString("utf8").replace('"model": "claude-sonnet-4-5-20250929"', `"model": ${JSON.stringify(bad)}`);
      expect(body).not.toContain("claude-sonnet-4-5-20250929");
      const snap = readJson(anthropicMessages, Buffer.from(body));
      expect(snap.servedModel).toBeNull();
      expect(servedModelOf(snap, "claude-sonnet-4-5")).toBe("claude-sonnet-4-5");
      const chat = fixture("openai/chat-nonstream.json").toString("utf8").replace('"model": "gpt-4o-2024-08-06"', `"model": ${JSON.stringify(bad)}`);
      expect(servedModelOf(readJson(openAiChat, Buffer.from(chat)), "gpt-4o")).toBe("gpt-4o");
    }
  });
});
