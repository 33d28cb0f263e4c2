/**
 * Relay benchmark (issue 15): what metering adds on top of a bare proxy and on top of Next itself,
 * measured in one run on loopback with one driver, and printed as the issue's ratios.
 *
 *   npm run bench:relay                       # build, then everything (about 8 minutes)
 *   npm run bench:relay -- --skip-build       # reuse .next (if it exists)
 *   npm run bench:relay -- --seconds 5        # shorter open-loop runs (default 10 s each)
 *   npm run bench:relay -- --cpu-prof         # --cpu-prof on the app processes (bench/.profiles/)
 *   npm run bench:relay -- --only saturated   # a subset of phases (see --only below)
 *   npm run bench:relay -- --base-relay ../other-checkout   # A/B: that checkout's relay tier in the same run
 *
 * Targets (each its own process and event loop; killed on exit, errors and signals included):
 *  - direct: the stub upstream (test/stub-upstream.ts via bench/stub-upstream-stats.ts);
 *  - bare: bench/bare-proxy.ts, node:http + undici Pool pass-through, no auth, no metering (the ceiling);
 *  - next-pass: the production build (scripts/serve.mjs) serving src/app/api/bench-passthrough, a
 *    trivial route handler passing the body on with undici (Next's own ceiling; it answers 404
 *    unless METERGATE_BENCH_PASSTHROUGH=1, which only this bench sets);
 *  - relay: `npm run relay` (scripts/relay-server.ts compiled by scripts/build-relay.mjs), the relay tier;
 *  - next: the same scripts/serve.mjs process, POST /v1/messages with auth, quotas (a key with a
 *    rate window, a concurrency limit and a daily cost cap) and usage recording on.
 * The driver is in-repo (autocannon is not installed here): a closed loop of 32 connections for
 * saturated throughput, and an open loop (undici Pool, request i due at start + i/rate, timed
 * from its due time) at half of each target's own saturated rate for latency. Event-loop delay is
 * read inside each serving process (perf_hooks.monitorEventLoopDelay, 1 ms resolution, started
 * and read through the process's inspector, which SIGUSR1 opens). Redis commands per request are
 * counted with MONITOR (lines naming this bench's key prefix) while a short fixed-rate run goes to
 * one metered target. Also measured: forwarding delay of the first byte (bench/ts-upstream.ts
 * stamps the monotonic clock into SSE comments), memory per open stream.
 *
 * Own database (metergate_bench_relay_<checkout folder>) and Redis prefix (mgbenchrelay:<folder>:), both removed at the end.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createCipheriv, randomBytes } from "node:crypto";
import { once } from "node:events";
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import pg from "pg";
import { Pool, WebSocket } from "undici";

const ROOT = path.resolve(import.meta.dirname, "..");
const { values: args } = parseArgs({
  options: {
    "skip-build": { type: "boolean", default: false },
    "cpu-prof": { type: "boolean", default: false },
    /** A checkout of other code (its node_modules and src/generated in place): its relay tier joins the run as "relay tier (base)", for A/B. */
    "base-relay": { type: "string" },
    seconds: { type: "string", default: "10" },
    /** Memory phase: also write a heap snapshot of the serving process before and with the open streams (bench/.profiles/heap-*.heapsnapshot; summarize with bench/heap-summary.ts). */
    "heap-snapshots": { type: "boolean", default: false },
    /** Memory phase: a prompt of this many KB in each open stream's request (default: the one-line prompt), to see what a stream keeps of its request. */
    "memory-prompt-kb": { type: "string", default: "0" },
    /** Comma-separated subset of: saturated,latency,stamped,redis,memory (latency needs saturated). */
    only: { type: "string", default: "saturated,latency,stamped,redis,memory" },
    /** Comma-separated subset of the targets (bare,next-pass,relay,relay-base,next); the stub directly is always measured. */
    targets: { type: "string" },
    /**
     * Each server on CPU 0, everything else (this driver, the stub, the flush runner) on CPU 1, so
     * the server under test has a core to itself and the tail shows its own stalls, not the driver's
     * or the stub's. Redis and Postgres are not moved (they are the machine's own services).
     */
    pin: { type: "boolean", default: false },
    /** Open-loop rates as fractions of each target's saturated rate; the issue's targets are read at 0.5. */
    fractions: { type: "string", default: "0.5" },
  },
});
const PHASES = new Set(args.only.split(","));
const FRACTIONS = args.fractions.split(",").map(Number).filter((f) => f > 0 && f <= 1);
const RUN_SECONDS = Math.min(30, Math.max(2, Number(args.seconds)));
const SAT_SECONDS = 5;
const SAT_CONNECTIONS = 32;
const OPEN_STREAMS = 1_000;
const TS_SECONDS = 5;
const REDIS_COUNT_REQUESTS = 300;
const HARD_LIMIT_MS = 25 * 60_000;

// Per checkout, so benches in two worktrees on one machine never drop each other's database.
const CHECKOUT_TAG = path.basename(ROOT).toLowerCase().replace(/[^a-z0-9]+/g, "_").slice(0, 20);
const DB_NAME = `metergate_bench_relay_${CHECKOUT_TAG}`;
const DB_URL = `postgresql://postgres@127.0.0.1:5432/${DB_NAME}`;
const ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres";
const REDIS_URL = "redis://127.0.0.1:6379";
const REDIS_PREFIX = `mgbenchrelay:${CHECKOUT_TAG}:`;
const ENCRYPTION_KEY = "0".repeat(64);
const PROFILE_DIR = path.join(ROOT, "bench", ".profiles");

const T0 = performance.now();
const log = (msg: string): void => console.error(`[bench ${((performance.now() - T0) / 1000).toFixed(0).padStart(3)} s] ${msg}`);

// ---------------------------------------------------------------- child processes and cleanup

interface Child {
  name: string;
  proc: ChildProcess;
  output: string[];
}
const children: Child[] = [];

/** `logsToNull`: stdout (the per-request log lines) goes to /dev/null, as cheap as a log shipper can take it. */
function startChild(name: string, command: string, argv: string[], env: NodeJS.ProcessEnv, logsToNull = false, cwd = ROOT): Child {
  const proc = spawn(command, argv, { cwd, env, detached: true, stdio: ["ignore", logsToNull ? "ignore" : "pipe", "pipe"] });
  const output: string[] = [];
  const keep = (b: Buffer): void => {
    output.push(b.toString("utf8"));
    if (output.length > 200) output.shift();
  };
  proc.stdout?.on("data", keep);
  proc.stderr?.on("data", keep);
  const child = { name, proc, output };
  children.push(child);
  return child;
}

/** Signals the child's whole process group (next start forks its server). */
function signalGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  if (proc.pid === undefined) return;
  try {
    process.kill(-proc.pid, signal);
  } catch {
    // already gone
  }
}

async function stopChild(child: Child, graceMs = 5_000): Promise<void> {
  signalGroup(child.proc, "SIGTERM");
  if (child.proc.exitCode === null && child.proc.signalCode === null) {
    await Promise.race([once(child.proc, "exit"), sleep(graceMs)]);
  }
  await sleep(200); // grand-children (next-server) exit after the leader
  signalGroup(child.proc, "SIGKILL");
}

let cleaned = false;
async function cleanup(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  // --cpu-prof writes its profile at exit, which takes a while for a big one on a busy machine.
  await Promise.all(children.map((c) => stopChild(c, args["cpu-prof"] ? 30_000 : 5_000)));
  try {
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
    await redis.connect();
    let cursor = "0";
    for (let i = 0; i < 10_000; i++) {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${REDIS_PREFIX}*`, "COUNT", 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
      if (cursor === "0") break;
    }
    redis.disconnect();
  } catch (e) {
    log(`redis cleanup failed: ${String(e)}`);
  }
  try {
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
    await admin.end();
  } catch (e) {
    log(`database cleanup failed: ${String(e)}`);
  }
}

// ioredis' MONITOR connection can report a reply that races its disconnect as an unhandled error;
// that must not lose a run's results.
process.on("uncaughtException", (err) => {
  if (/Command queue state error/.test(String(err))) return log(`ignored: ${String(err).slice(0, 120)}`);
  throw err;
});
process.on("exit", () => {
  for (const c of children) signalGroup(c.proc, "SIGKILL");
});
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => {
    log(`${sig}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}
const watchdog = setTimeout(() => {
  log(`hard limit of ${HARD_LIMIT_MS / 60_000} minutes reached: stopping`);
  void cleanup().finally(() => process.exit(2));
}, HARD_LIMIT_MS);
watchdog.unref();

// ---------------------------------------------------------------- /proc helpers

const CLK_TCK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

function statFields(pid: number): string[] | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    return s.slice(s.lastIndexOf(")") + 2).split(" "); // [0] = state (field 3)
  } catch {
    return null;
  }
}

/** CPU time (user + system, all threads) of a process, in ms. */
function cpuMs(pid: number): number {
  const f = statFields(pid);
  if (!f) return 0;
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}

function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function processTree(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(Number(name));
    if (f) parentOf.set(Number(name), Number(f[1]));
  }
  const out = [root];
  for (let i = 0; i < out.length && i < 1000; i++) {
    for (const [pid, ppid] of parentOf) if (ppid === out[i]) out.push(pid);
  }
  return out;
}

/** Kernel TCP counters (all sockets on the machine): retransmits and dropped connection attempts explain tails. */
const TCP_COUNTERS = ["RetransSegs", "TCPLossProbes", "TCPTimeouts", "ListenDrops"] as const;
function tcpCounters(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const file of ["/proc/net/snmp", "/proc/net/netstat"]) {
    let lines: string[] = [];
    try {
      lines = readFileSync(file, "utf8").trim().split("\n");
    } catch {
      continue;
    }
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const names = lines[i]!.split(/\s+/);
      const values = lines[i + 1]!.split(/\s+/);
      names.forEach((n, j) => {
        if ((TCP_COUNTERS as readonly string[]).includes(n)) out[n] = Number(values[j]);
      });
    }
  }
  return out;
}

/** Moves every thread of these processes onto one CPU (taskset), for --pin. */
function pinTo(cpu: number, pids: number[]): void {
  for (const pid of pids) spawnSync("taskset", ["-a", "-p", "-c", String(cpu), String(pid)], { stdio: "ignore" });
}

function tcpSockets(): Array<{ localPort: number; remotePort: number; state: string; inode: string }> {
  const out: Array<{ localPort: number; remotePort: number; state: string; inode: string }> = [];
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      out.push({
        localPort: parseInt(f[1]!.split(":")[1]!, 16),
        remotePort: parseInt(f[2]!.split(":")[1]!, 16),
        state: f[3]!,
        inode: f[9]!,
      });
    }
  }
  return out;
}

/** The pid (in root's process tree) that holds the listening socket on port. */
function listeningPid(root: number, port: number): number | null {
  const inodes = new Set(tcpSockets().filter((s) => s.localPort === port && s.state === "0A").map((s) => `socket:[${s.inode}]`));
  for (const pid of processTree(root)) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (inodes.has(readlinkSync(`/proc/${pid}/fd/${fd}`))) return pid;
      } catch {
        // fd closed meanwhile
      }
    }
  }
  return null;
}

/** Established server-side connections on a listening port. */
const establishedOn = (port: number): number => tcpSockets().filter((s) => s.localPort === port && s.state === "01").length;

const loadAvg = (): string => os.loadavg().map((x) => x.toFixed(2)).join(" ");

// ---------------------------------------------------------------- small utilities

/** Ports for the bench's servers: BENCH_PORT_BASE (default 5260) upwards, each checked free. */
let nextPort = Number(process.env.BENCH_PORT_BASE ?? 5260);
async function freePort(): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const port = nextPort++;
    const s = net.createServer();
    const free = await new Promise<boolean>((resolve) => {
      s.once("error", () => resolve(false));
      s.listen(port, "127.0.0.1", () => resolve(true));
    });
    if (free) {
      await new Promise<void>((r) => s.close(() => r()));
      return port;
    }
  }
  throw new Error("no free port for the bench");
}

async function waitReady(child: Child, url: string, timeoutMs: number, accept: (status: number) => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.proc.exitCode !== null) throw new Error(`${child.name} exited (${child.proc.exitCode}):\n${child.output.join("").slice(-3000)}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (accept(res.status)) return;
    } catch {
      // not up yet
    }
    await sleep(200);
  }
  throw new Error(`${child.name} not ready after ${timeoutMs} ms:\n${child.output.join("").slice(-3000)}`);
}

function run(command: string, argv: string[], env: NodeJS.ProcessEnv, timeoutMs: number, cwd = ROOT): string {
  return execFileSync(command, argv, { cwd, env, timeout: timeoutMs, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 }).toString("utf8");
}

function cli(env: NodeJS.ProcessEnv, ...argv: string[]): { id: string; key?: string } {
  const out = run(process.execPath, ["--import", "tsx", "scripts/cli.ts", ...argv], { ...env, LOG_LEVEL: "warn" }, 60_000);
  return JSON.parse(out.slice(out.indexOf("{"))) as { id: string; key?: string };
}

/** The credential format of src/relay/credentials.ts ("v1.<iv>.<tag>.<ciphertext>"). */
function encryptCredential(plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", Buffer.from(ENCRYPTION_KEY, "hex"), iv);
  const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return ["v1", iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), ct.toString("base64url")].join(".");
}

/** A minimal Chrome DevTools Protocol session (the inspector opened on the app by SIGUSR1). */
interface Cdp {
  call(method: string, params?: Record<string, unknown>, timeoutMs?: number): Promise<Record<string, unknown>>;
  close(): void;
}

async function openInspector(pid: number, inspectPort: number): Promise<Cdp> {
  process.kill(pid, "SIGUSR1");
  let wsUrl: string | undefined;
  for (let i = 0; i < 50 && !wsUrl; i++) {
    try {
      const list = (await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`, { signal: AbortSignal.timeout(1_000) })).json()) as Array<{ webSocketDebuggerUrl?: string }>;
      wsUrl = list[0]?.webSocketDebuggerUrl;
    } catch {
      await sleep(100);
    }
  }
  if (!wsUrl) throw new Error(`no inspector on port ${inspectPort}`);
  const ws = new WebSocket(wsUrl);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve(), { once: true });
    ws.addEventListener("error", () => reject(new Error("inspector websocket failed")), { once: true });
  });
  let seq = 0;
  const waiting = new Map<number, (msg: { result?: Record<string, unknown>; error?: unknown }) => void>();
  ws.addEventListener("message", (ev: { data: unknown }) => {
    const msg = JSON.parse(String(ev.data)) as { id?: number; result?: Record<string, unknown>; error?: unknown };
    if (msg.id !== undefined) waiting.get(msg.id)?.(msg);
  });
  return {
    call: (method, params = {}, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const id = ++seq;
        const timer = setTimeout(() => reject(new Error(`${method}: no answer`)), timeoutMs);
        waiting.set(id, (msg) => {
          clearTimeout(timer);
          waiting.delete(id);
          if (msg.error) reject(new Error(`${method}: ${JSON.stringify(msg.error)}`));
          else resolve(msg.result ?? {});
        });
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  };
}

interface MemSample {
  rssKb: number;
  /** V8 heap used + external (incl. array buffers) after a full GC, KB. */
  heapKb: number;
}

/** Full GC in the app (twice: weak refs and finalizers), then its RSS and heap. */
async function memoryAfterGc(cdp: Cdp, pid: number): Promise<MemSample> {
  await cdp.call("HeapProfiler.collectGarbage");
  await cdp.call("HeapProfiler.collectGarbage");
  await sleep(300);
  const r = await cdp.call("Runtime.evaluate", { expression: "JSON.stringify(process.memoryUsage())", returnByValue: true });
  const mu = JSON.parse(String((r.result as { value?: unknown } | undefined)?.value ?? "{}")) as { heapUsed?: number; external?: number };
  return { rssKb: rssKb(pid), heapKb: ((mu.heapUsed ?? 0) + (mu.external ?? 0)) / 1024 };
}

function pct(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
const sortedOf = (xs: number[]): Float64Array => Float64Array.from(xs).sort();
const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : "-");
const f2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : "-");

// ---------------------------------------------------------------- load generator

interface Target {
  name: "direct" | "bare" | "next-pass" | "relay" | "relay-base" | "next";
  label: string;
  origin: string;
  /** Path requests go to instead of the shape's (the pass-through route). */
  path?: string;
  /** Authenticated, limited and recorded (the two Metergate targets). */
  metered: boolean;
  probe: Probe;
  /** Process whose CPU is charged to this target (the app; the stub for direct). */
  pid: () => number;
}

interface Shape {
  name: "stream" | "non-stream" | "stamped";
  path: string;
  headers: Record<string, string>;
  body: string;
  /** Bytes a complete response has (fixtures are relayed byte for byte). */
  expectBytes: number | null;
}

interface Sample {
  sent: number;
  ok: number;
  errors: Map<string, number>;
  dropped: number;
  latency: number[];
  ttfb: number[];
  late: number[];
  /** Stamped stream only: ms from the upstream's write to arrival, first body byte / mid-stream. */
  fwdFirst: number[];
  fwdMid: number[];
  /** Due time of each ok request (ms after start), parallel to latency: where the slow ones cluster. */
  dues: number[];
  start: number;
  lastEnd: number;
}

const newSample = (): Sample => ({
  sent: 0, ok: 0, errors: new Map(), dropped: 0, latency: [], ttfb: [], late: [], fwdFirst: [], fwdMid: [], dues: [], start: 0, lastEnd: 0,
});

function countError(s: Sample, kind: string): void {
  s.errors.set(kind, (s.errors.get(kind) ?? 0) + 1);
}

const STAMP = /: ts=(\d+)\n/g;
/** Pools whose requests go through the relay (counted, to check the ledger recorded each one). */
const relayPools = new Set<Pool>();
/** Pools whose target serves another path (the pass-through route). */
const pathOf = new Map<Pool, string>();
let relayedRequests = 0;

/** One request; latency and TTFB are measured from `dueAt` (the scheduled time), not the send. */
async function fire(pool: Pool, shape: Shape, dueAt: number, s: Sample): Promise<void> {
  s.sent++;
  if (relayPools.has(pool)) relayedRequests++;
  try {
    const res = await pool.request({ path: pathOf.get(pool) ?? shape.path, method: "POST", headers: shape.headers, body: shape.body });
    let bytes = 0;
    let first = -1;
    let stamps = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      const at = performance.now();
      if (first < 0) first = at;
      bytes += chunk.length;
      if (shape.name === "stamped") {
        const arrived = process.hrtime.bigint();
        const text = chunk.toString("latin1");
        STAMP.lastIndex = 0;
        for (let m = STAMP.exec(text); m; m = STAMP.exec(text)) {
          const ms = Number(arrived - BigInt(m[1]!)) / 1e6;
          (stamps++ === 0 ? s.fwdFirst : s.fwdMid).push(ms);
        }
      }
    }
    const end = performance.now();
    s.lastEnd = Math.max(s.lastEnd, end);
    if (res.statusCode !== 200) return countError(s, `status ${res.statusCode}`);
    if (shape.expectBytes !== null && bytes !== shape.expectBytes) return countError(s, `body ${bytes} B`);
    s.ok++;
    s.latency.push(end - dueAt);
    s.dues.push(dueAt - s.start);
    s.ttfb.push(first - dueAt);
  } catch (e) {
    countError(s, e instanceof Error ? e.name : "error");
  }
}

/** Open loop: request i is due at start + i/rate, whatever the server does; bounded in count and time. */
async function openLoop(pool: Pool, shape: Shape, rate: number, seconds: number, maxInFlight = 2_000): Promise<Sample> {
  const s = newSample();
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const pending = new Set<Promise<void>>();
  const start = performance.now() + 10;
  s.start = start;
  let i = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      while (i < total && start + i * interval <= now) {
        const due = start + i * interval;
        i++;
        if (pending.size >= maxInFlight) {
          s.dropped++;
          continue;
        }
        s.late.push(now - due);
        const p: Promise<void> = fire(pool, shape, due, s).finally(() => pending.delete(p));
        pending.add(p);
      }
      if (i >= total) return resolve();
      setTimeout(tick, Math.max(0, start + i * interval - performance.now()));
    };
    setTimeout(tick, 10);
  });
  await Promise.race([Promise.allSettled([...pending]), sleep(15_000)]);
  if (pending.size > 0) countError(s, `unfinished ${pending.size}`);
  return s;
}

/** Closed loop: `connections` workers, each sends the next request when the last one ended. */
async function closedLoop(pool: Pool, shape: Shape, connections: number, seconds: number): Promise<Sample> {
  const s = newSample();
  s.start = performance.now();
  const deadline = s.start + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      for (let n = 0; n < 1_000_000 && performance.now() < deadline; n++) await fire(pool, shape, performance.now(), s);
    }),
  );
  return s;
}

const newPool = (origin: string, connections: number, bodyTimeout = 15_000): Pool =>
  new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 15_000, bodyTimeout });

// ---------------------------------------------------------------- the run


/** What the bench reads inside a serving process, through its inspector. */
interface Probe {
  /** Starts a fresh event-loop delay histogram (1 ms resolution) in the process. */
  resetLoopDelay(): Promise<void>;
  /** p99 and max of the histogram since the last reset, ms. */
  loopDelay(): Promise<{ p99: number; max: number }>;
  memory(): Promise<MemSample>;
  /** Writes a heap snapshot of the process to `file` (v8.writeHeapSnapshot: a full GC first). */
  heapSnapshot(file: string): Promise<void>;
  close(): void;
}

async function openProbe(pid: number, inspectPort: number): Promise<Probe> {
  const cdp = await openInspector(pid, inspectPort);
  const evaluate = async (expression: string): Promise<string> => {
    const r = await cdp.call("Runtime.evaluate", { expression, returnByValue: true });
    return String((r.result as { value?: unknown } | undefined)?.value ?? "");
  };
  return {
    async resetLoopDelay() {
      await evaluate(
        `(() => { globalThis.__benchEld?.disable(); const h = process.getBuiltinModule("node:perf_hooks").monitorEventLoopDelay({ resolution: 1 }); h.enable(); globalThis.__benchEld = h; return "ok"; })()`,
      );
    },
    async loopDelay() {
      const v = JSON.parse(await evaluate(`JSON.stringify(globalThis.__benchEld ? [globalThis.__benchEld.percentile(99), globalThis.__benchEld.max] : [NaN, NaN])`)) as [number | null, number | null];
      return { p99: (v[0] ?? NaN) / 1e6, max: (v[1] ?? NaN) / 1e6 };
    },
    memory: () => memoryAfterGc(cdp, pid),
    async heapSnapshot(file) {
      await cdp.call("Runtime.evaluate", { expression: `process.getBuiltinModule("node:v8").writeHeapSnapshot(${JSON.stringify(file)})`, returnByValue: true }, 300_000);
    },
    close: () => cdp.close(),
  };
}

interface Measured {
  s: Sample;
  appCpuMs: number;
  benchCpuPct: number;
  wallS: number;
  loopDelayP99: number;
  loopDelayMax: number;
  load1: number;
  /** This driver's own event-loop delay max (ms): a late driver shows here, not in the server. */
  driverLoopMax: number;
  /** Kernel TCP counter deltas over the measurement (the whole machine's). */
  tcp: Record<string, number>;
}

async function main(): Promise<void> {
  const loadBefore = loadAvg();
  const startedAt = new Date();
  const cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown";
  log(`load average before: ${loadBefore}`);

  // 1. database, Redis prefix, tenants and keys
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${DB_NAME}`);
  await admin.end();
  const baseEnv: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: DB_URL,
    REDIS_URL,
    REDIS_PREFIX,
    NEXTAUTH_SECRET: "bench-relay-secret-bench-relay-secret-0123",
    ENCRYPTION_KEY,
    // The production default: one JSON line per request (to /dev/null, see startChild).
    LOG_LEVEL: "info",
    NEXT_TELEMETRY_DISABLED: "1",
  };
  delete baseEnv.NODE_OPTIONS;
  log("migrating the bench database");
  run("npx", ["prisma", "migrate", "deploy"], baseEnv, 120_000);
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });

  const ports = { stub: 0, bare: 0, next: 0, relay: 0, ts: 0, relayBase: 0 };
  for (const k of Object.keys(ports) as Array<keyof typeof ports>) ports[k] = await freePort();
  const inspect = { direct: 0, bare: 0, next: 0, relay: 0, relayBase: 0 };
  for (const k of Object.keys(inspect) as Array<keyof typeof inspect>) inspect[k] = await freePort();
  log("creating tenants and keys (npm run cli)");
  const [mainKey, tsKey] = await Promise.all(
    ["bench-relay", "bench-relay-ts"].map(async (name) => {
      const tenant = cli(baseEnv, "tenant", "create", "--name", name);
      const key = cli(baseEnv, "key", "create", "--tenant", tenant.id, "--name", `${name}-key`);
      // Quotas on: a request-rate window, a concurrency limit and a daily cost cap, none of them hit.
      cli(baseEnv, "key", "limits", "--id", key.id, "--rate-window-minutes", "1", "--rate-max-requests", "100000000", "--max-concurrency", "5000", "--daily-usd", "1000000");
      return { tenantId: tenant.id, secret: key.key! };
    }),
  );
  // The stamped-stream tenant sends to the ts upstream through a tenant upstream row.
  const db = new pg.Client({ connectionString: DB_URL });
  db.on("error", () => {}); // the cleanup's DROP DATABASE … WITH (FORCE) ends it if a step failed
  await db.connect();
  await db.query(
    `INSERT INTO "Upstream" (id, "tenantId", name, provider, "baseUrl", "credentialEnc") VALUES ($1, $2, 'ts upstream', 'ANTHROPIC', $3, $4)`,
    ["bench-ts-upstream", tsKey!.tenantId, `http://127.0.0.1:${ports.ts}`, encryptCredential("sk-bench-ts")],
  );

  // 2. processes
  const stubUrl = `http://127.0.0.1:${ports.stub}`;
  if (args["cpu-prof"]) mkdirSync(PROFILE_DIR, { recursive: true });
  // --inspect-port only sets where SIGUSR1 opens the inspector (loop delay and memory readings).
  const nodeFlags = (name: string, inspectPort: number, profile: boolean): string[] => [
    `--inspect-port=127.0.0.1:${inspectPort}`,
    ...(profile && args["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${path.join(PROFILE_DIR, name)}`] : []),
  ];
  const stub = startChild("stub", process.execPath, [...nodeFlags("stub", inspect.direct, false), "--import", "tsx", "bench/stub-upstream-stats.ts", "--port", String(ports.stub)], { ...baseEnv, NODE_ENV: "production" });
  const tsUp = startChild("ts-upstream", process.execPath, ["--import", "tsx", "bench/ts-upstream.ts", String(ports.ts), "20"], { ...baseEnv, NODE_ENV: "production" });
  const bare = startChild("bare", process.execPath, [...nodeFlags("bare", inspect.bare, false), "--import", "tsx", "bench/bare-proxy.ts", String(ports.bare), stubUrl], { ...baseEnv, NODE_ENV: "production" });

  if (!args["skip-build"] || !existsSync(path.join(ROOT, ".next", "BUILD_ID"))) {
    log("building (npx next build)");
    const t = performance.now();
    run("npx", ["next", "build"], { ...baseEnv, NODE_ENV: "production" }, 600_000);
    log(`built in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  }
  const appEnv: NodeJS.ProcessEnv = {
    ...baseEnv,
    NODE_ENV: "production",
    UPSTREAM_ANTHROPIC_BASE_URL: stubUrl,
    UPSTREAM_ANTHROPIC_API_KEY: "sk-ant-bench",
    UPSTREAM_OPENAI_BASE_URL: stubUrl,
    UPSTREAM_OPENAI_API_KEY: "sk-openai-bench",
    FLUSH_IN_PROCESS: "true",
    METERGATE_BENCH_PASSTHROUGH: "1",
    // The stamped-stream tenant's upstream (the ts upstream) is on loopback.
    EGRESS_ALLOW_CIDRS: "127.0.0.1/32",
    // The memory phase's model name carries a stub knob (…@hang=400), which has no price; the key has a cost cap.
    UNPRICED_MODEL_POLICY: "allow",
  };
  const next = startChild("next", process.execPath, [...nodeFlags("next", inspect.next, true), "scripts/serve.mjs", "-p", String(ports.next), "-H", "127.0.0.1"], appEnv, true);
  /** The relay tier as `npm run relay` starts it in that checkout: compiled (scripts/build-relay.mjs) where it is, else under tsx. */
  const relayArgv = (dir: string): string[] => {
    if (!existsSync(path.join(dir, "scripts", "build-relay.mjs"))) return ["--import", "tsx", "scripts/relay-server.ts"];
    run(process.execPath, ["scripts/build-relay.mjs"], baseEnv, 60_000, dir);
    return [".relay-build/relay-server.mjs"];
  };
  const relayTier = startChild("relay", process.execPath, [...nodeFlags("relay", inspect.relay, true), ...relayArgv(ROOT)], {
    ...appEnv,
    RELAY_PORT: String(ports.relay),
    RELAY_HOST: "127.0.0.1",
    FLUSH_IN_PROCESS: "false", // the Next process's flush loop drains the shared prefix
  }, true);

  const baseDir = args["base-relay"] ? path.resolve(args["base-relay"]) : null;
  const relayBase = baseDir
    ? startChild("relay-base", process.execPath, [...nodeFlags("relay-base", inspect.relayBase, true), ...relayArgv(baseDir)], {
        ...appEnv,
        RELAY_PORT: String(ports.relayBase),
        RELAY_HOST: "127.0.0.1",
        FLUSH_IN_PROCESS: "false",
      }, true, baseDir)
    : null;
  const okStatus = (s: number): boolean => s > 0;
  await waitReady(stub, `${stubUrl}/v1/models`, 30_000, okStatus);
  await waitReady(tsUp, `http://127.0.0.1:${ports.ts}/`, 30_000, okStatus);
  await waitReady(bare, `http://127.0.0.1:${ports.bare}/v1/models`, 30_000, okStatus);
  await waitReady(next, `http://127.0.0.1:${ports.next}/api/health`, 120_000, (s) => s === 200);
  await waitReady(relayTier, `http://127.0.0.1:${ports.relay}/v1/models`, 60_000, okStatus);
  if (relayBase) await waitReady(relayBase, `http://127.0.0.1:${ports.relayBase}/v1/models`, 60_000, okStatus);

  const pidOf = (child: Child, port: number): (() => number) => {
    let cached: number | null = null;
    return () => (cached ??= listeningPid(child.proc.pid!, port) ?? child.proc.pid!);
  };
  const pids = { direct: pidOf(stub, ports.stub), bare: pidOf(bare, ports.bare), next: pidOf(next, ports.next), relay: pidOf(relayTier, ports.relay), relayBase: relayBase ? pidOf(relayBase, ports.relayBase) : () => 0 };
  log(`pids: stub ${pids.direct()}, bare ${pids.bare()}, next ${pids.next()}, relay tier ${pids.relay()}`);
  if (args.pin) {
    const cmdline = (pid: number): string => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8");
      } catch {
        return "";
      }
    };
    const nextTree = processTree(next.proc.pid!);
    const flushRunners = nextTree.filter((pid) => cmdline(pid).includes("flush-worker"));
    pinTo(0, [...processTree(bare.proc.pid!), ...nextTree.filter((pid) => !flushRunners.includes(pid)), ...processTree(relayTier.proc.pid!), ...(relayBase ? processTree(relayBase.proc.pid!) : [])]);
    pinTo(1, [process.pid, ...processTree(stub.proc.pid!), ...processTree(tsUp.proc.pid!), ...flushRunners.flatMap(processTree)]);
    log(`pinned: servers on CPU 0; driver, stub, ts upstream, flush runner (${flushRunners.join(",") || "none"}) on CPU 1`);
  }
  const probes = {
    direct: await openProbe(pids.direct(), inspect.direct),
    bare: await openProbe(pids.bare(), inspect.bare),
    next: await openProbe(pids.next(), inspect.next),
    relay: await openProbe(pids.relay(), inspect.relay),
    ...(relayBase ? { relayBase: await openProbe(pids.relayBase(), inspect.relayBase) } : {}),
  };

  const allTargets: Target[] = [
    { name: "direct", label: "stub directly", origin: stubUrl, pid: pids.direct, metered: false, probe: probes.direct },
    { name: "bare", label: "bare node proxy", origin: `http://127.0.0.1:${ports.bare}`, pid: pids.bare, metered: false, probe: probes.bare },
    { name: "next-pass", label: "Next pass-through", origin: `http://127.0.0.1:${ports.next}`, path: "/api/bench-passthrough", pid: pids.next, metered: false, probe: probes.next },
    { name: "relay", label: "relay tier", origin: `http://127.0.0.1:${ports.relay}`, pid: pids.relay, metered: true, probe: probes.relay },
    ...(probes.relayBase
      ? [{ name: "relay-base" as const, label: "relay tier (base)", origin: `http://127.0.0.1:${ports.relayBase}`, pid: pids.relayBase, metered: true, probe: probes.relayBase }]
      : []),
    { name: "next", label: "Next (metered)", origin: `http://127.0.0.1:${ports.next}`, pid: pids.next, metered: true, probe: probes.next },
  ];
  const wanted = args.targets ? new Set(args.targets.split(",")) : null;
  const targets = wanted ? allTargets.filter((t) => t.name === "direct" || wanted.has(t.name)) : allTargets;
  const byName = (n: Target["name"]): Target => targets.find((t) => t.name === n)!;
  const poolFor = (t: Target, connections = 256, bodyTimeout?: number): Pool => {
    const pool = newPool(t.origin, connections, bodyTimeout);
    if (t.metered) relayPools.add(pool);
    if (t.path) pathOf.set(pool, t.path);
    return pool;
  };
  const pools = new Map(targets.map((t) => [t.name, poolFor(t)]));
  const headersFor = (secret: string): Record<string, string> => ({
    "content-type": "application/json",
    "x-api-key": secret,
    "anthropic-version": "2023-06-01",
    "user-agent": "metergate-bench",
  });
  const messages = [{ role: "user", content: "Write a haiku about relays." }];
  const fixtureSize = (rel: string): number => readFileSync(path.join(ROOT, "stub/fixtures", rel)).length;
  const shapes: Record<"stream" | "non-stream", Shape> = {
    stream: {
      name: "stream", path: "/v1/messages", headers: headersFor(mainKey!.secret),
      body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 256, stream: true, messages }),
      expectBytes: fixtureSize("anthropic/stream-basic.sse"),
    },
    "non-stream": {
      name: "non-stream", path: "/v1/messages", headers: headersFor(mainKey!.secret),
      body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 256, messages }),
      expectBytes: fixtureSize("anthropic/nonstream.json"),
    },
  };

  const measure = async (target: Target, work: () => Promise<Sample>): Promise<Measured> => {
    const pid = target.pid();
    await target.probe.resetLoopDelay();
    const driverLoop = monitorEventLoopDelay({ resolution: 1 });
    driverLoop.enable();
    const tcp0 = tcpCounters();
    const cpu0 = cpuMs(pid);
    const bench0 = process.cpuUsage();
    const t0 = performance.now();
    const s = await work();
    const wallS = (performance.now() - t0) / 1000;
    const b = process.cpuUsage(bench0);
    const appCpuMs = cpuMs(pid) - cpu0;
    driverLoop.disable();
    const tcp1 = tcpCounters();
    const tcp = Object.fromEntries(Object.entries(tcp1).map(([k, v]) => [k, v - (tcp0[k] ?? 0)]));
    const eld = await target.probe.loopDelay();
    return {
      s, appCpuMs, benchCpuPct: ((b.user + b.system) / 1000 / (wallS * 1000)) * 100, wallS, loopDelayP99: eld.p99, loopDelayMax: eld.max,
      load1: os.loadavg()[0]!, driverLoopMax: driverLoop.max / 1e6, tcp,
    };
  };

  // 3. warm-up: JIT, key cache, keep-alive connections on every hop
  log("warming up");
  for (const t of targets) {
    for (const shape of Object.values(shapes)) {
      const m = await measure(t, () => openLoop(pools.get(t.name)!, shape, 100, 2));
      if (m.s.ok === 0) throw new Error(`warm-up: ${t.name} ${shape.name} failed: ${JSON.stringify([...m.s.errors])}`);
    }
  }

  // 4. saturated throughput (closed loop, 32 connections), every target, each shape
  const saturated: Array<{ shape: Shape; target: Target; m: Measured; rps: number }> = [];
  for (const shape of PHASES.has("saturated") ? Object.values(shapes) : []) {
    for (const t of targets) {
      log(`closed loop ${shape.name}, ${SAT_CONNECTIONS} connections → ${t.name} (${SAT_SECONDS} s)  load ${loadAvg()}`);
      await closedLoop(pools.get(t.name)!, shape, SAT_CONNECTIONS, 1);
      const m = await measure(t, () => closedLoop(pools.get(t.name)!, shape, SAT_CONNECTIONS, SAT_SECONDS));
      saturated.push({ shape, target: t, m, rps: m.s.ok / m.wallS });
    }
  }
  const satOf = (shape: Shape, name: Target["name"]): number => saturated.find((r) => r.shape === shape && r.target.name === name)?.rps ?? NaN;
  /** Server CPU per completed request at saturation: what the throughput would be with a core to itself. */
  const cpuOf = (shape: Shape, name: Target["name"]): number => {
    const r = saturated.find((x) => x.shape === shape && x.target.name === name);
    return r ? r.m.appCpuMs / Math.max(1, r.m.s.ok) : NaN;
  };

  // 5. open loop at half of each target's own saturated rate; the stub directly at the same rate is its baseline
  const open: Array<{ rate: number; fraction: number; shape: Shape; target: Target; m: Measured; direct: Measured }> = [];
  for (const [shape, fraction] of (PHASES.has("latency") ? Object.values(shapes) : []).flatMap((sh) => FRACTIONS.map((f) => [sh, f] as const))) {
    for (const t of targets.slice(1)) {
      const rate = Math.round(satOf(shape, t.name) * fraction);
      if (!Number.isFinite(rate) || rate < 2) continue;
      log(`open loop ${shape.name} ${rate} req/s → direct, then ${t.name} (${RUN_SECONDS} s each)  load ${loadAvg()}`);
      const direct = byName("direct");
      await openLoop(pools.get("direct")!, shape, rate, 1);
      const d = await measure(direct, () => openLoop(pools.get("direct")!, shape, rate, RUN_SECONDS));
      await openLoop(pools.get(t.name)!, shape, rate, 1); // settle at this rate
      open.push({ rate, fraction, shape, target: t, direct: d, m: await measure(t, () => openLoop(pools.get(t.name)!, shape, rate, RUN_SECONDS)) });
    }
  }

  // 6. first byte forwarded: upstream write → client arrival (ts upstream), metered targets at half their stream saturation
  const stamped: Array<{ rate: number; target: Target; m: Measured; direct: Measured }> = [];
  const meteredMain = targets.filter((x) => x.name === "relay" || x.name === "next");
  for (const t of PHASES.has("stamped") ? meteredMain : []) {
    const rate = Math.round(satOf(shapes.stream, t.name) / 2) || 200;
    const shape: Shape = { name: "stamped", path: "/v1/messages", headers: headersFor(tsKey!.secret), body: shapes.stream.body, expectBytes: null };
    const tsDirect: Target = { ...byName("direct"), name: "direct", label: "ts upstream directly", origin: `http://127.0.0.1:${ports.ts}` };
    log(`stamped stream ${rate} req/s → ts upstream directly, then ${t.name} (${TS_SECONDS} s each)`);
    const dPool = newPool(tsDirect.origin, 256);
    await openLoop(dPool, shape, rate, 1);
    const d = await measure(tsDirect, () => openLoop(dPool, shape, rate, TS_SECONDS));
    await dPool.close();
    const pool = poolFor(t);
    await openLoop(pool, shape, rate, 1);
    stamped.push({ rate, target: t, direct: d, m: await measure(t, () => openLoop(pool, shape, rate, TS_SECONDS)) });
    await pool.close();
  }

  // 7. Redis commands per request: MONITOR, lines naming this bench's prefix, while one metered target serves a fixed-rate run
  const redisCounts: Array<{ target: Target; shape: Shape; requests: number; byCommand: Map<string, number>; total: number }> = [];
  for (const t of PHASES.has("redis") ? meteredMain : []) {
    for (const shape of Object.values(shapes)) {
      log(`redis MONITOR: ${REDIS_COUNT_REQUESTS} ${shape.name} requests → ${t.name}`);
      const mon = await redis.monitor();
      mon.on("error", () => {}); // a reply racing the disconnect must not end the run
      const byCommand = new Map<string, number>();
      let total = 0;
      mon.on("monitor", (_time: string, argv: string[], source: string) => {
        // Commands a script runs are logged too (source "lua"): they are not round trips.
        if (source === "lua" || !argv.some((a) => a.includes(REDIS_PREFIX))) return;
        const cmd = (argv[0] ?? "?").toLowerCase();
        // Scripts by their SHA (first 8 hex): admission and record are each about one per request; the flush's are rarer.
        const name = cmd === "evalsha" ? `evalsha ${(argv[1] ?? "").slice(0, 8)}` : cmd;
        byCommand.set(name, (byCommand.get(name) ?? 0) + 1);
        total++;
      });
      await sleep(100);
      const s = await openLoop(pools.get(t.name)!, shape, 100, REDIS_COUNT_REQUESTS / 100);
      await sleep(300); // records settle after the last body byte
      mon.disconnect();
      redisCounts.push({ target: t, shape, requests: s.sent, byCommand, total });
    }
  }
  for (const p of pools.values()) await p.close();

  // 8. memory at 1,000 open streams (the stub sends 400 bytes, then holds the stream open); full GC through the inspector before each reading
  interface MemRow { target: Target; before: MemSample; with: MemSample; opened: number; upstreamLeft: number; tcpLeft: number; openMs: number }
  const memory: MemRow[] = [];
  // The pass-through route too: Next's own cost per open stream, against which the metered route's is read.
  const idleStub = establishedOn(ports.stub);
  for (const t of PHASES.has("memory") ? [...meteredMain, byName("next-pass")] : []) {
    // The previous phase's upstream connections first close (the pass-through's undici fetch keeps
    // them 30 s; the relay's pools 4 s): closing between the two readings of a phase in the same
    // process would take their memory off this one's.
    for (let i = 0; i < 400 && establishedOn(ports.stub) > idleStub + 10; i++) await sleep(100);
    log(`memory: ${OPEN_STREAMS} open streams → ${t.name} (${establishedOn(ports.stub)} connections to the stub before)`);
    await sleep(1_000);
    const before = await t.probe.memory();
    const snapshotFile = (n: number): string => path.join(PROFILE_DIR, `heap-${t.name}-${n}.heapsnapshot`);
    if (args["heap-snapshots"]) {
      mkdirSync(PROFILE_DIR, { recursive: true });
      await t.probe.heapSnapshot(snapshotFile(0));
    }
    const idleUpstream = establishedOn(ports.stub);
    const pool = poolFor(t, OPEN_STREAMS + 50, 120_000);
    const promptKb = Number(args["memory-prompt-kb"]);
    const prompt = promptKb > 0 ? [{ role: "user", content: "Summarize this. ".repeat(Math.ceil((promptKb * 1024) / 17)).slice(0, promptKb * 1024) }] : messages;
    const body = JSON.stringify({ model: "claude-sonnet-4-5@hang=400", max_tokens: 256, stream: true, messages: prompt });
    let opened = 0;
    const t0 = performance.now();
    const reqs: Array<Promise<void>> = [];
    for (let i = 0; i < OPEN_STREAMS; i++) {
      reqs.push(
        pool
          .request({ path: t.path ?? "/v1/messages", method: "POST", headers: shapes.stream.headers, body })
          .then(async (res) => {
            let seen = false;
            for await (const _chunk of res.body as AsyncIterable<Buffer>) {
              if (!seen) {
                seen = true;
                if (res.statusCode === 200) opened++;
              }
            }
          })
          .catch(() => {}),
      );
      if (t.metered) relayedRequests++;
      if (i % 50 === 49) await sleep(50); // 1,000 streams in about 1 s, no connect storm
    }
    for (let i = 0; i < 200 && opened < OPEN_STREAMS; i++) await sleep(100);
    const openMs = performance.now() - t0;
    await sleep(500);
    const withStreams = await t.probe.memory();
    if (args["heap-snapshots"]) {
      await t.probe.heapSnapshot(snapshotFile(OPEN_STREAMS));
      log(`heap snapshots: ${snapshotFile(0)}, ${snapshotFile(OPEN_STREAMS)}`);
    }
    await pool.destroy();
    await Promise.race([Promise.allSettled(reqs), sleep(5_000)]);
    const stubInFlight = (): number => Number(/inFlight=(\d+)/.exec(stub.output.join("").split("\n").filter((l) => l.startsWith("STATS")).pop() ?? "")?.[1] ?? -1);
    await sleep(600);
    let upstreamLeft = stubInFlight();
    for (let i = 0; i < 50 && upstreamLeft !== 0; i++) {
      await sleep(100);
      upstreamLeft = stubInFlight();
    }
    const tcpLeft = establishedOn(ports.stub) - idleUpstream;
    memory.push({ target: t, before, with: withStreams, opened, upstreamLeft, tcpLeft, openMs });
  }
  for (const p of Object.values(probes)) p.close();

  // 9. did the ledger get them? (the Next process flushes every 2 s)
  // A fresh connection: the setup one has sat idle through every phase, and losing it must not lose the report.
  let logged = -1;
  const ledgerDb = new pg.Client({ connectionString: DB_URL });
  ledgerDb.on("error", () => {});
  try {
    await ledgerDb.connect();
    for (let i = 0; i < 120; i++) {
      logged = Number((await ledgerDb.query<{ n: string }>(`SELECT count(*)::text AS n FROM "RequestLog"`)).rows[0]?.n ?? 0);
      if (logged >= relayedRequests) break;
      await sleep(250);
    }
  } catch (err) {
    log(`ledger count failed (${String(err)}); the report goes on without it`);
  }
  await ledgerDb.end().catch(() => {});
  await db.end().catch(() => {});
  redis.disconnect();
  const loadAfter = loadAvg();

  // 10. report
  const out: string[] = [];
  const p = (line = ""): number => out.push(line);
  const ok = (met: boolean): string => (met ? "met" : "NOT met");
  p(`\nMetergate relay benchmark, ${startedAt.toISOString()}`);
  p(`  machine: ${cpuModel} × ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB; node ${process.version}; next 16 production build via scripts/serve.mjs`);
  p(`  load average (1/5/15 min): before ${loadBefore}, after ${loadAfter}${Number(loadBefore.split(" ")[0]) > 0.5 ? "  (machine not idle: compare only within this run)" : ""}`);
  p(`  uptime: ${run("uptime", [], process.env, 5_000).trim()}`);
  if (args.pin) p(`  pinned (--pin): every server on CPU 0; this driver, the stub, the ts upstream and the flush runner on CPU 1; Redis and Postgres where the scheduler puts them`);
  p(`  driver: in-repo (autocannon not installed): closed loop ${SAT_CONNECTIONS} connections ${SAT_SECONDS} s for saturation; open loop, undici Pool,`);
  p(`          request i due at start + i/rate, latency and TTFB from the due time; only 200 + full body counts.`);
  p(`  POST /v1/messages (x-api-key; key with a 1-minute request window, concurrency limit, daily cost cap); stream = stream-basic.sse`);
  p(`  (${shapes.stream.expectBytes} B, one write), non-stream = nonstream.json (${shapes["non-stream"].expectBytes} B). Event-loop delay: monitorEventLoopDelay in the serving process.`);
  p();
  p(`Saturated throughput (closed loop, ${SAT_CONNECTIONS} connections, ${SAT_SECONDS} s; the driver shares the 2 cores)`);
  p(`  shape       target               req/s   p50 ms   p99 ms | app CPU ms/req  app CPU %  bench CPU  loop delay p99  load1  errors`);
  for (const r of saturated) {
    const s = r.m.s;
    const lat = sortedOf(s.latency);
    const errs = [...s.errors].map(([k, v]) => `${k}×${v}`).join(",");
    p(
      `  ${r.shape.name.padEnd(10)}  ${r.target.label.padEnd(18)} ${r.rps.toFixed(0).padStart(7)} ${f2(pct(lat, 0.5)).padStart(8)} ${f2(pct(lat, 0.99)).padStart(8)} |` +
        ` ${f2(r.m.appCpuMs / Math.max(1, s.sent)).padStart(14)} ${`${((r.m.appCpuMs / (r.m.wallS * 1000)) * 100).toFixed(0)}%`.padStart(10)} ${`${r.m.benchCpuPct.toFixed(0)}%`.padStart(10)} ${f1(r.m.loopDelayP99).padStart(15)} ${r.m.load1.toFixed(1).padStart(6)}  ${errs}`,
    );
  }
  p();
  p(`Open loop at ${FRACTIONS.join(", ")} × each target's own saturated rate (${RUN_SECONDS} s after a 1 s settle; overhead = target − stub directly at the same rate, per percentile)`);
  p(`  shape       target               rate   ok/sent     p50     p99 | TTFB p50 | overhead p50    p99 | TTFB ovh p50 | loop delay p99   max | CPU ms/req  late p99  load1`);
  for (const r of open) {
    const s = r.m.s;
    const lat = sortedOf(s.latency);
    const tt = sortedOf(s.ttfb);
    const bl = sortedOf(r.direct.s.latency);
    const bt = sortedOf(r.direct.s.ttfb);
    const errs = [...s.errors].map(([k, v]) => `${k}×${v}`).join(",") + (s.dropped ? ` dropped×${s.dropped}` : "");
    p(
      `  ${r.shape.name.padEnd(10)}  ${r.target.label.padEnd(18)} ${String(r.rate).padStart(6)}${FRACTIONS.length > 1 ? ` (${r.fraction})` : ""} ${`${s.ok}/${s.sent}`.padStart(11)} ${f2(pct(lat, 0.5)).padStart(7)} ${f2(pct(lat, 0.99)).padStart(7)} | ${f2(pct(tt, 0.5)).padStart(8)} |` +
        ` ${f2(pct(lat, 0.5) - pct(bl, 0.5)).padStart(12)} ${f2(pct(lat, 0.99) - pct(bl, 0.99)).padStart(6)} | ${f2(pct(tt, 0.5) - pct(bt, 0.5)).padStart(12)} | ${f1(r.m.loopDelayP99).padStart(14)} ${f1(r.m.loopDelayMax).padStart(5)} |` +
        ` ${f2(r.m.appCpuMs / Math.max(1, s.sent)).padStart(10)} ${f2(pct(sortedOf(s.late), 0.99)).padStart(9)} ${r.m.load1.toFixed(1).padStart(6)}` +
        (errs ? `  errors: ${errs}` : ""),
    );
  }
  p();
  p(`Tail anatomy of the same open loops: requests over the stub's own p50 + 10 ms, how many 100 ms windows (by due time) hold`);
  p(`  them (one stall delays every request due inside it), the serving process's and this driver's worst event-loop delay, and`);
  p(`  the machine's TCP counters over the run (retransmits, tail-loss probes, timeouts, dropped connection attempts)`);
  p(`  shape       target               rate  slow    in windows | loop max server  driver | ${TCP_COUNTERS.join(" ")}`);
  for (const r of open) {
    const limit = pct(sortedOf(r.direct.s.latency), 0.5) + 10;
    const windows = new Set<number>();
    let slow = 0;
    r.m.s.latency.forEach((ms, i) => {
      if (ms <= limit) return;
      slow++;
      windows.add(Math.floor(r.m.s.dues[i]! / 100));
    });
    p(
      `  ${r.shape.name.padEnd(10)}  ${r.target.label.padEnd(18)} ${String(r.rate).padStart(6)}${FRACTIONS.length > 1 ? ` (${r.fraction})` : ""} ${String(slow).padStart(5)} ${String(windows.size).padStart(13)} |` +
        ` ${f1(r.m.loopDelayMax).padStart(15)} ${f1(r.m.driverLoopMax).padStart(7)} | ${TCP_COUNTERS.map((k) => String(r.m.tcp[k] ?? "?").padStart(k.length)).join(" ")}`,
    );
  }
  p();
  p(`First body byte forwarded: upstream write → client arrival (ms), ${TS_SECONDS} s at half the target's stream saturation`);
  p(`  (bench/ts-upstream.ts stamps CLOCK_MONOTONIC into an SSE comment; headers, then 20 ms, first frame, then 20 ms, the rest)`);
  p(`  target              rate   ok/sent  first p50   p99 | directly p50   p99 | forwarding delay over direct p50   p99`);
  const fwd = new Map<string, number>();
  for (const r of stamped) {
    const a = sortedOf(r.m.s.fwdFirst);
    const da = sortedOf(r.direct.s.fwdFirst);
    fwd.set(r.target.name, pct(a, 0.5) - pct(da, 0.5));
    const errs = [...r.m.s.errors].map(([k, v]) => `${k}×${v}`).join(",");
    p(
      `  ${r.target.label.padEnd(18)} ${String(r.rate).padStart(5)} ${`${r.m.s.ok}/${r.m.s.sent}`.padStart(9)} ${f2(pct(a, 0.5)).padStart(10)} ${f2(pct(a, 0.99)).padStart(5)} | ${f2(pct(da, 0.5)).padStart(12)} ${f2(pct(da, 0.99)).padStart(5)} |` +
        ` ${f2(pct(a, 0.5) - pct(da, 0.5)).padStart(32)} ${f2(pct(a, 0.99) - pct(da, 0.99)).padStart(5)}` + (errs ? `  errors: ${errs}` : ""),
    );
  }
  p();
  p(`Redis commands per request (MONITOR: commands clients sent naming ${REDIS_PREFIX}, not those scripts ran; ${REDIS_COUNT_REQUESTS} requests at 100 req/s;`);
  p(`  includes the flush loop's share (it runs in the Next process) and lease heartbeats)`);
  for (const r of redisCounts) {
    const per = [...r.byCommand].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${(v / Math.max(1, r.requests)).toFixed(2)}`).join(", ");
    p(`  ${r.shape.name.padEnd(10)}  ${r.target.label.padEnd(18)} ${(r.total / Math.max(1, r.requests)).toFixed(2).padStart(6)} per request: ${per}`);
  }
  p();
  p(`Memory at ${OPEN_STREAMS.toLocaleString("en-US")} concurrent open streams (stub sends 400 B, then holds; full GC before each reading${Number(args["memory-prompt-kb"]) > 0 ? `; each request carries a ${args["memory-prompt-kb"]} KB prompt` : ""}${args["heap-snapshots"] ? "; heap snapshots taken: RSS figures are inflated by them, read the heap" : ""})`);
  p(`  target              open  opened in |  RSS before     with  per stream | heap before     with  per stream | after clients left: upstream in flight / extra TCP`);
  const memPer = new Map<string, number>();
  for (const m of memory) {
    const mb = (kb: number): string => `${(kb / 1024).toFixed(1)} MB`;
    const per = (a: number, b: number): string => `${((b - a) / Math.max(1, m.opened)).toFixed(1)} KB`;
    memPer.set(m.target.name, (m.with.rssKb - m.before.rssKb) / Math.max(1, m.opened));
    p(
      `  ${m.target.label.padEnd(18)} ${String(m.opened).padStart(5)} ${`${(m.openMs / 1000).toFixed(1)} s`.padStart(10)} |` +
        ` ${mb(m.before.rssKb).padStart(11)} ${mb(m.with.rssKb).padStart(8)} ${per(m.before.rssKb, m.with.rssKb).padStart(11)} |` +
        ` ${mb(m.before.heapKb).padStart(11)} ${mb(m.with.heapKb).padStart(8)} ${per(m.before.heapKb, m.with.heapKb).padStart(11)} | ${m.upstreamLeft} / ${m.tcpLeft}`,
    );
  }
  p();
  p(`Issue 15 targets (ratios within this run)`);
  for (const shape of PHASES.has("saturated") ? Object.values(shapes) : []) {
    const rBare = satOf(shape, "relay") / satOf(shape, "bare");
    const rNext = satOf(shape, "next") / satOf(shape, "next-pass");
    p(`  ${shape.name.padEnd(10)}  bare proxy / stub ${f2(satOf(shape, "bare") / satOf(shape, "direct"))};  relay tier / bare proxy ${f2(rBare)} (target ≥ 0.50: ${ok(rBare >= 0.5)});  Next metered / Next pass-through ${f2(rNext)} (target ≥ 0.80: ${ok(rNext >= 0.8)});  Next pass-through / bare ${f2(satOf(shape, "next-pass") / satOf(shape, "bare"))}`);
    // On a shared machine the scheduler's share moves req/s more than the code does; CPU per request does not depend on it.
    const cBare = cpuOf(shape, "bare") / cpuOf(shape, "relay");
    const cNext = cpuOf(shape, "next-pass") / cpuOf(shape, "next");
    p(`  ${"".padEnd(10)}  by CPU per request (req/s per core): relay tier / bare proxy ${f2(cBare)} (${ok(cBare >= 0.5)});  Next metered / Next pass-through ${f2(cNext)} (${ok(cNext >= 0.8)});  CPU ms/req bare ${f2(cpuOf(shape, "bare"))}, relay ${f2(cpuOf(shape, "relay"))}, Next pass ${f2(cpuOf(shape, "next-pass"))}, Next ${f2(cpuOf(shape, "next"))}`);
  }
  if (probes.relayBase) {
    for (const shape of PHASES.has("saturated") ? Object.values(shapes) : []) {
      p(`  ${shape.name.padEnd(10)}  A/B relay tier this code / base: req/s ${f2(satOf(shape, "relay") / satOf(shape, "relay-base"))}, CPU ms/req ${f2(cpuOf(shape, "relay"))} vs ${f2(cpuOf(shape, "relay-base"))} (${f2(cpuOf(shape, "relay-base") / cpuOf(shape, "relay"))}× per core)`);
    }
  }
  for (const r of open.filter((o) => o.target.metered && o.fraction === 0.5)) {
    const ovh99 = pct(sortedOf(r.m.s.latency), 0.99) - pct(sortedOf(r.direct.s.latency), 0.99);
    const ttOvh = pct(sortedOf(r.m.s.ttfb), 0.5) - pct(sortedOf(r.direct.s.ttfb), 0.5);
    p(
      `  ${r.shape.name.padEnd(10)}  ${r.target.label.padEnd(15)} at ${r.rate} req/s: overhead p99 ${f2(ovh99)} ms (≤ 10: ${ok(ovh99 <= 10)}); loop delay p99 ${f1(r.m.loopDelayP99)} ms (≤ 20: ${ok(r.m.loopDelayP99 <= 20)}); TTFB overhead p50 ${f2(ttOvh)} ms (≤ 1: ${ok(ttOvh <= 1)})`,
    );
  }
  for (const [name, ms] of fwd) p(`  ${byName(name as Target["name"]).label.padEnd(15)} first byte forwarded p50 ${f2(ms)} ms over direct (≤ 1: ${ok(ms <= 1)})`);
  for (const r of redisCounts) {
    const perReq = [...r.byCommand.values()].map((v) => v / Math.max(1, r.requests));
    // Commands sent about once per request or more are the request path's; the rest are the flush's and the heartbeat's share.
    const requestPath = perReq.filter((x) => x >= 0.5).reduce((a, b) => a + b, 0);
    p(`  ${r.shape.name.padEnd(10)}  ${r.target.label.padEnd(15)} Redis round trips per request on the request path ${f2(requestPath)} (≤ 2: ${ok(requestPath <= 2.02)}); all commands incl. flush and heartbeat ${f2(r.total / Math.max(1, r.requests))}`);
  }
  for (const [name, kb] of memPer) {
    if (name === "next-pass") p(`  ${byName("next-pass").label.padEnd(15)} memory per open stream ${f1(kb)} KB RSS (Next's own share; no target)`);
    else p(`  ${byName(name as Target["name"]).label.padEnd(15)} memory per open stream ${f1(kb)} KB RSS (≤ 50: ${ok(kb <= 50)})`);
  }
  p();
  p(`Ledger: ${logged.toLocaleString("en-US")} request-log rows for ${relayedRequests.toLocaleString("en-US")} metered requests sent (warm-up, settle and open streams included).`);
  console.log(out.join("\n"));
}

try {
  await main();
} catch (e) {
  log(`failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  // What the app processes said last (their stdout is the request log, so mostly stderr).
  for (const c of children) if (c.output.length > 0) log(`${c.name} said:\n${c.output.slice(-20).join("").slice(-4000)}`);
  process.exitCode = 1;
} finally {
  log("cleaning up");
  await cleanup();
  clearTimeout(watchdog);
}
process.exit();
