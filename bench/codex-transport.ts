/**
 * Codex's transport start-up against a running Metergate: how long from the Responses WebSocket
 * handshake to its refusal, and from the start of a turn to the first token, the way Codex's
 * built-in provider goes about it.
 *
 *   npx tsx bench/codex-transport.ts --url http://127.0.0.1:3000 --key mg-… [--turns 5] [--label next]
 *
 * The model of Codex (openai/codex, codex-rs): a turn first opens `GET /v1/responses` with
 * `Upgrade: websocket`. A 426 answer to that handshake makes it fall back to HTTPS at once (PR
 * "Fallback to HTTP on UPGRADE_REQUIRED"); any other answer, or none (an empty reply), is a
 * retryable stream error: it retries the handshake up to stream_max_retries = 5 times, sleeping
 * backoff(n) = 200 ms · 2^(n−1) ± 10 % before retry n, then falls back to HTTPS. The fallback is
 * `POST /v1/responses` with `stream: true`; the first token is the first
 * `response.output_text.delta` event. Point --url at the stub upstream's model name and the relay
 * forwards to whatever upstream it is configured with.
 */
import http from "node:http";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    url: { type: "string" },
    key: { type: "string" },
    turns: { type: "string", default: "5" },
    label: { type: "string", default: "" },
    model: { type: "string", default: "gpt-4o-2024-08-06" },
  },
});
if (!args.url || !args.key) {
  console.error("usage: bench/codex-transport.ts --url <base URL> --key <mg-key> [--turns N] [--label text]");
  process.exit(2);
}
const BASE = args.url.replace(/\/+$/, "");
const KEY = args.key;
const TURNS = Math.max(1, Number(args.turns));
const STREAM_MAX_RETRIES = 5;
const HANDSHAKE_TIMEOUT_MS = 15_000;

const backoffMs = (attempt: number): number => 200 * 2 ** (attempt - 1) * (0.9 + Math.random() * 0.2);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Handshake {
  /** HTTP status of the answer, 101 if upgraded, 0 for an empty reply or a connection error. */
  status: number;
  ms: number;
  detail: string;
}

/** One WebSocket opening handshake, as tungstenite sends it; resolves on the answer or its absence. */
function handshake(): Promise<Handshake> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const done = (status: number, detail: string) => resolve({ status, ms: performance.now() - t0, detail });
    const req = http.request(`${BASE}/v1/responses`, {
      agent: false,
      headers: {
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        authorization: `Bearer ${KEY}`,
        "openai-beta": "responses_websockets=2026-02-06",
      },
      timeout: HANDSHAKE_TIMEOUT_MS,
    });
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      done(res.statusCode ?? 101, "upgraded");
    });
    req.on("response", (res) => {
      res.resume();
      res.on("end", () => done(res.statusCode ?? 0, "answered"));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e) => done(0, e.message));
    req.end();
  });
}

/** The HTTPS fallback: a streamed Responses request; ms to the first output_text delta. */
async function firstTokenOverHttps(): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${BASE}/v1/responses`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify({ model: args.model, input: "Say hello.", stream: true }),
  });
  if (!res.ok || !res.body) throw new Error(`POST /v1/responses answered ${res.status}: ${await res.text()}`);
  const decoder = new TextDecoder();
  const reader = res.body.getReader();
  let buffered = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) throw new Error("stream ended without an output_text delta");
    buffered += decoder.decode(value, { stream: true });
    if (buffered.includes("response.output_text.delta")) {
      const ms = performance.now() - t0;
      await reader.cancel().catch(() => {});
      return ms;
    }
  }
}

interface Turn {
  firstHandshake: Handshake;
  attempts: number;
  fallbackAtMs: number;
  firstTokenMs: number;
}

async function turn(): Promise<Turn> {
  const t0 = performance.now();
  let first: Handshake | null = null;
  let attempts = 0;
  for (;;) {
    const h = await handshake();
    attempts++;
    first ??= h;
    if (h.status === 101) throw new Error("the WebSocket upgrade was accepted: nothing to fall back from");
    if (h.status === 426 || attempts > STREAM_MAX_RETRIES) break;
    await sleep(backoffMs(attempts));
  }
  const fallbackAtMs = performance.now() - t0;
  await firstTokenOverHttps();
  return { firstHandshake: first, attempts, fallbackAtMs, firstTokenMs: performance.now() - t0 };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const f = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

await firstTokenOverHttps(); // warm-up: route compiled, key cached, connections open
const turns: Turn[] = [];
for (let i = 0; i < TURNS; i++) turns.push(await turn());

const h0 = turns[0]!.firstHandshake;
const answer = h0.status === 0 ? `no answer (${h0.detail})` : `HTTP ${h0.status}`;
const ttft = turns.map((t) => t.firstTokenMs);
console.log(
  [
    `codex transport start-up${args.label ? ` [${args.label}]` : ""}: ${BASE}, ${TURNS} turns`,
    `  WebSocket handshake answer:      ${answer}, after ${f(median(turns.map((t) => t.firstHandshake.ms)))} (median)`,
    `  handshakes per turn:             ${turns[0]!.attempts}`,
    `  HTTPS fallback starts after:     ${f(median(turns.map((t) => t.fallbackAtMs)))} (median)`,
    `  time to first token:             ${f(median(ttft))} median, ${f(Math.min(...ttft))} min, ${f(Math.max(...ttft))} max`,
  ].join("\n"),
);
