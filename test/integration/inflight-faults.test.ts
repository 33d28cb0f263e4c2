/**
 * Usage the upstream served is never lost: real relay processes (scripts/relay-server.ts with the
 * real ledger) killed with SIGKILL or stopped with SIGTERM while streams are open, a throw-away
 * Redis stopped and wiped while requests are recorded, and a killed flush worker. The stub
 * upstream counts what it served; Postgres (after the flush) says what was recorded.
 */
import Anthropic from "@anthropic-ai/sdk";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flushOnce, recordRequest } from "~/ledger";
import { db } from "~/infra/db";
import { redis } from "~/infra/redis";
import type { RedisClient } from "~/infra/redis";
import { requestEvent } from "../helpers/events";
import { createTenantWithKey } from "../helpers/fixtures-db";
import { startRelayProcess, startThrowawayRedis, until, type RelayProcess } from "../helpers/relay-process";
import { startStubUpstream, type StubUpstream } from "../../stub/upstream";

const ROOT = path.resolve(import.meta.dirname, "../..");
const MODEL = "claude-sonnet-4-5-20250929";
/** Cost of the stream-basic fixture's usage on Sonnet 4.5 (what a completed stream records). */
const STREAM_COST = 15807;
const PREFIX = process.env.REDIS_PREFIX!;

let stub: StubUpstream;
const children: RelayProcess[] = [];

beforeAll(async () => {
  stub = await startStubUpstream();
});

afterAll(async () => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill("SIGKILL");
  await stub.close();
  await db.$disconnect();
  redis.disconnect();
});

/** Records waiting in a journal directory (one JSON line each). */
function journalLines(dir: string): number {
  return readdirSync(dir).reduce((n, f) => n + readFileSync(path.join(dir, f), "utf8").split("\n").filter(Boolean).length, 0);
}

function journalDir(): string {
  return mkdtempSync(path.join(tmpdir(), "mg-inflight-journal-"));
}

async function relay(port: number, env: Record<string, string> = {}): Promise<RelayProcess> {
  const p = await startRelayProcess(port, { UPSTREAM_ANTHROPIC_BASE_URL: stub.url, UPSTREAM_ANTHROPIC_API_KEY: "stub", LEDGER_JOURNAL_DIR: journalDir(), ...env });
  children.push(p);
  return p;
}

const client = (url: string, secret: string) => new Anthropic({ baseURL: url, apiKey: secret, maxRetries: 0 });
const ask = { model: MODEL, max_tokens: 64, messages: [{ role: "user" as const, content: "hi" }] };

/** Opens a stream and reads it to the end; resolves "complete" or "cut" (never rejects). */
async function stream(c: Anthropic): Promise<"complete" | "cut" | "refused"> {
  try {
    const s = await c.messages.create({ ...ask, stream: true });
    let stopped = false;
    for await (const e of s) if (e.type === "message_stop") stopped = true;
    return stopped ? "complete" : "cut";
  } catch (e) {
    return e instanceof Anthropic.RateLimitError ? "refused" : "cut";
  }
}

async function rows(tenantId: string) {
  return db.requestLog.findMany({ where: { tenantId }, orderBy: { createdAt: "asc" } });
}

/** Flushes (which also sweeps orphaned leases) until the tenant has `n` rows or the time is up. */
async function flushUntil(tenantId: string, n: number, timeoutMs: number, r: RedisClient = redis) {
  return until(
    async () => {
      await flushOnce({ redis: r });
      return rows(tenantId);
    },
    (list) => list.length >= n,
    timeoutMs,
    250,
  );
}

async function counter(name: string, r: RedisClient = redis): Promise<number> {
  const keys = await r.keys(`${PREFIX}*:${name}`);
  return keys[0] ? Number(await r.get(keys[0])) : 0;
}

function figures(name: string, served: number, recorded: number): void {
  console.info(`[figures] ${name}: upstream served ${served}, recorded ${recorded}`);
}

describe("a relay process killed mid-stream", () => {
  it("records every open stream as orphaned within seconds, exactly once, charged to the caps", async () => {
    const N = 12;
    const { tenant, key, secret } = await createTenantWithKey("kill");
    await db.apiKey.update({ where: { id: key.id }, data: { totalCostMicros: 100_000_000n } });
    const p = await relay(5140, { LEASE_TTL_MS: "2000", LEASE_HEARTBEAT_MS: "500" });
    stub.stats.reset();
    stub.knobs = { hang: 300 };
    const c = client(p.url, secret);
    const streams = Array.from({ length: N }, () => stream(c));
    await until(async () => stub.stats.inFlight, (n) => n >= N, 10_000, 50);
    const served = stub.stats.requests.length;
    p.child.kill("SIGKILL");
    await p.exited;
    const outcomes = await Promise.all(streams);
    stub.knobs = {};
    expect(outcomes.every((o) => o === "cut")).toBe(true);

    const t0 = Date.now();
    const recorded = await flushUntil(tenant.id, N, 12_000);
    figures("SIGKILL with open streams", served, recorded.length);
    expect(served).toBe(N);
    expect(recorded).toHaveLength(N);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(new Set(recorded.map((r) => r.id)).size).toBe(N);
    for (const r of recorded) {
      expect(r).toMatchObject({ status: 499, usageSource: "ESTIMATED", flags: ["orphaned"], stream: true, model: MODEL });
      expect(r.inputTokens).toBeGreaterThan(0);
      expect(r.costMicros).toBeGreaterThan(0n);
    }
    const cost = recorded.reduce((s, r) => s + Number(r.costMicros), 0);
    // Charged to the caps: the key's total-cost counter holds exactly the orphans' cost.
    expect(await counter(`k:${key.id}:c:total`)).toBe(cost);
    // Exactly once: more sweeps add nothing.
    await new Promise((r) => setTimeout(r, 500));
    await flushOnce();
    expect(await db.requestLog.count({ where: { tenantId: tenant.id } })).toBe(N);
  }, 60_000);

  it("keeps a live long stream's slot across many lease TTLs, and frees a killed process's slots within seconds", async () => {
    const C = 3;
    const { tenant, key, secret } = await createTenantWithKey("conc-kill");
    await db.apiKey.update({ where: { id: key.id }, data: { maxConcurrency: C } });
    const env = { LEASE_TTL_MS: "1500", LEASE_HEARTBEAT_MS: "400" };
    const first = await relay(5141, env);
    const c1 = client(first.url, secret);

    // A stream lasting ~5 s (> 3 lease TTLs) on a concurrency-1-left key keeps its slot.
    stub.stats.reset();
    stub.knobs = { delay: 120, chunk: 48 };
    const long = Array.from({ length: C }, () => stream(c1));
    await until(async () => stub.stats.inFlight, (n) => n >= C, 10_000, 50);
    await new Promise((r) => setTimeout(r, 3_500));
    await flushOnce(); // the sweeper runs and must leave live leases alone
    expect(await stream(c1)).toBe("refused");
    expect(await Promise.all(long)).toEqual(["complete", "complete", "complete"]);
    stub.knobs = {};
    await new Promise((r) => setTimeout(r, 500)); // their records free the slots

    // Now C streams hang and the process is killed.
    stub.knobs = { hang: 300 };
    const hanging = Array.from({ length: C }, () => stream(c1));
    await until(async () => stub.stats.inFlight, (n) => n >= C, 10_000, 50);
    first.child.kill("SIGKILL");
    await first.exited;
    await Promise.all(hanging);
    stub.knobs = {};

    const second = await relay(5142, env);
    const c2 = client(second.url, secret);
    const t0 = Date.now();
    let ok = 0;
    // Bursts of C until all are admitted (at most 10 s; before: the leases held for 15 minutes).
    while (Date.now() - t0 < 10_000) {
      const burst = await Promise.allSettled(Array.from({ length: C }, () => c2.messages.create(ask)));
      ok = burst.filter((b) => b.status === "fulfilled").length;
      if (ok === C) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const freedAfterMs = Date.now() - t0;
    console.info(`[figures] concurrency-${C} key usable ${freedAfterMs} ms after the kill`);
    expect(ok).toBe(C);
    expect(freedAfterMs).toBeLessThan(8_000);
    // The 3 long streams + the 3 orphans + the last burst, each once (plus refusals on the way).
    await new Promise((r) => setTimeout(r, 500));
    const recorded = await flushUntil(tenant.id, 0, 0);
    const served = recorded.filter((r) => r.status !== 429);
    expect(served.filter((r) => r.flags.includes("orphaned"))).toHaveLength(C);
    expect(served.filter((r) => r.status === 200 && r.flags.length === 0).length).toBeGreaterThanOrEqual(2 * C);
  }, 90_000);
});

describe("a relay process stopped with SIGTERM", () => {
  it("lets open streams finish, records all of them, then exits", async () => {
    const N = 10;
    const { tenant, secret } = await createTenantWithKey("sigterm");
    const p = await relay(5143, { RELAY_DRAIN_TIMEOUT_MS: "15000" });
    stub.stats.reset();
    stub.knobs = { delay: 100, chunk: 64 }; // ~2 s per stream
    const c = client(p.url, secret);
    const streams = Array.from({ length: N }, () => stream(c));
    await until(async () => stub.stats.inFlight, (n) => n >= N, 10_000, 50);
    p.child.kill("SIGTERM");
    const outcomes = await Promise.all(streams);
    const exit = await p.exited;
    stub.knobs = {};
    const served = stub.stats.requests.length;
    const recorded = await flushUntil(tenant.id, N, 5_000);
    figures("SIGTERM, streams finish within the drain timeout", served, recorded.length);
    expect(outcomes).toEqual(Array(N).fill("complete"));
    expect(exit.code).toBe(0);
    expect(recorded).toHaveLength(N);
    for (const r of recorded) expect(r).toMatchObject({ status: 200, usageSource: "UPSTREAM", costMicros: BigInt(STREAM_COST), flags: [] });
  }, 60_000);

  it("cuts streams still open at the drain timeout and records them with estimated usage", async () => {
    const N = 8;
    const { tenant, secret } = await createTenantWithKey("sigterm-cut");
    const p = await relay(5144, { RELAY_DRAIN_TIMEOUT_MS: "1500" });
    stub.stats.reset();
    stub.knobs = { hang: 400 };
    const c = client(p.url, secret);
    const streams = Array.from({ length: N }, () => stream(c));
    await until(async () => stub.stats.inFlight, (n) => n >= N, 10_000, 50);
    const t0 = Date.now();
    p.child.kill("SIGTERM");
    const outcomes = await Promise.all(streams);
    const exit = await p.exited;
    const tookMs = Date.now() - t0;
    stub.knobs = {};
    const recorded = await flushUntil(tenant.id, N, 5_000);
    figures("SIGTERM, streams cut at the drain timeout", N, recorded.length);
    expect(outcomes).toEqual(Array(N).fill("cut"));
    expect(exit.code).toBe(0);
    expect(tookMs).toBeGreaterThanOrEqual(1_400);
    expect(recorded).toHaveLength(N);
    for (const r of recorded) {
      expect(r).toMatchObject({ status: 499, usageSource: "ESTIMATED", error: "relay shutting down: cut at the drain timeout" });
      expect(r.inputTokens).toBeGreaterThan(0);
    }
  }, 60_000);
});

describe("Redis away while requests are recorded", () => {
  it("journals records on disk and replays them exactly once when Redis is back", async () => {
    const N = 10;
    const r = await startThrowawayRedis(5146, 5149);
    try {
      const { tenant, secret } = await createTenantWithKey("journal");
      const dir = journalDir();
      const p = await relay(5145, { REDIS_URL: r.url, LEDGER_JOURNAL_DIR: dir });
      stub.stats.reset();
      stub.knobs = { delay: 100, chunk: 64 }; // ~2 s per stream: Redis goes away while they run
      const c = client(p.url, secret);
      const streams = Array.from({ length: N }, () => stream(c));
      await until(async () => stub.stats.inFlight, (n) => n >= N, 10_000, 50);
      r.stop();
      const outcomes = await Promise.all(streams);
      stub.knobs = {};
      expect(outcomes).toEqual(Array(N).fill("complete"));
      const served = stub.stats.requests.length;
      // Retries give up after ~1.3 s; then the records are on disk.
      const journaled = await until(async () => journalLines(dir), (n) => n >= N, 10_000);
      await r.start();
      // The relay replays within a second or two of Redis answering again.
      const left = await until(async () => readdirSync(dir).length, (n) => n === 0, 10_000);
      const recorded = await flushUntil(tenant.id, N, 8_000, r.client);
      figures("Redis stopped while streams finish", served, recorded.length);
      expect(journaled).toBe(N);
      expect(left).toBe(0);
      expect(recorded).toHaveLength(N);
      for (const row of recorded) expect(row).toMatchObject({ status: 200, costMicros: BigInt(STREAM_COST), flags: ["replayed"] });
      // Replayed once: nothing left in Redis, nothing more after another flush.
      await flushOnce({ redis: r.client });
      expect(await db.requestLog.count({ where: { tenantId: tenant.id } })).toBe(N);
      p.child.kill("SIGTERM");
      await p.exited;
    } finally {
      r.client.disconnect();
      r.stop();
    }
  }, 90_000);

  it("keeps a total cost cap after Redis comes back wiped (AOF server, FLUSHDB): re-seeded with the journal", async () => {
    const N = 4;
    const r = await startThrowawayRedis(5146, 5149);
    try {
      const { tenant, key, secret } = await createTenantWithKey("wipe");
      const cap = 50_000; // < N × 15,807 µ$
      await db.apiKey.update({ where: { id: key.id }, data: { totalCostMicros: BigInt(cap) } });
      const dir = journalDir();
      const p = await relay(5140, { REDIS_URL: r.url, LEDGER_JOURNAL_DIR: dir }); // the first test's process is dead
      stub.stats.reset();
      stub.knobs = { delay: 100, chunk: 64 };
      const c = client(p.url, secret);
      const streams = Array.from({ length: N }, () => stream(c));
      await until(async () => stub.stats.inFlight, (n) => n >= N, 10_000, 50);
      r.stop();
      expect(await Promise.all(streams)).toEqual(Array(N).fill("complete"));
      stub.knobs = {};
      expect(await until(async () => journalLines(dir), (n) => n >= N, 10_000)).toBe(N);
      await r.start();
      await r.client.flushdb(); // the wipe
      // Spent N × 15,807 µ$ > cap: the next request must be refused (Anthropic's spend-limit answer,
      // 400 invalid_request_error: src/relay/errors.ts REFUSALS), however soon it comes.
      const after = await c.messages.create(ask).then(
        () => 200,
        (e: unknown) => (e instanceof Anthropic.APIError ? (e.status ?? 0) : 0),
      );
      const servedAfterWipe = stub.stats.completed - N;
      console.info(`[figures] Redis wiped with ${N} × $0.0158 journaled on a $0.05 cap: next request → ${after}`);
      expect(after).toBe(400);
      expect(servedAfterWipe).toBe(0);
      await until(async () => readdirSync(dir).length, (n) => n === 0, 10_000);
      const recorded = await flushUntil(tenant.id, N + 1, 8_000, r.client);
      expect(recorded.filter((row) => row.flags.includes("replayed"))).toHaveLength(N);
      // Counted once in the cap: the seed included the journal, the replay did not add it again.
      expect(await counter(`k:${key.id}:c:total`, r.client)).toBe(N * STREAM_COST);
      p.child.kill("SIGTERM");
      await p.exited;
    } finally {
      r.client.disconnect();
      r.stop();
    }
  }, 90_000);
});

describe("a killed flush worker", () => {
  it("holds its shard lock for seconds, not 30 s", async () => {
    const { tenant, key } = await createTenantWithKey("lock");
    for (let i = 0; i < 5; i++) await recordRequest(requestEvent(tenant.id, key.id));
    const child = spawn(process.execPath, ["--import", "tsx", "test/helpers/flush-child.ts"], {
      cwd: ROOT,
      env: { ...process.env, CRASH_AT: "read", FLUSH_LOCK_TTL_MS: "" },
    });
    await new Promise((r) => child.on("exit", r));
    const t0 = Date.now();
    const locks = async () => (await redis.keys(`${PREFIX}*:flush-lock`)).length;
    expect(await locks()).toBeGreaterThan(0);
    const left = await until(locks, (n) => n === 0, 35_000, 100);
    const heldMs = Date.now() - t0;
    console.info(`[figures] killed flush worker's lock gone after ${heldMs} ms`);
    expect(left).toBe(0);
    expect(heldMs).toBeLessThan(7_000);
    await flushOnce();
    expect(await db.requestLog.count({ where: { tenantId: tenant.id } })).toBe(5);
  }, 60_000);
});
