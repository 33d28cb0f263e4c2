/**
 * Relay benchmark: what the relay adds on top of the upstream, measured in one run on loopback.
 *
 *   npm run bench:relay                       # build, then everything (about 5 minutes)
 *   npm run bench:relay -- --skip-build       # reuse .next (if it exists)
 *   npm run bench:relay -- --seconds 5        # shorter open-loop runs (default 10 s each)
 *   npm run bench:relay -- --no-lean          # skip the bare node:http relay tier
 *   npm run bench:relay -- --cpu-prof         # --cpu-prof on the app processes (bench/.profiles/)
 *
 * Processes (each its own event loop; killed on exit, errors and signals included):
 *  - stub upstream: stub/upstream.ts (fixtures byte for byte) via bench/stub-upstream-stats.ts
 *    (scripts/stub-upstream.ts plus an in-flight count on stdout), the "direct" target;
 *  - app: `next start` of the production build, the "next" target;
 *  - lean: bench/lean-relay.ts, the same relay on a bare node:http server (the relay tier);
 *  - ts upstream: bench/ts-upstream.ts, stamps the monotonic clock into SSE comments so the
 *    client can tell how long a byte took from leaving the upstream to reaching it.
 * The load generator runs in this process: while it measures, this process does nothing else
 * (setup and reporting are before and after), so a second process would only add IPC; on 2 cores
 * it competes for CPU with the app and the stub either way, which is why its own CPU use and its
 * dispatch lateness are printed next to the figures.
 *
 * Own database (metergate_bench_relay) and Redis prefix (mgbenchrelay:), both removed at the end.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createCipheriv, randomBytes } from "node:crypto";
import { once } from "node:events";
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import net, { type AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import pg from "pg";
import { Pool, WebSocket } from "undici";

const ROOT = path.resolve(import.meta.dirname, "..");
const { values: args } = parseArgs({
  options: {
    "skip-build": { type: "boolean", default: false },
    "no-lean": { type: "boolean", default: false },
    "cpu-prof": { type: "boolean", default: false },
    seconds: { type: "string", default: "10" },
    /** Comma-separated subset of: latency,stamped,saturated,memory (for profiling one phase). */
    only: { type: "string", default: "latency,stamped,saturated,memory" },
  },
});
const PHASES = new Set(args.only.split(","));
const RUN_SECONDS = Math.min(30, Math.max(2, Number(args.seconds)));
const RATES = [200, 500] as const;
const SAT_SECONDS = 5;
const SAT_CONNECTIONS = 50;
const OPEN_STREAMS = 1_000;
const TS_RATES = [200, 500] as const;
const TS_SECONDS = 5;
const HARD_LIMIT_MS = 9 * 60_000;

const DB_NAME = "metergate_bench_relay";
const DB_URL = `postgresql://postgres@127.0.0.1:5432/${DB_NAME}`;
const ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres";
const REDIS_URL = "redis://127.0.0.1:6379";
const REDIS_PREFIX = "mgbenchrelay:";
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

function startChild(name: string, command: string, argv: string[], env: NodeJS.ProcessEnv): Child {
  const proc = spawn(command, argv, { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
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
  await Promise.all(children.map((c) => stopChild(c)));
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

async function freePort(): Promise<number> {
  const s = net.createServer();
  s.listen(0, "127.0.0.1");
  await once(s, "listening");
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
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

function run(command: string, argv: string[], env: NodeJS.ProcessEnv, timeoutMs: number): string {
  return execFileSync(command, argv, { cwd: ROOT, env, timeout: timeoutMs, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 }).toString("utf8");
}

function cli(env: NodeJS.ProcessEnv, ...argv: string[]): { id: string; key?: string } {
  const out = run(process.execPath, ["--import", "tsx", "scripts/cli.ts", ...argv], env, 60_000);
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
  call(method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>>;
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
    call: (method, params = {}) =>
      new Promise((resolve, reject) => {
        const id = ++seq;
        const timer = setTimeout(() => reject(new Error(`${method}: no answer`)), 30_000);
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
  name: "direct" | "next" | "lean";
  label: string;
  origin: string;
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
  start: number;
  lastEnd: number;
}

const newSample = (): Sample => ({
  sent: 0, ok: 0, errors: new Map(), dropped: 0, latency: [], ttfb: [], late: [], fwdFirst: [], fwdMid: [], start: 0, lastEnd: 0,
});

function countError(s: Sample, kind: string): void {
  s.errors.set(kind, (s.errors.get(kind) ?? 0) + 1);
}

const STAMP = /: ts=(\d+)\n/g;
/** Pools whose requests go through the relay (counted, to check the ledger recorded each one). */
const relayPools = new Set<Pool>();
let relayedRequests = 0;

/** One request; latency and TTFB are measured from `dueAt` (the scheduled time), not the send. */
async function fire(pool: Pool, shape: Shape, dueAt: number, s: Sample): Promise<void> {
  s.sent++;
  if (relayPools.has(pool)) relayedRequests++;
  try {
    const res = await pool.request({ path: shape.path, method: "POST", headers: shape.headers, body: shape.body });
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

interface Measured {
  s: Sample;
  appCpuMs: number;
  benchCpuPct: number;
  redisCmds: number;
  wallS: number;
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
    LOG_LEVEL: "warn",
    NEXT_TELEMETRY_DISABLED: "1",
  };
  delete baseEnv.NODE_OPTIONS;
  log("migrating the bench database");
  run("npx", ["prisma", "migrate", "deploy"], baseEnv, 120_000);
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const redisCommands = async (): Promise<number> => Number(/total_commands_processed:(\d+)/.exec(await redis.info("stats"))?.[1] ?? 0);

  const [stubPort, nextPort, leanPort, tsPort, nextInspect, leanInspect] = [
    await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort(),
  ];
  log("creating tenants and keys (npm run cli)");
  const [mainKey, tsKey] = await Promise.all(
    ["bench-relay", "bench-relay-ts"].map(async (name) => {
      const tenant = cli(baseEnv, "tenant", "create", "--name", name);
      const key = cli(baseEnv, "key", "create", "--tenant", tenant.id, "--name", `${name}-key`);
      return { tenantId: tenant.id, secret: key.key! };
    }),
  );
  // The stamped-stream tenant sends to the ts upstream through a tenant upstream row.
  const db = new pg.Client({ connectionString: DB_URL });
  db.on("error", () => {}); // the cleanup's DROP DATABASE … WITH (FORCE) ends it if a step failed
  await db.connect();
  await db.query(
    `INSERT INTO "Upstream" (id, "tenantId", name, provider, "baseUrl", "credentialEnc") VALUES ($1, $2, 'ts upstream', 'ANTHROPIC', $3, $4)`,
    ["bench-ts-upstream", tsKey!.tenantId, `http://127.0.0.1:${tsPort}`, encryptCredential("sk-bench-ts")],
  );

  // 2. processes
  const stubUrl = `http://127.0.0.1:${stubPort}`;
  const stub = startChild("stub", process.execPath, ["--import", "tsx", "bench/stub-upstream-stats.ts", "--port", String(stubPort)], { ...baseEnv, NODE_ENV: "production" });
  const tsUp = startChild("ts-upstream", process.execPath, ["--import", "tsx", "bench/ts-upstream.ts", String(tsPort), "20"], { ...baseEnv, NODE_ENV: "production" });

  if (!args["skip-build"] || !existsSync(path.join(ROOT, ".next", "BUILD_ID"))) {
    log("building (npx next build)");
    const t = performance.now();
    run("npx", ["next", "build"], { ...baseEnv, NODE_ENV: "production" }, 300_000);
    log(`built in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  }
  if (args["cpu-prof"]) mkdirSync(PROFILE_DIR, { recursive: true });
  // --inspect-port only sets where SIGUSR1 would open the inspector (used for the memory phase).
  const nodeFlags = (name: string, inspectPort: number): string[] => [
    `--inspect-port=127.0.0.1:${inspectPort}`,
    ...(args["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${path.join(PROFILE_DIR, name)}`] : []),
  ];
  const appEnv: NodeJS.ProcessEnv = {
    ...baseEnv,
    NODE_ENV: "production",
    UPSTREAM_ANTHROPIC_BASE_URL: stubUrl,
    UPSTREAM_ANTHROPIC_API_KEY: "sk-ant-bench",
    UPSTREAM_OPENAI_BASE_URL: stubUrl,
    UPSTREAM_OPENAI_API_KEY: "sk-openai-bench",
    FLUSH_IN_PROCESS: "true",
  };
  const next = startChild("next", process.execPath, [...nodeFlags("next", nextInspect), path.join(ROOT, "node_modules/next/dist/bin/next"), "start", "-p", String(nextPort), "-H", "127.0.0.1"], {
    ...appEnv,
    PORT: String(nextPort),
  });
  const lean = args["no-lean"]
    ? null
    : startChild("lean", process.execPath, [...nodeFlags("lean", leanInspect), "--import", "tsx", "bench/lean-relay.ts", String(leanPort)], {
        ...appEnv,
        FLUSH_IN_PROCESS: "false", // the app's flush loop drains the shared prefix
      });

  const okStatus = (s: number): boolean => s > 0;
  await waitReady(stub, `${stubUrl}/v1/models`, 30_000, okStatus);
  await waitReady(tsUp, `http://127.0.0.1:${tsPort}/`, 30_000, okStatus);
  await waitReady(next, `http://127.0.0.1:${nextPort}/api/health`, 90_000, (s) => s === 200);
  if (lean) await waitReady(lean, `http://127.0.0.1:${leanPort}/v1/models`, 60_000, okStatus);

  const pidOf = (child: Child, port: number): (() => number) => {
    let cached: number | null = null;
    return () => (cached ??= listeningPid(child.proc.pid!, port) ?? child.proc.pid!);
  };
  const stubPid = pidOf(stub, stubPort);
  const nextPid = pidOf(next, nextPort);
  const leanPid = lean ? pidOf(lean, leanPort) : () => 0;
  log(`pids: stub ${stubPid()}, next server ${nextPid()} (launcher ${next.proc.pid})${lean ? `, lean ${leanPid()}` : ""}`);

  const inspectPorts: Record<string, number> = { next: nextInspect, lean: leanInspect };
  const targets: Target[] = [
    { name: "direct", label: "direct to stub", origin: stubUrl, pid: stubPid },
    { name: "next", label: "relay: next start", origin: `http://127.0.0.1:${nextPort}`, pid: nextPid },
    ...(lean ? [{ name: "lean" as const, label: "relay: node:http", origin: `http://127.0.0.1:${leanPort}`, pid: leanPid }] : []),
  ];
  const pools = new Map(targets.map((t) => [t.name, newPool(t.origin, 256)]));
  for (const [name, pool] of pools) if (name !== "direct") relayPools.add(pool);
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
    const cpu0 = cpuMs(pid);
    const bench0 = process.cpuUsage();
    const cmds0 = await redisCommands();
    const t0 = performance.now();
    const s = await work();
    const wallS = (performance.now() - t0) / 1000;
    const b = process.cpuUsage(bench0);
    const cmds = (await redisCommands()) - cmds0;
    return { s, appCpuMs: cpuMs(pid) - cpu0, benchCpuPct: ((b.user + b.system) / 1000 / (wallS * 1000)) * 100, redisCmds: cmds, wallS };
  };

  // 3. warm-up: JIT, key cache, keep-alive connections on every hop
  log("warming up");
  for (const t of targets) {
    for (const shape of Object.values(shapes)) {
      const m = await measure(t, () => openLoop(pools.get(t.name)!, shape, 300, 2));
      if (m.s.ok === 0) throw new Error(`warm-up: ${t.name} ${shape.name} failed: ${JSON.stringify([...m.s.errors])}`);
    }
  }

  // 4. open-loop latency at fixed rates
  const open: Array<{ rate: number; shape: Shape; target: Target; m: Measured }> = [];
  for (const rate of PHASES.has("latency") ? RATES : []) {
    for (const shape of Object.values(shapes)) {
      for (const t of targets) {
        log(`open loop ${shape.name} ${rate} req/s → ${t.name} (${RUN_SECONDS} s)`);
        await openLoop(pools.get(t.name)!, shape, rate, 1); // settle at this rate
        open.push({ rate, shape, target: t, m: await measure(t, () => openLoop(pools.get(t.name)!, shape, rate, RUN_SECONDS)) });
      }
    }
  }

  // 5. first byte and a mid-stream chunk: upstream write → client arrival (ts upstream)
  const stamped: Array<{ rate: number; target: Target; m: Measured }> = [];
  for (const rate of PHASES.has("stamped") ? TS_RATES : []) {
    const shape: Shape = {
      name: "stamped", path: "/v1/messages", headers: headersFor(tsKey!.secret),
      body: shapes.stream.body, expectBytes: null,
    };
    const tsTargets: Target[] = [{ name: "direct", label: "direct to ts upstream", origin: `http://127.0.0.1:${tsPort}`, pid: () => 0 }, ...targets.slice(1)];
    for (const t of tsTargets) {
      log(`stamped stream ${rate} req/s → ${t.name} (${TS_SECONDS} s)`);
      const pool = newPool(t.origin, 256);
      if (t.name !== "direct") relayPools.add(pool);
      await openLoop(pool, shape, rate, 1);
      stamped.push({ rate, target: t, m: await measure(t, () => openLoop(pool, shape, rate, TS_SECONDS)) });
      await pool.close();
    }
  }

  // 6. saturated throughput (closed loop)
  const saturated: Array<{ shape: Shape; target: Target; m: Measured }> = [];
  for (const shape of PHASES.has("saturated") ? Object.values(shapes) : []) {
    for (const t of targets) {
      log(`closed loop ${shape.name}, ${SAT_CONNECTIONS} connections → ${t.name} (${SAT_SECONDS} s)`);
      await closedLoop(pools.get(t.name)!, shape, SAT_CONNECTIONS, 1);
      saturated.push({ shape, target: t, m: await measure(t, () => closedLoop(pools.get(t.name)!, shape, SAT_CONNECTIONS, SAT_SECONDS)) });
    }
  }
  for (const p of pools.values()) await p.close();

  // 7. memory at 1,000 open streams (the stub sends 400 bytes, then holds the stream open). The app's
  //    inspector (SIGUSR1) runs a full GC before each reading, so garbage from the load phases
  //    does not hide in the figures; RSS and V8 heap+external both reported.
  interface MemRow { target: Target; before: MemSample; with: MemSample; opened: number; upstreamLeft: number; tcpLeft: number; openMs: number; note: string }
  const memory: MemRow[] = [];
  for (const t of PHASES.has("memory") ? targets.slice(1) : []) {
    log(`memory: ${OPEN_STREAMS} open streams → ${t.name}`);
    const pid = t.pid();
    let cdp: Cdp | null = null;
    let note = "";
    try {
      cdp = await openInspector(pid, inspectPorts[t.name]!);
    } catch (e) {
      note = `no inspector (${String(e)}): RSS without forced GC`;
    }
    const sample = async (): Promise<MemSample> => (cdp ? memoryAfterGc(cdp, pid) : { rssKb: rssKb(pid), heapKb: NaN });
    await sleep(1_000);
    const before = await sample();
    const idleUpstream = establishedOn(stubPort);
    const pool = newPool(t.origin, OPEN_STREAMS + 50, 120_000);
    const body = JSON.stringify({ model: "claude-sonnet-4-5@hang=400", max_tokens: 256, stream: true, messages });
    let opened = 0;
    const t0 = performance.now();
    const reqs: Array<Promise<void>> = [];
    for (let i = 0; i < OPEN_STREAMS; i++) {
      reqs.push(
        pool
          .request({ path: "/v1/messages", method: "POST", headers: shapes.stream.headers, body })
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
      relayedRequests++;
      if (i % 50 === 49) await sleep(50); // 1,000 streams in about 1 s, no connect storm
    }
    for (let i = 0; i < 200 && opened < OPEN_STREAMS; i++) await sleep(100);
    const openMs = performance.now() - t0;
    await sleep(500);
    const withStreams = await sample();
    const upstreamOpen = establishedOn(stubPort) - idleUpstream;
    await pool.destroy();
    await Promise.race([Promise.allSettled(reqs), sleep(5_000)]);
    const stubInFlight = (): number => Number(/inFlight=(\d+)/.exec(stub.output.join("").split("\n").filter((l) => l.startsWith("STATS")).pop() ?? "")?.[1] ?? -1);
    await sleep(600);
    let upstreamLeft = stubInFlight();
    for (let i = 0; i < 50 && upstreamLeft !== 0; i++) {
      await sleep(100);
      upstreamLeft = stubInFlight();
    }
    const tcpLeft = establishedOn(stubPort) - idleUpstream;
    log(`  upstream TCP connections: idle ${idleUpstream}, +${upstreamOpen} with streams open, +${tcpLeft} after clients left; stub responses in flight ${upstreamLeft}`);
    cdp?.close();
    memory.push({ target: t, before, with: withStreams, opened, upstreamLeft, tcpLeft, openMs, note });
  }

  // 8. did the ledger get them? (flush runs in the app every 2 s)
  let logged = 0;
  for (let i = 0; i < 40; i++) {
    logged = Number((await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM "RequestLog"`)).rows[0]?.n ?? 0);
    if (logged >= relayedRequests) break;
    await sleep(250);
  }
  await db.end();
  redis.disconnect();
  const loadAfter = loadAvg();

  // 9. report
  const out: string[] = [];
  const p = (line = ""): number => out.push(line);
  p(`\nMetergate relay benchmark, ${startedAt.toISOString()}`);
  p(`  machine: ${cpuModel} × ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB; node ${process.version}; next 16 (next start, production build)`);
  p(`  load average (1/5/15 min): before ${loadBefore}, after ${loadAfter}${Number(loadBefore.split(" ")[0]) > 0.5 ? "  (machine not idle at start: expect noise)" : ""}`);
  p(`  targets: direct = stub upstream process (stub/upstream.ts, fixture bytes in one write); next = the app via next start;`);
  p(`           node:http = the same relay (handleRelay) on src/relay/node-server.ts; all on 127.0.0.1, each its own process.`);
  p(`  load: open loop in the bench process, undici Pool (256 conns, keep-alive), request i due at start + i/rate; latency and`);
  p(`        TTFB measured from the due time (no coordinated omission) to the last / first body byte; only 200 + full body counts.`);
  p(`        POST /v1/messages, x-api-key; stream = stream-basic.sse (${shapes.stream.expectBytes} B), non-stream = nonstream.json (${shapes["non-stream"].expectBytes} B).`);
  p(`        Each run ${RUN_SECONDS} s after a 1 s settle at the same rate; warm-up 2 s per target and shape. Overhead = relay − direct, per percentile.`);
  p(`  app CPU = user+sys of the server process (all threads) / completed requests; redis = total_commands_processed delta / requests (machine-wide).`);
  p();
  p(`Latency at a fixed rate (ms)                                   targets at 500 req/s: overhead p50 ≤ 2, p99 ≤ 10`);
  p(`  shape       rate  target              achieved   ok/sent      p50     p99     max | TTFB p50  p99 | overhead p50   p99 | TTFB ovh p50  p99 | CPU ms/req redis/req bench CPU late p99`);
  for (const r of open) {
    const s = r.m.s;
    const lat = sortedOf(s.latency);
    const tt = sortedOf(s.ttfb);
    const base = open.find((o) => o.rate === r.rate && o.shape === r.shape && o.target.name === "direct")!;
    const bl = sortedOf(base.m.s.latency);
    const bt = sortedOf(base.m.s.ttfb);
    const isRelay = r.target.name !== "direct";
    const achieved = s.ok / Math.max(RUN_SECONDS, (s.lastEnd - s.start) / 1000);
    const errs = [...s.errors].map(([k, v]) => `${k}×${v}`).join(",") + (s.dropped ? ` dropped×${s.dropped}` : "");
    p(
      `  ${r.shape.name.padEnd(10)} ${String(r.rate).padStart(5)}  ${r.target.label.padEnd(18)} ${achieved.toFixed(0).padStart(8)} ${`${s.ok}/${s.sent}`.padStart(10)}` +
        ` ${f2(pct(lat, 0.5)).padStart(8)} ${f2(pct(lat, 0.99)).padStart(8)} ${f1(lat[lat.length - 1] ?? NaN).padStart(8)} |` +
        ` ${f2(pct(tt, 0.5)).padStart(8)} ${f2(pct(tt, 0.99)).padStart(8)} |` +
        (isRelay
          ? ` ${f2(pct(lat, 0.5) - pct(bl, 0.5)).padStart(12)} ${f2(pct(lat, 0.99) - pct(bl, 0.99)).padStart(8)} | ${f2(pct(tt, 0.5) - pct(bt, 0.5)).padStart(12)} ${f2(pct(tt, 0.99) - pct(bt, 0.99)).padStart(8)} |`
          : `${"".padStart(22)} |${"".padStart(22)} |`) +
        ` ${(isRelay ? f2(r.m.appCpuMs / Math.max(1, s.sent)) : "").padStart(10)} ${(isRelay ? f1(r.m.redisCmds / Math.max(1, s.sent)) : "").padStart(9)} ${`${r.m.benchCpuPct.toFixed(0)}%`.padStart(9)} ${f2(pct(sortedOf(s.late), 0.99)).padStart(8)}` +
        (errs ? `  errors: ${errs}` : ""),
    );
  }
  p();
  p(`First body byte / mid-stream chunk: upstream write → client arrival (ms), ${TS_SECONDS} s per run   target: first byte forwarded within 2 ms`);
  p(`  (bench/ts-upstream.ts stamps CLOCK_MONOTONIC into an SSE comment; headers, then 20 ms, first frame, then 20 ms, the rest)`);
  p(`  rate  target                 ok/sent   first p50   p99 | mid p50   p99 | forwarding delay over direct: first p50  p99, mid p50  p99`);
  for (const r of stamped) {
    const d = stamped.find((x) => x.rate === r.rate && x.target.name === "direct")!;
    const sd = d.m.s;
    const s = r.m.s;
    const a = sortedOf(s.fwdFirst);
    const b = sortedOf(s.fwdMid);
    const da = sortedOf(sd.fwdFirst);
    const db2 = sortedOf(sd.fwdMid);
    const errs = [...s.errors].map(([k, v]) => `${k}×${v}`).join(",");
    p(
      `  ${String(r.rate).padStart(4)}  ${r.target.label.padEnd(21)} ${`${s.ok}/${s.sent}`.padStart(9)} ${f2(pct(a, 0.5)).padStart(11)} ${f2(pct(a, 0.99)).padStart(7)} | ${f2(pct(b, 0.5)).padStart(7)} ${f2(pct(b, 0.99)).padStart(7)} |` +
        (r === d ? "" : ` ${f2(pct(a, 0.5) - pct(da, 0.5)).padStart(36)} ${f2(pct(a, 0.99) - pct(da, 0.99)).padStart(7)}, ${f2(pct(b, 0.5) - pct(db2, 0.5)).padStart(8)} ${f2(pct(b, 0.99) - pct(db2, 0.99)).padStart(7)}`) +
        (errs ? `  errors: ${errs}` : ""),
    );
  }
  p();
  p(`Saturated throughput: closed loop, ${SAT_CONNECTIONS} connections, ${SAT_SECONDS} s (generator shares the 2 cores)`);
  p(`  shape       target              req/s      ok    p50 ms   p99 ms | app CPU ms/req  app CPU %  bench CPU  errors`);
  for (const r of saturated) {
    const s = r.m.s;
    const lat = sortedOf(s.latency);
    const errs = [...s.errors].map(([k, v]) => `${k}×${v}`).join(",");
    p(
      `  ${r.shape.name.padEnd(10)}  ${r.target.label.padEnd(18)} ${(s.ok / r.m.wallS).toFixed(0).padStart(6)} ${String(s.ok).padStart(7)} ${f2(pct(lat, 0.5)).padStart(9)} ${f2(pct(lat, 0.99)).padStart(9)} |` +
        ` ${f2(r.m.appCpuMs / Math.max(1, s.sent)).padStart(14)} ${`${((r.m.appCpuMs / (r.m.wallS * 1000)) * 100).toFixed(0)}%`.padStart(10)} ${`${r.m.benchCpuPct.toFixed(0)}%`.padStart(10)}  ${errs}`,
    );
  }
  p();
  p(`Memory at ${OPEN_STREAMS.toLocaleString("en-US")} concurrent open streams (stub sends 400 B, then holds)   target: < 50 KB per stream`);
  p(`  (server process; full GC through its inspector before each reading; RSS = VmRSS, heap = V8 heapUsed + external)`);
  p(`  target              open  opened in |  RSS before     with  per stream | heap before     with  per stream | ≤5 s after clients left: upstream requests in flight / extra upstream TCP conns`);
  for (const m of memory) {
    const mb = (kb: number): string => `${(kb / 1024).toFixed(1)} MB`;
    const per = (a: number, b: number): string => `${((b - a) / Math.max(1, m.opened)).toFixed(1)} KB`;
    p(
      `  ${m.target.label.padEnd(18)} ${String(m.opened).padStart(5)} ${`${(m.openMs / 1000).toFixed(1)} s`.padStart(10)} |` +
        ` ${mb(m.before.rssKb).padStart(11)} ${mb(m.with.rssKb).padStart(8)} ${per(m.before.rssKb, m.with.rssKb).padStart(11)} |` +
        ` ${mb(m.before.heapKb).padStart(11)} ${mb(m.with.heapKb).padStart(8)} ${per(m.before.heapKb, m.with.heapKb).padStart(11)} | ${m.upstreamLeft} / ${m.tcpLeft}` +
        (m.note ? `  (${m.note})` : ""),
    );
  }
  p();
  p(`Ledger: ${logged.toLocaleString("en-US")} request-log rows for ${relayedRequests.toLocaleString("en-US")} requests sent through the relay (warm-up, settle and open streams included).`);
  console.log(out.join("\n"));
}

try {
  await main();
} catch (e) {
  log(`failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exitCode = 1;
} finally {
  log("cleaning up");
  await cleanup();
  clearTimeout(watchdog);
}
process.exit();
