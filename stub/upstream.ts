/**
 * A stub LLM upstream serving the recorded fixtures byte for byte, for tests, benches and demos.
 *
 * Knobs, per request, from (lowest to highest precedence): `stub.knobs` defaults, a model suffix
 * after "@" (`claude-x@fixture=stream-no-usage,chunk=3` — travels through the relay, which forwards
 * only allow-listed headers), and `x-stub-<knob>` request headers (for direct calls).
 *  - fixture: file name under the provider's fixture folder, with or without extension
 *  - chunk: max chunk size in bytes (random sizes 1..chunk, seeded; splits multi-byte chars)
 *  - seed: PRNG seed for chunk sizes
 *  - delay: ms between chunks
 *  - status: 429 (with retry-after), 500, 529: the provider's error body
 *  - hang: send this many body bytes, then hang until the client goes away
 *  - usage: a JSON object merged (deeply) into the response's usage, e.g. {"speed":"fast"} or
 *    {"prompt_tokens_details":{"cache_write_tokens":512}}. In Anthropic streams it goes into
 *    message_start's usage, and into message_delta's only for the fields message_delta carries
 *    (not speed, inference_geo, service_tier), as the API does. In a model suffix, which must pass
 *    the relay's model-name rule, `speed=fast` stands for usage {"speed":"fast"}.
 *  - served: the model the response says served it (the `model` field of every frame)
 *  - service_tier: OpenAI's top-level `service_tier` of the response (every chunk)
 */
import { once } from "node:events";
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

export const FIXTURES_DIR = path.resolve(import.meta.dirname, "fixtures");

export interface StubKnobs {
  fixture?: string;
  chunk?: number;
  seed?: number;
  delay?: number;
  status?: number;
  hang?: number;
  usage?: Record<string, unknown>;
  served?: string;
  service_tier?: string;
}

export interface SeenRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: unknown;
}

export interface StubStats {
  requests: SeenRequest[];
  inFlight: number;
  maxInFlight: number;
  /** Responses whose client went away before the stub finished sending. */
  aborted: number;
  completed: number;
  last(): SeenRequest | undefined;
  reset(): void;
}

export interface StubUpstream {
  url: string;
  port: number;
  stats: StubStats;
  /** Defaults for every request; tests may change them between cases. */
  knobs: StubKnobs;
  close(): Promise<void>;
}

export interface StubOptions {
  port?: number;
  host?: string;
  knobs?: StubKnobs;
  /** Keep request bodies in stats (off for benches). */
  recordBodies?: boolean;
}

const fixtureCache = new Map<string, Buffer>();
export function fixture(relative: string): Buffer {
  let buf = fixtureCache.get(relative);
  if (!buf) {
    buf = readFileSync(path.join(FIXTURES_DIR, relative));
    fixtureCache.set(relative, buf);
  }
  return buf;
}

/** mulberry32: small, fast, seeded. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Cuts bytes into random chunks of 1..max bytes (may split multi-byte characters). */
export function randomChunks(buf: Uint8Array, max: number, seed: number): Uint8Array[] {
  const rand = prng(seed);
  const out: Uint8Array[] = [];
  for (let i = 0; i < buf.length; ) {
    const n = 1 + Math.floor(rand() * max);
    out.push(buf.subarray(i, i + n));
    i += n;
  }
  return out;
}

function knobsFromModel(model: unknown): StubKnobs {
  if (typeof model !== "string" || !model.includes("@")) return {};
  return parseKnobs(new URLSearchParams(model.slice(model.indexOf("@") + 1).replaceAll(",", "&")).entries());
}

function knobsFromHeaders(headers: http.IncomingHttpHeaders): StubKnobs {
  const pairs: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(headers)) {
    if (k.startsWith("x-stub-") && typeof v === "string") pairs.push([k.slice(7), v]);
  }
  return parseKnobs(pairs);
}

function parseKnobs(pairs: Iterable<[string, string]>): StubKnobs {
  const k: StubKnobs = {};
  for (const [name, value] of pairs) {
    if (name === "fixture") k.fixture = value;
    else if (name === "chunk" || name === "seed" || name === "delay" || name === "status" || name === "hang") k[name] = Number(value);
    else if (name === "served" || name === "service_tier") k[name] = value;
    else if (name === "usage") k.usage = JSON.parse(value) as Record<string, unknown>;
    // Shorthand that fits the relay's model-name rule (no braces or escapes): speed=fast.
    else if (name === "speed") k.usage = { ...k.usage, speed: value };
  }
  return k;
}

function errorFixture(provider: "anthropic" | "openai", status: number): Buffer {
  if (status === 429) return fixture(`${provider}/error-429.json`);
  const type = status === 529 ? "overloaded_error" : "api_error";
  const message = status === 529 ? "Overloaded" : "Internal server error";
  return Buffer.from(
    provider === "anthropic"
      ? JSON.stringify({ type: "error", error: { type, message } })
      : JSON.stringify({ error: { message, type: "server_error", param: null, code: null } }),
  );
}

/** A non-streaming Responses body: the `response` object of the fixture's response.completed. */
function responsesJson(): Buffer {
  const text = fixture("openai/responses-stream.sse").toString("utf8");
  const line = text.split("\n").find((l) => l.startsWith("data: ") && l.includes('"response.completed"'));
  const event = JSON.parse(line!.slice(6)) as { response: unknown };
  return Buffer.from(JSON.stringify(event.response));
}

const ANTHROPIC_MODEL = { type: "model", id: "claude-sonnet-4-5-20250929", display_name: "Claude Sonnet 4.5", created_at: "2025-09-29T00:00:00Z" };
const OPENAI_MODEL = { id: "gpt-4o-2024-08-06", object: "model", created: 1722902400, owned_by: "system" };
const ANTHROPIC_MODELS = JSON.stringify({ data: [ANTHROPIC_MODEL], has_more: false, first_id: ANTHROPIC_MODEL.id, last_id: ANTHROPIC_MODEL.id });
const OPENAI_MODELS = JSON.stringify({ object: "list", data: [OPENAI_MODEL] });

/** GET /v1/models/{id}: the model object, or each provider's 404. */
function modelPlan(provider: "anthropic" | "openai", id: string): Plan {
  const headers = { "content-type": "application/json" };
  const model = provider === "anthropic" ? ANTHROPIC_MODEL : OPENAI_MODEL;
  if (model.id === id) return { status: 200, headers, body: Buffer.from(JSON.stringify(model)) };
  const body =
    provider === "anthropic"
      ? { type: "error", error: { type: "not_found_error", message: `model: ${id}` } }
      : { error: { message: `The model '${id}' does not exist`, type: "invalid_request_error", param: "model", code: "model_not_found" } };
  return { status: 404, headers, body: Buffer.from(JSON.stringify(body)) };
}

interface Plan {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

function plan(method: string, urlPath: string, headers: http.IncomingHttpHeaders, json: Record<string, unknown> | null, k: StubKnobs): Plan {
  const provider = urlPath.startsWith("/v1/messages") || (urlPath.startsWith("/v1/models") && (headers["anthropic-version"] || headers["x-api-key"])) ? "anthropic" : "openai";
  const jsonHeaders = { "content-type": "application/json" };
  const sseHeaders = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive" };
  if (k.status && k.status >= 400) {
    const extra: Record<string, string> = k.status === 429 ? { "retry-after": "7" } : {};
    return { status: k.status, headers: { ...jsonHeaders, ...extra, "x-request-id": "req_stub_error" }, body: errorFixture(provider, k.status) };
  }
  const pick = (folder: string, fallback: string): Buffer => {
    if (!k.fixture) return fixture(`${folder}/${fallback}`);
    const name = /\.(sse|json)$/.test(k.fixture) ? k.fixture : `${k.fixture}${json?.stream === true ? ".sse" : ".json"}`;
    return fixture(name.includes("/") ? name : `${folder}/${name}`);
  };
  const stream = json?.stream === true;
  if (method === "GET" && urlPath === "/v1/models") {
    return { status: 200, headers: jsonHeaders, body: Buffer.from(provider === "anthropic" ? ANTHROPIC_MODELS : OPENAI_MODELS) };
  }
  if (method === "GET" && urlPath.startsWith("/v1/models/")) return modelPlan(provider, decodeURIComponent(urlPath.slice("/v1/models/".length)));
  if (method !== "POST") return { status: 405, headers: jsonHeaders, body: errorFixture(provider, 500) };
  switch (urlPath) {
    case "/v1/messages":
      return stream
        ? { status: 200, headers: { ...sseHeaders, "request-id": "req_stub_1" }, body: pick("anthropic", "stream-basic.sse") }
        : { status: 200, headers: { ...jsonHeaders, "request-id": "req_stub_1" }, body: pick("anthropic", "nonstream.json") };
    case "/v1/messages/count_tokens":
      return { status: 200, headers: jsonHeaders, body: Buffer.from('{"input_tokens":42}') };
    case "/v1/chat/completions": {
      if (!stream) return { status: 200, headers: jsonHeaders, body: pick("openai", "chat-nonstream.json") };
      const opts = json?.stream_options as { include_usage?: unknown } | undefined;
      return { status: 200, headers: sseHeaders, body: pick("openai", opts?.include_usage === true ? "chat-stream-include-usage.sse" : "chat-stream-no-usage.sse") };
    }
    case "/v1/responses":
      return stream
        ? { status: 200, headers: sseHeaders, body: pick("openai", "responses-stream.sse") }
        : { status: 200, headers: jsonHeaders, body: k.fixture ? pick("openai", k.fixture) : responsesJson() };
    default:
      return { status: 404, headers: jsonHeaders, body: Buffer.from('{"error":{"message":"not found","type":"invalid_request_error","param":null,"code":null}}') };
  }
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function deepMerge(target: Json, patch: Json): Json {
  const out: Json = { ...target };
  for (const [k, v] of Object.entries(patch)) out[k] = isObject(v) && isObject(out[k]) ? deepMerge(out[k], v) : v;
  return out;
}

/** Fields of Anthropic's Usage that message_delta's MessageDeltaUsage does not carry. */
const MESSAGE_START_ONLY = new Set(["speed", "inference_geo", "service_tier"]);

/** Applies the usage / served / service_tier knobs to one JSON frame or body. */
function rewriteFrame(obj: Json, k: StubKnobs): Json {
  let o = obj;
  const usagePatch = k.usage;
  const withUsage = (u: unknown, patch: Json): Json => deepMerge(isObject(u) ? u : {}, patch);
  if (o.type === "message_start" && isObject(o.message)) {
    const message: Json = { ...o.message };
    if (k.served) message.model = k.served;
    if (usagePatch) message.usage = withUsage(message.usage, usagePatch);
    o = { ...o, message };
  } else if (o.type === "message_delta") {
    if (usagePatch && isObject(o.usage)) {
      const deltaPatch = Object.fromEntries(Object.entries(usagePatch).filter(([f]) => !MESSAGE_START_ONLY.has(f)));
      o = { ...o, usage: withUsage(o.usage, deltaPatch) };
    }
  } else if (isObject(o.response)) {
    const response: Json = { ...o.response };
    if (k.served) response.model = k.served;
    if (k.service_tier) response.service_tier = k.service_tier;
    if (usagePatch && isObject(response.usage)) response.usage = withUsage(response.usage, usagePatch);
    o = { ...o, response };
  } else {
    // Anthropic message body, OpenAI chat completion / chunk, Responses body.
    o = { ...o };
    if (k.served && typeof o.model === "string") o.model = k.served;
    if (k.service_tier && (o.object === "chat.completion" || o.object === "chat.completion.chunk" || o.object === "response")) o.service_tier = k.service_tier;
    if (usagePatch && isObject(o.usage)) o.usage = withUsage(o.usage, usagePatch);
  }
  return o;
}

/** The body with the response knobs applied: SSE frame by frame, or the whole JSON body. */
function rewriteBody(body: Buffer, sse: boolean, k: StubKnobs): Buffer {
  if (!k.usage && !k.served && !k.service_tier) return body;
  if (!sse) return Buffer.from(JSON.stringify(rewriteFrame(JSON.parse(body.toString("utf8")) as Json, k)));
  const lines = body.toString("utf8").split("\n").map((line) => {
    if (!line.startsWith("data: ") || line === "data: [DONE]") return line;
    return `data: ${JSON.stringify(rewriteFrame(JSON.parse(line.slice(6)) as Json, k))}`;
  });
  return Buffer.from(lines.join("\n"));
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function startStubUpstream(opts: StubOptions = {}): Promise<StubUpstream> {
  const requests: SeenRequest[] = [];
  const stats: StubStats = {
    requests,
    inFlight: 0,
    maxInFlight: 0,
    aborted: 0,
    completed: 0,
    last: () => requests[requests.length - 1],
    reset() {
      requests.length = 0;
      this.maxInFlight = this.inFlight;
      this.aborted = 0;
      this.completed = 0;
    },
  };
  const stub: StubUpstream = { url: "", port: 0, stats, knobs: { ...opts.knobs }, close: async () => {} };
  let seq = 0;

  const server = http.createServer({ keepAlive: true }, (req, res) => {
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    let finished = false;
    res.on("close", () => {
      stats.inFlight--;
      if (finished) stats.completed++;
      else stats.aborted++;
    });
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const bodyText = Buffer.concat(chunks).toString("utf8");
        let json: Record<string, unknown> | null = null;
        try {
          json = bodyText ? (JSON.parse(bodyText) as Record<string, unknown>) : null;
        } catch {
          json = null;
        }
        const urlPath = (req.url ?? "/").split("?")[0]!;
        if (opts.recordBodies !== false) {
          requests.push({ method: req.method ?? "GET", path: req.url ?? "/", headers: req.headers, body: bodyText, json });
        }
        const k: StubKnobs = { ...stub.knobs, ...knobsFromModel(json?.model), ...knobsFromHeaders(req.headers) };
        const planned = plan(req.method ?? "GET", urlPath, req.headers, json, k);
        const p = planned.status < 400 ? { ...planned, body: rewriteBody(planned.body, (planned.headers["content-type"] ?? "").includes("event-stream"), k) } : planned;
        res.writeHead(p.status, cleanHeaders(p, k));
        res.flushHeaders();
        const pieces = k.chunk ? randomChunks(p.body, k.chunk, k.seed ?? ++seq) : [p.body];
        let sent = 0;
        for (const piece of pieces) {
          if (res.destroyed) return;
          if (k.hang !== undefined && sent + piece.length > k.hang) {
            const rest = Math.max(0, k.hang - sent);
            if (rest > 0) res.write(piece.subarray(0, rest));
            await once(res, "close");
            return;
          }
          res.write(piece);
          sent += piece.length;
          if (k.delay) await sleep(k.delay);
        }
        if (k.hang !== undefined) {
          await once(res, "close");
          return;
        }
        finished = true;
        res.end();
      })();
    });
  });
  server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  stub.port = port;
  stub.url = `http://${opts.host ?? "127.0.0.1"}:${port}`;
  stub.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return stub;
}

/** Whole bodies get a content-length; chunked, delayed or hanging ones stream without one. */
function cleanHeaders(p: Plan, k: StubKnobs): Record<string, string> {
  const whole = k.hang === undefined && !k.chunk && !k.delay;
  return whole ? { ...p.headers, "content-length": String(p.body.length) } : p.headers;
}
