// CPU per request of the shared relay core (createRelay with the default wiring's admission,
// recorder, metrics and log line), in one process with stand-ins for Redis (answers at once), the
// key lookup and the upstream (the stub's 1.1 KB Anthropic stream, or its JSON answer): process
// CPU time, so other load on the machine barely moves it. What it leaves out is the transport
// (node:http or Next, undici) and Redis itself. For A/B against another checkout, run it in each,
// alternately: `npx tsx --tsconfig tsconfig.json bench/relay-core-cpu.ts [--requests N] [--rounds R]`.
// Log lines go to stdout: send it to /dev/null (`> /dev/null`); the figures are on stderr.
import { readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { parseArgs } from "node:util";
Object.assign(process.env, {
  NEXTAUTH_SECRET: "bench-secret-bench-secret-bench-secret-01",
  ENCRYPTION_KEY: "0".repeat(64),
  REDIS_PREFIX: "mgcorecpu:",
  LOG_LEVEL: "info",
});
const { values } = parseArgs({ options: { requests: { type: "string", default: "20000" }, rounds: { type: "string", default: "7" }, shape: { type: "string", default: "stream" } } });
const { admit, LedgerRecorder, LeaseHeartbeat, unlimited } = await import("~/ledger");
const { createRelay } = await import("~/relay/relay");
const { hashApiKey } = await import("~/keys");
const { logRequest } = await import("~/relay/log-lines");
const { observeRequest } = await import("~/relay/metrics");

const root = new URL("..", import.meta.url).pathname;
const sse = readFileSync(`${root}stub/fixtures/anthropic/stream-basic.sse`);
const json = readFileSync(`${root}stub/fixtures/anthropic/nonstream.json`);
const stream = values.shape === "stream";

let calls = 0;
let argBytes = 0;
const fakeRedis = {
  status: "ready",
  call: async (cmd: string, a: Array<string | number>) => {
    calls++;
    for (const x of a) argBytes += typeof x === "string" ? x.length : 8;
    // The admission script's answer (admitted, epoch); the record script's is 1.
    return a.length > 30 ? [1, "epoch"] : 1;
  },
} as never;

const secret = "mg-benchcorecpu0000000000000000";
const limits = { ...unlimited("7d1f7a52-0000-4000-8000-000000000001", "bench-tenant"), rateWindowMinutes: 1, rateMaxRequests: 100_000_000, maxConcurrency: 5000, dailyCostMicros: 1_000_000_000_000 };
const key = {
  id: limits.apiKeyId, tenantId: limits.tenantId, revokedAt: null, expiresAt: null, firstUsedAt: null, expiresAfterFirstUseDays: null,
  tenantSuspendedAt: null, allowedModels: [], upstreamId: null, limits, priceOverrides: {},
};
const keyHash = hashApiKey(secret);
const recorder = new LedgerRecorder({ redis: fakeRedis, heartbeat: new LeaseHeartbeat({ redis: fakeRedis, intervalMs: 60_000 }) });
const relay = createRelay({
  record: async (event, charge, overrides) => {
    const cost = await recorder.record(event, charge, overrides);
    observeRequest(event, cost.costMicros);
    logRequest(event, cost);
    return cost;
  },
  admit: async (k, requestId, reservation, request) => {
    const a = await admit(k.limits, requestId, reservation, { redis: fakeRedis, spent: async () => ({ costMicros: 0, tokens: 0 }) }, { keyHash: k.keyHash, unbilled: request.unbilled, lease: request.lease ?? null });
    if (a.ok && !request.unbilled) recorder.admitted(a.charge);
    return a;
  },
  lookupKey: async (h) => (h === keyHash ? key : null),
  targets: () => [{ id: "env:ANTHROPIC", provider: "ANTHROPIC", baseUrl: "http://127.0.0.1:9", credential: "sk-ant-bench", trusted: true }],
  fetchUpstream: async () => ({
    status: 200,
    headers: { "content-type": stream ? "text/event-stream" : "application/json" },
    body: Readable.from([stream ? sse : json], { objectMode: false }),
  }),
  maxBodyBytes: 1 << 20,
  hopId: "bench",
});

const body = Buffer.from(JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 256, ...(stream ? { stream: true } : {}), messages: [{ role: "user", content: "Write a haiku about relays." }] }));
const headers = new Headers({ "content-type": "application/json", "x-api-key": secret, "anthropic-version": "2023-06-01", "user-agent": "metergate-bench" });
const one = async (): Promise<void> => {
  const res = await relay({ method: "POST", url: "http://relay.local/v1/messages", headers, signal: new AbortController().signal, body: null, readBody: async () => body }, { endpoint: "anthropic-messages", clientIp: "127.0.0.1" });
  const got = await res.arrayBuffer();
  if (res.status !== 200 || got.byteLength !== (stream ? sse : json).length) throw new Error(`status ${res.status}, ${got.byteLength} bytes`);
};

const N = Number(values.requests);
const rounds: number[] = [];
for (let r = 0; r < Number(values.rounds); r++) {
  const c0 = process.cpuUsage();
  // 32 at a time, like the bench's closed loop.
  for (let i = 0; i < N; i += 32) await Promise.all(Array.from({ length: 32 }, one));
  await recorder.idle();
  const c = process.cpuUsage(c0);
  rounds.push((c.user + c.system) / N);
}
const s = [...rounds].sort((a, b) => a - b);
console.error(`${values.shape}: CPU µs/request median ${s[Math.floor(s.length / 2)]!.toFixed(1)} min ${s[0]!.toFixed(1)} (rounds ${rounds.map((x) => x.toFixed(0)).join(" ")}) | Redis calls/request ${(calls / (N * rounds.length + 0)).toFixed(2)}, arg bytes/call ${(argBytes / calls).toFixed(0)}`);
recorder.stop();
process.exit(0);
