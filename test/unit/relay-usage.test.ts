/**
 * The SSE usage readers on every fixture, whole and cut into random chunks (1 byte, and random
 * sizes that split multi-byte characters), asserting the numbers in stub/fixtures/README.md.
 */
import { describe, expect, it } from "vitest";
import type { TokenUsage } from "~/ledger/types";
import { anthropicMessages, AnthropicUsageReader, openAiChat, openAiResponses, type ProtocolAdapter } from "~/relay/adapters";
import { JsonTap, SseFrameFilter, SseTap, type BodyObserver } from "~/relay/observers";
import { resolveUsage, type UsageReader } from "~/relay/usage";
import { fixture, randomChunks } from "../../stub/upstream";

const ANTHROPIC_REQUEST = { model: "claude-sonnet-4-5", max_tokens: 100, messages: [{ role: "user", content: "Say hello to the world in two languages." }] };
const OPENAI_REQUEST = { model: "gpt-4o", messages: [{ role: "user", content: "Say hello to the world." }] };
const RESPONSES_REQUEST = { model: "gpt-4.1", input: "Say hi." };

const ANTHROPIC_BASIC: TokenUsage = { input: 472, cacheWrite5m: 1024, cacheWrite1h: 1024, cacheRead: 10240, output: 89 };
const CHAT_USAGE: TokenUsage = { input: 176, cacheRead: 1024, cacheWrite5m: 0, cacheWrite1h: 0, output: 35 };
const RESPONSES_USAGE: TokenUsage = { input: 220, cacheRead: 1280, cacheWrite5m: 0, cacheWrite1h: 0, output: 42 };

interface Run {
  reader: UsageReader;
  emitted: Buffer;
}

function feed(observer: BodyObserver, chunks: Uint8Array[]): Buffer {
  const out: Uint8Array[] = [];
  const emit = (c: Uint8Array) => out.push(c);
  for (const c of chunks) observer.push(c, emit);
  observer.end(emit);
  return Buffer.concat(out);
}

function runSse(adapter: ProtocolAdapter, body: Buffer, chunks: Uint8Array[], withhold = false): Run {
  const prepared = { upstreamBody: null, withholdUsageFrames: withhold };
  const reader = adapter.createReader(prepared);
  const observer = withhold ? new SseFrameFilter(reader) : new SseTap(reader);
  return { reader, emitted: feed(observer, chunks) };
}

function chunkings(body: Buffer): Array<[string, Uint8Array[]]> {
  const out: Array<[string, Uint8Array[]]> = [["whole", [body]], ["1-byte", randomChunks(body, 1, 1)]];
  for (let seed = 1; seed <= 40; seed++) out.push([`random max ${1 + (seed % 13)} seed ${seed}`, randomChunks(body, 1 + (seed % 13), seed)]);
  return out;
}

const exactCases: Array<{ file: string; adapter: ProtocolAdapter; usage: TokenUsage }> = [
  { file: "anthropic/stream-basic.sse", adapter: anthropicMessages, usage: ANTHROPIC_BASIC },
  { file: "anthropic/stream-cumulative-delta.sse", adapter: anthropicMessages, usage: ANTHROPIC_BASIC },
  { file: "anthropic/stream-crlf-nospace.sse", adapter: anthropicMessages, usage: ANTHROPIC_BASIC },
  { file: "anthropic/stream-server-tool.sse", adapter: anthropicMessages, usage: { input: 2310, output: 112, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0 } },
  { file: "openai/chat-stream-include-usage.sse", adapter: openAiChat, usage: CHAT_USAGE },
  { file: "openai/responses-stream.sse", adapter: openAiResponses, usage: RESPONSES_USAGE },
];

const noEstimate = () => Promise.reject(new Error("must not estimate"));

describe("stream fixtures give their README numbers, in any chunking", () => {
  for (const { file, adapter, usage } of exactCases) {
    describe(file, () => {
      const body = fixture(file);
      for (const [label, chunks] of chunkings(body)) {
        it(label, async () => {
          const { reader, emitted } = runSse(adapter, body, chunks);
          expect(emitted.equals(body)).toBe(true); // bytes untouched
          const snap = reader.snapshot();
          expect(snap.complete).toBe(true);
          expect(snap.error).toBeNull();
          expect(await resolveUsage(snap, noEstimate)).toEqual({ usage, source: "UPSTREAM" });
        });
      }
    });
  }

  it("server tool use: web searches are the latest value, not a sum", () => {
    const reader = new AnthropicUsageReader();
    feed(new SseTap(reader), [fixture("anthropic/stream-server-tool.sse")]);
    expect(reader.snapshot().billing.webSearchRequests).toBe(1);
  });

  it("the multi-byte text survives any split", () => {
    const body = fixture("anthropic/stream-basic.sse");
    for (const [, chunks] of chunkings(body)) {
      const { reader } = runSse(anthropicMessages, body, chunks);
      expect(reader.snapshot().outputText.join("")).toBe("Hello, 世界! 👋");
    }
  });
});

describe("non-streaming bodies", () => {
  const cases: Array<[string, ProtocolAdapter, TokenUsage]> = [
    ["anthropic/nonstream.json", anthropicMessages, ANTHROPIC_BASIC],
    ["openai/chat-nonstream.json", openAiChat, CHAT_USAGE],
  ];
  for (const [file, adapter, usage] of cases) {
    it(file, async () => {
      const body = fixture(file);
      for (const [, chunks] of chunkings(body).slice(0, 10)) {
        const reader = adapter.createReader({ upstreamBody: null, withholdUsageFrames: false });
        expect(feed(new JsonTap((b) => reader.onJson(b), 1 << 20), chunks).equals(body)).toBe(true);
        expect(await resolveUsage(reader.snapshot(), noEstimate)).toEqual({ usage, source: "UPSTREAM" });
      }
    });
  }

  it("openai responses (the completed response object)", async () => {
    const line = fixture("openai/responses-stream.sse").toString().split("\n").find((l) => l.includes('"response.completed"'))!;
    const reader = openAiResponses.createReader({ upstreamBody: null, withholdUsageFrames: false });
    reader.onJson((JSON.parse(line.slice(6)) as { response: unknown }).response);
    expect(await resolveUsage(reader.snapshot(), noEstimate)).toEqual({ usage: RESPONSES_USAGE, source: "UPSTREAM" });
  });
});

describe("OpenAI chat: the relay asks for usage and withholds it from a client that did not", () => {
  const withUsage = fixture("openai/chat-stream-include-usage.sse");
  const withoutUsage = fixture("openai/chat-stream-no-usage.sse").toString("utf8");

  it("prepare turns include_usage on only for streams the client did not already ask for", () => {
    expect(openAiChat.prepare(OPENAI_REQUEST, false)).toEqual({ upstreamBody: null, withholdUsageFrames: false });
    const asked = { ...OPENAI_REQUEST, stream: true, stream_options: { include_usage: true } };
    expect(openAiChat.prepare(asked, true)).toEqual({ upstreamBody: null, withholdUsageFrames: false });
    const prepared = openAiChat.prepare({ ...OPENAI_REQUEST, stream: true }, true);
    expect(prepared.withholdUsageFrames).toBe(true);
    expect(JSON.parse(prepared.upstreamBody!)).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  for (const [label, chunks] of chunkings(withUsage)) {
    it(`usage frame dropped whole, usage still read (${label})`, async () => {
      const { reader, emitted } = runSse(openAiChat, withUsage, chunks, true);
      const text = emitted.toString("utf8");
      expect(text).not.toContain('"choices":[]');
      expect(text).toContain("data: [DONE]");
      // Every other frame is forwarded byte for byte, in order.
      const expected = withUsage.toString("utf8").split("\n\n").filter((f) => !f.includes('"choices":[]')).join("\n\n");
      expect(text).toBe(expected);
      expect(await resolveUsage(reader.snapshot(), noEstimate)).toEqual({ usage: CHAT_USAGE, source: "UPSTREAM" });
    });
  }

  it("the same chunks reach a client that asked for usage", () => {
    const { emitted } = runSse(openAiChat, withUsage, randomChunks(withUsage, 7, 3), false);
    expect(emitted.equals(withUsage)).toBe(true);
  });

  it("the no-usage form carries the same frames minus usage", () => {
    expect(withoutUsage).toContain("data: [DONE]");
  });
});

describe("no usage from the upstream: estimated, never zero", () => {
  it("anthropic/stream-no-usage.sse", async () => {
    const body = fixture("anthropic/stream-no-usage.sse");
    for (const [, chunks] of chunkings(body).slice(0, 8)) {
      const { reader } = runSse(anthropicMessages, body, chunks);
      const snap = reader.snapshot();
      expect(snap.complete).toBe(true);
      const r = await resolveUsage(snap, () => anthropicMessages.estimateInput(ANTHROPIC_REQUEST));
      expect(r.source).toBe("ESTIMATED");
      expect(r.usage.input).toBeGreaterThan(5);
      expect(r.usage.output).toBeGreaterThan(2);
      expect(r.usage.cacheRead + r.usage.cacheWrite5m + r.usage.cacheWrite1h).toBe(0);
    }
  });

  it("openai/chat-stream-no-usage.sse", async () => {
    const body = fixture("openai/chat-stream-no-usage.sse");
    const { reader } = runSse(openAiChat, body, randomChunks(body, 5, 9));
    const r = await resolveUsage(reader.snapshot(), () => openAiChat.estimateInput(OPENAI_REQUEST));
    expect(r.source).toBe("ESTIMATED");
    expect(r.usage.input).toBeGreaterThan(3);
    expect(r.usage.output).toBeGreaterThan(1);
  });

  it("responses estimate input from input and instructions", async () => {
    expect(await openAiResponses.estimateInput(RESPONSES_REQUEST)).toBeGreaterThan(1);
  });
});

describe("interrupted streams", () => {
  it("anthropic error midway: input and cache recorded, output estimated, status 529", async () => {
    const body = fixture("anthropic/stream-error-midway.sse");
    for (const [, chunks] of chunkings(body).slice(0, 12)) {
      const { reader, emitted } = runSse(anthropicMessages, body, chunks);
      expect(emitted.toString()).toContain("overloaded_error");
      const snap = reader.snapshot();
      expect(snap.error).toEqual({ status: 529, message: "Overloaded" });
      const r = await resolveUsage(snap, noEstimate);
      expect(r.source).toBe("ESTIMATED");
      expect(r.usage).toMatchObject({ input: 472, cacheWrite5m: 1024, cacheWrite1h: 1024, cacheRead: 10240 });
      expect(r.usage.output).toBeGreaterThanOrEqual(1);
    }
  });

  it("a stream cut before message_delta (client gone): input from message_start, output from text", async () => {
    const text = fixture("anthropic/stream-basic.sse").toString("utf8");
    const cut = Buffer.from(text.slice(0, text.indexOf("event: content_block_stop")));
    const { reader } = runSse(anthropicMessages, cut, randomChunks(cut, 4, 2));
    const snap = reader.snapshot();
    expect(snap.complete).toBe(false);
    const r = await resolveUsage(snap, noEstimate);
    expect(r.source).toBe("ESTIMATED");
    expect(r.usage).toMatchObject({ input: 472, cacheRead: 10240, cacheWrite5m: 1024, cacheWrite1h: 1024 });
    expect(r.usage.output).toBeGreaterThan(2);
  });

  it("openai chat error chunk mid-stream", async () => {
    const frames = fixture("openai/chat-stream-include-usage.sse").toString("utf8").split("\n\n").slice(0, 2);
    frames.push('data: {"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}');
    const body = Buffer.from(frames.join("\n\n") + "\n\n");
    const { reader } = runSse(openAiChat, body, randomChunks(body, 6, 4));
    const snap = reader.snapshot();
    expect(snap.error).toEqual({ status: 500, message: "The server had an error" });
    const r = await resolveUsage(snap, () => openAiChat.estimateInput(OPENAI_REQUEST));
    expect(r.source).toBe("ESTIMATED");
    expect(r.usage.input).toBeGreaterThan(0);
  });

  it("responses failed event ends the stream as an error with its usage", async () => {
    const body = Buffer.from(
      'event: response.failed\ndata: {"type":"response.failed","response":{"status":"failed","error":{"code":"rate_limit_exceeded","message":"slow down"},"usage":{"input_tokens":10,"input_tokens_details":{"cached_tokens":0},"output_tokens":0}}}\n\n',
    );
    const { reader } = runSse(openAiResponses, body, [body]);
    const snap = reader.snapshot();
    expect(snap.error).toEqual({ status: 429, message: "slow down" });
    expect(await resolveUsage(snap, noEstimate)).toEqual({ usage: { input: 10, output: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0 }, source: "UPSTREAM" });
  });
});
