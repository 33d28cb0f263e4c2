/**
 * The flush isolates what Postgres refuses (issue 12). Poison is put straight into the Redis
 * streams, as an older relay (or anything that bypasses the boundary checks) would have recorded
 * it: the event JSON with its usage deltas. The flush must split the batch until the bad events
 * stand alone, quarantine them in the DeadLetter table exactly once, keep every other event of the
 * same shard and of other shards flowing, and the CLI must list and replay them exactly once.
 */
import { NO_MODIFIERS } from "~/pricing/request";
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { FlushError, admit, flushOnce, recordRequest, unlimited } from "~/ledger";
import { pendingDeltas, type StoredEvent } from "~/ledger/event";
import { ledgerKeys, shardOf } from "~/ledger/redis-keys";
import { TOKEN_COUNT_MAX } from "~/ledger/sanitize";
import { costOf } from "~/pricing";
import { db } from "~/infra/db";
import { redis } from "~/infra/redis";
import { runCli as cli } from "../helpers/cli";
import { requestEvent, STREAM_BASIC_COST_MICROS as COST } from "../helpers/events";
import { createTenantWithKey } from "../helpers/fixtures-db";

afterAll(async () => {
  await db.$disconnect();
  redis.disconnect();
});

function stored(tenantId: string, apiKeyId: string, over: Partial<StoredEvent> = {}): StoredEvent {
  return {
    ...requestEvent(tenantId, apiKeyId),
    flags: [], requestedModel: null, billing: { ...NO_MODIFIERS }, reasoningTokens: 0, explanation: null, endUserId: null, sessionId: null,
    costMicros: COST, priced: true, ...over,
  };
}

/** What the record script does, without any of the checks in front of it. */
async function inject(e: StoredEvent): Promise<string> {
  const shard = shardOf(e.tenantId);
  const id = (await redis.xadd(ledgerKeys.events(shard), "*", "e", JSON.stringify(e)))!;
  for (const [field, delta] of pendingDeltas(e)) await redis.hincrby(ledgerKeys.pending(shard, e.tenantId), field, delta);
  return id;
}

async function injectRaw(shard: number, raw: string): Promise<string> {
  return (await redis.xadd(ledgerKeys.events(shard), "*", "e", raw))!;
}

async function tenantOnShard(shard: number, name: string) {
  for (;;) {
    const t = await createTenantWithKey(name);
    if (shardOf(t.tenant.id) === shard) return t;
  }
}

async function tenantNotOnShard(shard: number, name: string) {
  for (;;) {
    const t = await createTenantWithKey(name);
    if (shardOf(t.tenant.id) !== shard) return t;
  }
}

function longModelName(): string {
  let s = "claude-";
  while (s.length < 4000) s += Math.random().toString(36).slice(2);
  return s.slice(0, 4000);
}

async function rollup(tenantId: string) {
  const rows = await db.usageHourly.findMany({ where: { tenantId } });
  return { requests: rows.reduce((s, r) => s + Number(r.requests), 0), costMicros: rows.reduce((s, r) => s + Number(r.costMicros), 0) };
}

describe("poison in the Redis stream", () => {
  const poison: Record<string, { streamId: string; eventId: string | null; sqlState: string | null }> = {};
  let T1: Awaited<ReturnType<typeof createTenantWithKey>>;

  it("is found by splitting the batch and quarantined; the same shard and other shards keep flowing in the same flush", async () => {
    T1 = await createTenantWithKey("inject");
    const shard = shardOf(T1.tenant.id);
    const T2 = await tenantOnShard(shard, "inject-same-shard");
    const T3 = await tenantNotOnShard(shard, "inject-other-shard");
    const bad: Array<[string, StoredEvent | string, string | null]> = [
      ["3e9 input tokens", stored(T1.tenant.id, T1.key.id, { usage: { input: 3e9, output: 1, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 } }), "22003"],
      ["api key id not a uuid", stored(T1.tenant.id, "not-a-uuid"), "22P02"],
      ["NUL in the model", stored(T1.tenant.id, T1.key.id, { model: "claude-sonnet-4-5\u0000x" }), "22P05"],
      ["lone surrogate in the model", stored(T1.tenant.id, T1.key.id, { model: "claude-\ud800" }), "22P02"],
      ["4,000-character model", stored(T1.tenant.id, T1.key.id, { model: longModelName() }), "54000"],
      ["NUL in the user agent", stored(T1.tenant.id, T1.key.id, { userAgent: "curl\u0000" }), "22P05"],
      ["not JSON", "{not json", null],
      ["negative tokens", JSON.stringify(stored(T1.tenant.id, T1.key.id, { usage: { input: -5, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 } })), null],
    ];
    let i = 0;
    for (let n = 0; n < 20; n++) {
      await inject(stored(T1.tenant.id, T1.key.id));
      await inject(stored(T2.tenant.id, T2.key.id));
      await inject(stored(T3.tenant.id, T3.key.id));
      if (n % 2 === 1 && i < bad.length) {
        const [what, e, code] = bad[i++]!;
        const streamId = typeof e === "string" ? await injectRaw(shard, e) : await inject(e);
        poison[what] = { streamId, eventId: typeof e === "string" ? null : e.id, sqlState: code };
      }
    }
    expect(Object.keys(poison)).toHaveLength(bad.length);

    const r = await flushOnce({ batchSize: 2000 });
    expect(r.refused).toBe(6);
    expect(r.invalid).toBe(2);
    expect(r.deadLettered).toBe(8);
    expect(await db.requestLog.count({ where: { tenantId: T1.tenant.id } })).toBe(20);
    expect(await db.requestLog.count({ where: { tenantId: T2.tenant.id } })).toBe(20);
    expect(await db.requestLog.count({ where: { tenantId: T3.tenant.id } })).toBe(20);
    expect(await rollup(T1.tenant.id)).toEqual({ requests: 20, costMicros: 20 * COST });
    for (const t of [T1, T2, T3]) expect(await redis.xlen(ledgerKeys.events(shardOf(t.tenant.id)))).toBe(0);
    // The poison's usage deltas were taken out of the live numbers exactly once.
    expect(await redis.hlen(ledgerKeys.pending(shard, T1.tenant.id))).toBe(0);

    for (const [what, p] of Object.entries(poison)) {
      const dl = await db.deadLetter.findUnique({ where: { id: `${shard}:${p.streamId}` } });
      expect(dl, what).not.toBeNull();
      expect(dl!.replayedAt).toBeNull();
      expect(dl!.eventId).toBe(p.eventId);
      if (p.sqlState) expect(dl!.error, what).toContain(p.sqlState);
      else expect(dl!.error, what).toMatch(/unparseable|invalid event/);
    }
    const nulModel = await db.deadLetter.findUnique({ where: { id: `${shard}:${poison["NUL in the model"]!.streamId}` } });
    expect(JSON.parse(nulModel!.raw).model).toBe("claude-sonnet-4-5\u0000x"); // verbatim

    const alert = await db.auditLog.findFirst({ where: { tenantId: null, action: "ledger.dead_letter" }, orderBy: { createdAt: "desc" } });
    expect(alert?.details).toMatchObject({ count: 8 });
  });

  it("lists and replays dead letters with the CLI, exactly once, re-sanitized", async () => {
    const shard = shardOf(T1.tenant.id);
    const listed = await cli("ledger", "dead-letter", "list");
    expect(listed.code, listed.err).toBe(0);
    const ids = (JSON.parse(listed.out) as Array<{ id: string }>).map((d) => d.id);
    for (const p of Object.values(poison)) expect(ids).toContain(`${shard}:${p.streamId}`);

    const replay = await cli("ledger", "dead-letter", "replay", "--all");
    expect(replay.code, replay.err).toBe(0);
    const report = JSON.parse(replay.out) as { replayed: Array<{ id: string; inserted: number; flags: string[] }>; failed: Array<{ id: string; error: string }> };
    const idOf = (what: string) => `${shard}:${poison[what]!.streamId}`;
    for (const what of ["3e9 input tokens", "NUL in the model", "lone surrogate in the model", "4,000-character model", "NUL in the user agent"]) {
      expect(report.replayed.find((x) => x.id === idOf(what)), what).toMatchObject({ inserted: 1 });
    }
    for (const what of ["api key id not a uuid", "not JSON", "negative tokens"]) {
      expect(report.failed.find((x) => x.id === idOf(what)), what).toBeDefined();
    }
    const clamped = await db.requestLog.findUniqueOrThrow({ where: { id: poison["3e9 input tokens"]!.eventId! } });
    expect(clamped.inputTokens).toBe(TOKEN_COUNT_MAX);
    expect(clamped.flags).toEqual(["suspicious"]);
    // Re-priced from the clamped usage (long-context rates: the prompt is over 200k tokens).
    const repriced = costOf("claude-sonnet-4-5", { input: TOKEN_COUNT_MAX, output: 1, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 });
    expect(repriced.costMicros).toBe(600_000_023);
    expect(clamped.costMicros).toBe(BigInt(repriced.costMicros));
    const nul = await db.requestLog.findUniqueOrThrow({ where: { id: poison["NUL in the model"]!.eventId! } });
    expect(nul.model).toBe("claude-sonnet-4-5_x");
    expect(nul.flags).toEqual(["suspicious"]);
    const ua = await db.requestLog.findUniqueOrThrow({ where: { id: poison["NUL in the user agent"]!.eventId! } });
    expect(ua.userAgent).toBe("curl");
    expect(ua.flags).toEqual([]);
    expect((await rollup(T1.tenant.id)).requests).toBe(25);
    const uuid = await db.deadLetter.findUniqueOrThrow({ where: { id: idOf("api key id not a uuid") } });
    expect(uuid.replayedAt).toBeNull();
    expect(uuid.replayError).toContain("22P02");

    // Again: nothing is stored twice, the failures stay open.
    const again = await cli("ledger", "dead-letter", "replay", "--all");
    expect(again.code, again.err).toBe(0);
    const second = JSON.parse(again.out) as { replayed: Array<{ id: string }> };
    expect(second.replayed.filter((x) => Object.values(poison).some((p) => x.id === `${shard}:${p.streamId}`))).toEqual([]);
    expect((await rollup(T1.tenant.id)).requests).toBe(25);
    const one = await cli("ledger", "dead-letter", "replay", "--id", idOf("3e9 input tokens"));
    expect(JSON.parse(one.out)).toMatchObject({ replayed: [], skipped: [idOf("3e9 input tokens")] });
  }, 60_000);

  it("quarantines exactly once when the flush dies between the quarantine and the ack", async () => {
    const t = await createTenantWithKey("inject-crash");
    const shard = shardOf(t.tenant.id);
    await inject(stored(t.tenant.id, t.key.id));
    const bad = stored(t.tenant.id, "also-not-a-uuid");
    const streamId = await inject(bad);
    await expect(
      flushOnce({
        onStep: (step, s) => {
          if (step === "committed" && s === shard) throw new Error("crash after quarantine");
        },
      }),
    ).rejects.toThrow("crash after quarantine");
    expect(await db.deadLetter.count({ where: { eventId: bad.id } })).toBe(1);
    const r = await flushOnce();
    expect(r.deadLettered).toBe(0); // already there: ON CONFLICT DO NOTHING
    expect(await db.deadLetter.count({ where: { eventId: bad.id } })).toBe(1);
    expect(await db.deadLetter.findUnique({ where: { id: `${shard}:${streamId}` } })).not.toBeNull();
    expect(await db.requestLog.count({ where: { tenantId: t.tenant.id } })).toBe(1);
    expect(await redis.hlen(ledgerKeys.pending(shard, t.tenant.id))).toBe(0);
  });

  it("moves entries of the old Redis :dead stream into the same table", async () => {
    const t = await createTenantWithKey("legacy-dead");
    const shard = shardOf(t.tenant.id);
    const dead = `${ledgerKeys.events(shard)}:dead`;
    const originalId = `${Date.now() - 5000}-7`;
    await redis.xadd(dead, "*", "id", originalId, "raw", "{broken");
    await flushOnce();
    const dl = await db.deadLetter.findUniqueOrThrow({ where: { id: `${shard}:${originalId}` } });
    expect(dl.raw).toBe("{broken");
    expect(await redis.xlen(dead)).toBe(0);
  });
});

describe("shards fail independently", () => {
  it("a failing shard does not stop the others; the error is reported with its shard", async () => {
    const a = await createTenantWithKey("shard-a");
    const b = await tenantNotOnShard(shardOf(a.tenant.id), "shard-b");
    for (let i = 0; i < 5; i++) {
      await recordRequest(requestEvent(a.tenant.id, a.key.id));
      await recordRequest(requestEvent(b.tenant.id, b.key.id));
    }
    const failing = shardOf(a.tenant.id);
    const err = await flushOnce({
      onStep: (step, shard) => {
        if (step === "read" && shard === failing) throw new Error(`shard ${shard} is broken`);
      },
    }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(FlushError);
    expect((err as FlushError).shardErrors.map((e) => e.shard)).toEqual([failing]);
    expect((err as FlushError).result.tenantIds).toContain(b.tenant.id);
    expect(await db.requestLog.count({ where: { tenantId: b.tenant.id } })).toBe(5);
    expect(await db.requestLog.count({ where: { tenantId: a.tenant.id } })).toBe(0);
    await flushOnce();
    expect(await db.requestLog.count({ where: { tenantId: a.tenant.id } })).toBe(5);
  });
});

describe("recording never leaves a lease behind", () => {
  it("frees the lease and reservation when the record script fails", async () => {
    const t = await createTenantWithKey("lease-free");
    const limits = { ...unlimited(t.key.id, t.tenant.id), maxConcurrency: 1, dailyCostMicros: 1_000_000_000 };
    const requestId = randomUUID();
    const admission = await admit(limits, requestId, 1000);
    expect(admission.ok).toBe(true);
    if (!admission.ok) return;
    // Break the tenant's pending-deltas hash (wrong type): the record script fails before it frees the lease.
    const pending = ledgerKeys.pending(shardOf(t.tenant.id), t.tenant.id);
    await redis.set(pending, "not a hash");
    try {
      await expect(recordRequest(requestEvent(t.tenant.id, t.key.id, { id: requestId }), admission.charge)).rejects.toThrow(/WRONGTYPE/);
      expect(await redis.zcard(admission.charge.keys.leases)).toBe(0);
      expect(await redis.hlen(admission.charge.keys.keyReservations)).toBe(0);
      expect(await redis.hlen(admission.charge.keys.tenantReservations)).toBe(0);
      expect((await admit(limits, randomUUID(), 1000)).ok).toBe(true);
    } finally {
      await redis.del(pending);
      await flushOnce(); // the event the failed script appended before failing
    }
  });
});
