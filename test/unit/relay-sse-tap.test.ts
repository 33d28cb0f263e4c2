/**
 * SseTap reads SSE lines from the forwarded buffers themselves; it must see exactly the events
 * eventsource-parser (fed the decoded text, as the tap did before) sees, in any chunking: LF,
 * CRLF (split between chunks too) and CR line ends, a leading BOM, comments, multi-line and
 * empty data, ids, field names without a colon, split multi-byte characters, and a last event
 * without its closing blank line (never dispatched). One difference on purpose: a CR that ends
 * the whole stream ends its line here (eventsource-parser keeps waiting for an LF).
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { describe, expect, it } from "vitest";
import { SseFrameFilter, SseTap } from "~/relay/observers";
import type { UsageReader } from "~/relay/usage";
import { fixture, randomChunks } from "../../stub/upstream";

function collector(): { reader: UsageReader; events: EventSourceMessage[] } {
  const events: EventSourceMessage[] = [];
  const reader: UsageReader = {
    onEvent: (e) => (events.push({ ...e }), false),
    onJson: () => {},
    snapshot: () => {
      throw new Error("unused");
    },
  };
  return { reader, events };
}

/** What the tap did before: a streaming TextDecoder into eventsource-parser. */
function reference(chunks: Uint8Array[]): EventSourceMessage[] {
  const events: EventSourceMessage[] = [];
  const decoder = new TextDecoder();
  const parser = createParser({ onEvent: (e) => events.push({ ...e }) });
  for (const c of chunks) parser.feed(decoder.decode(c, { stream: true }));
  const rest = decoder.decode();
  if (rest) parser.feed(rest);
  parser.reset({ consume: true });
  return events;
}

function tapped(chunks: Uint8Array[]): { events: EventSourceMessage[]; forwarded: Buffer } {
  const { reader, events } = collector();
  const tap = new SseTap(reader);
  const out: Uint8Array[] = [];
  for (const c of chunks) tap.push(c, (x) => out.push(x));
  tap.end();
  return { events, forwarded: Buffer.concat(out) };
}

const SYNTHETIC: Record<string, string> = {
  lf: 'event: a\ndata: {"x":1}\n\ndata: two\ndata: lines\n\n',
  crlf: 'event: a\r\ndata: {"x":"é✓"}\r\n\r\ndata:nospace\r\n\r\n',
  cr: "event: a\rdata: one\r\rdata: two\r\r:end\n",
  mixed: "data: a\r\ndata: b\rdata: c\n\r\n",
  bom: '\uFEFFevent: first\ndata: {"ok":true}\n\n',
  comments: ": keep-alive\n\n:comment\ndata: x\n: inside\n\n",
  "empty data and bare names": "data\ndata\n\nevent\ndata: y\n\nid\ndata: z\n\n",
  ids: "id: 7\ndata: a\n\nid: bad\u0000id\ndata: b\n\n",
  "unknown fields and retry": "retry: 10\nfoo: bar\nx\ndata: k\n\n",
  "no closing blank line": "data: done\n\ndata: dangling",
  "multi-byte": `data: ${"日本語テキスト🙂".repeat(20)}\n\n`,
  "empty event name": "event:\ndata: e\n\n",
};

describe("SseTap sees what eventsource-parser sees", () => {
  const cases: Array<[string, Buffer]> = Object.entries(SYNTHETIC).map(([k, v]) => [k, Buffer.from(v, "utf8")]);
  const dir = path.resolve(import.meta.dirname, "../../stub/fixtures");
  for (const provider of ["anthropic", "openai"]) {
    for (const f of readdirSync(path.join(dir, provider))) if (f.endsWith(".sse")) cases.push([`${provider}/${f}`, fixture(`${provider}/${f}`)]);
  }
  for (const [name, body] of cases) {
    it(name, () => {
      const chunkings: Uint8Array[][] = [[body], randomChunks(body, 1, 1)];
      for (let seed = 1; seed <= 30; seed++) chunkings.push(randomChunks(body, 1 + (seed % 11), seed));
      const expected = reference([body]);
      expect(expected.length).toBeGreaterThan(0);
      for (const chunks of chunkings) {
        const { events, forwarded } = tapped(chunks);
        expect(events).toEqual(expected);
        expect(forwarded.equals(body)).toBe(true);
        expect(reference(chunks)).toEqual(expected);
      }
    });
  }

  it("a CR ending the stream ends its line (and so the event)", () => {
    const body = Buffer.from("data: one\r\rdata: two\r\r");
    for (const chunks of [[body], randomChunks(body, 1, 1), randomChunks(body, 4, 2)]) {
      expect(tapped(chunks).events.map((e) => e.data)).toEqual(["one", "two"]);
    }
  });

  it("reads plain Uint8Arrays (not Buffers) too", () => {
    const body = Buffer.from(SYNTHETIC.crlf!, "utf8");
    const chunks = randomChunks(body, 5, 3).map((b) => new Uint8Array(b));
    expect(tapped(chunks).events).toEqual(reference([body]));
  });
});

/** SseFrameFilter as it was (decode, regex frame ends, eventsource-parser, re-encode): the reference. */
function filteredBefore(chunks: Uint8Array[], withholdIf: (e: EventSourceMessage) => boolean): { events: EventSourceMessage[]; forwarded: Buffer } {
  const events: EventSourceMessage[] = [];
  const out: Uint8Array[] = [];
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let withhold = false;
  const parser = createParser({
    onEvent: (e) => {
      events.push({ ...e });
      if (withholdIf(e)) withhold = true;
    },
  });
  const FRAME_END = /\r\n\r\n|\n\n|\r\r/g;
  let pending = "";
  const forward = (frame: string): void => {
    withhold = false;
    parser.feed(frame);
    if (!withhold) out.push(encoder.encode(frame));
  };
  for (const c of chunks) {
    pending += decoder.decode(c, { stream: true });
    FRAME_END.lastIndex = 0;
    let start = 0;
    let m: RegExpExecArray | null;
    while ((m = FRAME_END.exec(pending)) !== null) {
      forward(pending.slice(start, m.index + m[0].length));
      start = m.index + m[0].length;
    }
    if (start > 0) pending = pending.slice(start);
  }
  pending += decoder.decode();
  if (pending) forward(pending);
  parser.reset({ consume: true });
  return { events, forwarded: Buffer.concat(out) };
}

function filtered(chunks: Uint8Array[], withholdIf: (e: EventSourceMessage) => boolean): { events: EventSourceMessage[]; forwarded: Buffer } {
  const events: EventSourceMessage[] = [];
  const reader: UsageReader = {
    onEvent: (e) => (events.push({ ...e }), withholdIf(e)),
    onJson: () => {},
    snapshot: () => {
      throw new Error("unused");
    },
  };
  const filter = new SseFrameFilter(reader);
  const out: Uint8Array[] = [];
  for (const c of chunks) filter.push(c, (x) => out.push(x));
  filter.end((x) => out.push(x));
  return { events, forwarded: Buffer.concat(out) };
}

describe("SseFrameFilter forwards and withholds the same frames as before, as slices of the upstream's bytes", () => {
  // Not compared: a BOM (the decoder used to drop it from the client's bytes; now forwarded as
  // sent) and a stream ending in CR (see above).
  const cases: Array<[string, Buffer]> = Object.entries(SYNTHETIC)
    .filter(([k]) => k !== "bom" && k !== "cr" && k !== "mixed")
    .map(([k, v]) => [k, Buffer.from(v, "utf8")]);
  for (const provider of ["anthropic", "openai"]) {
    const dir = path.resolve(import.meta.dirname, "../../stub/fixtures", provider);
    for (const f of readdirSync(dir)) if (f.endsWith(".sse")) cases.push([`${provider}/${f}`, fixture(`${provider}/${f}`)]);
  }
  const predicates: Array<[string, (e: EventSourceMessage) => boolean]> = [
    ["none withheld", () => false],
    ["usage frames withheld", (e) => e.data.includes("usage")],
    ["every other event withheld", (e) => e.data.length % 2 === 0],
  ];
  for (const [name, body] of cases) {
    for (const [pname, withholdIf] of predicates) {
      it(`${name}, ${pname}`, () => {
        const expected = filteredBefore([body], withholdIf);
        const chunkings: Uint8Array[][] = [[body], randomChunks(body, 1, 1)];
        for (let seed = 1; seed <= 20; seed++) chunkings.push(randomChunks(body, 1 + (seed % 11), seed));
        for (const chunks of chunkings) {
          const got = filtered(chunks, withholdIf);
          expect(got.events).toEqual(expected.events);
          expect(got.forwarded.toString("utf8")).toEqual(expected.forwarded.toString("utf8"));
          expect(got.forwarded.equals(expected.forwarded)).toBe(true);
        }
      });
    }
  }

  it("forwards a BOM as sent, reads the first event after it", () => {
    const body = Buffer.from('\uFEFFevent: first\ndata: {"ok":true}\n\n', "utf8");
    for (const chunks of [[body], randomChunks(body, 1, 1)]) {
      const got = filtered(chunks, () => false);
      expect(got.forwarded.equals(body)).toBe(true);
      expect(got.events).toEqual([{ id: undefined, event: "first", data: '{"ok":true}' }]);
    }
  });
});
