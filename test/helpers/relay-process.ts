/**
 * Real processes for fault tests: the relay tier (`scripts/relay-server.ts`, the process-wide relay
 * with the real ledger, compiled as `npm run relay` runs it) and throw-away redis-servers, each on
 * a port of this engineer's range.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";

const ROOT = path.resolve(import.meta.dirname, "../..");

export interface RelayProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code / signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let relayBuild: string | null = null;
/**
 * node's argv for a relay tier process: the compiled relay (scripts/build-relay.mjs), as
 * `npm run relay` starts it; built once per test worker into .relay-build/test/ (each build
 * replaces the file whole, so workers building at once never start half a file).
 */
export function relayServerArgv(): string[] {
  if (relayBuild === null) {
    const outfile = path.join(ROOT, ".relay-build", "test", "relay-server.mjs");
    const built = spawnSync(process.execPath, ["scripts/build-relay.mjs", "--outfile", outfile], { cwd: ROOT, encoding: "utf8" });
    if (built.status !== 0) throw new Error(`building the relay failed:\n${built.stderr}`);
    relayBuild = outfile;
  }
  return [relayBuild];
}

export async function startRelayProcess(port: number, env: Record<string, string>): Promise<RelayProcess> {
  const child = spawn(process.execPath, relayServerArgv(), {
    cwd: ROOT,
    env: { ...process.env, RELAY_PORT: String(port), RELAY_HOST: "127.0.0.1", FLUSH_IN_PROCESS: "false", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const deadline = Date.now() + 30_000;
  while (!out.includes("listening")) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`relay process did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `http://127.0.0.1:${port}`, child, output: () => out, exited };
}

export interface ThrowawayRedis {
  port: number;
  url: string;
  client: Redis;
  /** Stops the server (a crash: no save). */
  stop(): void;
  /** Starts it again on the same port and directory (AOF replayed when enabled). */
  start(): Promise<void>;
}

/** A redis-server of the test's own on a random port in [from, to], with AOF (appendfsync everysec) unless told otherwise. */
export async function startThrowawayRedis(from: number, to: number, opts: { appendonly?: boolean } = {}): Promise<ThrowawayRedis> {
  const port = from + Math.floor(Math.random() * (to - from + 1));
  const dir = mkdtempSync(path.join(tmpdir(), "mg-inflight-redis-"));
  const args = [
    "--port", String(port), "--bind", "127.0.0.1", "--daemonize", "yes", "--save", "", "--dir", dir,
    ...(opts.appendonly === false ? ["--appendonly", "no"] : ["--appendonly", "yes", "--appendfsync", "everysec"]),
  ];
  spawnSync("redis-cli", ["-p", String(port), "shutdown", "nosave"], { stdio: "ignore" });
  const start = async () => {
    const r = spawnSync("redis-server", args);
    if (r.status !== 0) throw new Error(`redis-server on ${port} failed: ${r.stderr.toString()}`);
    for (let i = 0; i < 100; i++) {
      if (spawnSync("redis-cli", ["-p", String(port), "ping"]).stdout.toString().includes("PONG")) return;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error(`redis-server on ${port} did not answer`);
  };
  await start();
  const client = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 20, retryStrategy: () => 100 });
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    client,
    stop: () => void spawnSync("redis-cli", ["-p", String(port), "shutdown", "nosave"], { stdio: "ignore" }),
    start,
  };
}

export async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, stepMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, stepMs));
    value = await probe();
  }
  return value;
}
