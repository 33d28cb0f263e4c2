/**
 * The local journal on its own: bounded (a full journal drops, counts and never throws), and what
 * a dead process left behind (including a torn last line) is replayed once, flagged `replayed`.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { flushOnce, LedgerJournal, LedgerRecorder } from "~/ledger";
import { toStoredEvent } from "~/ledger/record";
import { db } from "~/infra/db";
import { redis } from "~/infra/redis";
import { requestEvent } from "../helpers/events";
import { createTenantWithKey } from "../helpers/fixtures-db";

afterAll(async () => {
  await db.$disconnect();
  redis.disconnect();
});

const dir = () => mkdtempSync(path.join(tmpdir(), "mg-journal-test-"));

describe("ledger journal", () => {
  it("when full, drops records (counted through the hook) and never throws", async () => {
    // A Redis nobody listens on (a port of this engineer's range with no server).
    const away = new Redis({ port: 5149, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    away.on("error", () => {});
    const dropped: string[] = [];
    const journaled: string[] = [];
    const journalDir = dir();
    const recorder = new LedgerRecorder({
      redis: away,
      journal: new LedgerJournal({ dir: journalDir, maxBytes: 3_000 }),
      retryDelaysMs: [10],
      hooks: { onDropped: (e) => dropped.push(e.id), onJournaled: (e) => journaled.push(e.id) },
    });
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => recorder.record(requestEvent("t", randomUUID()), null)));
    expect(outcomes.filter((o) => o.outcome === "journaled")).toHaveLength(journaled.length);
    expect(outcomes.filter((o) => o.outcome === "dropped")).toHaveLength(dropped.length);
    expect(journaled.length).toBeGreaterThan(0);
    expect(dropped.length).toBeGreaterThan(0);
    expect(journaled.length + dropped.length).toBe(10);
    await recorder.idle();
    recorder.stop();
    away.disconnect();
  });

  it("replays a dead process's file once, skipping its torn last line, rows flagged replayed", async () => {
    const { tenant, key } = await createTenantWithKey("journal-left");
    const journalDir = dir();
    const events = [requestEvent(tenant.id, key.id), requestEvent(tenant.id, key.id)];
    const lines = events.map((e) => JSON.stringify({ v: 1, event: toStoredEvent(e), charge: null }));
    // pid 2^22 + 1 is above Linux's pid_max default: that process cannot be alive.
    const file = path.join(journalDir, `journal-4194305-${randomUUID()}.jsonl`);
    writeFileSync(file, `${lines.join("\n")}\n{"v":1,"event":{"id":"torn`);
    const recorder = new LedgerRecorder({ journal: new LedgerJournal({ dir: journalDir, maxBytes: 1_000_000 }) });
    expect(await recorder.replayJournal()).toBe(2);
    expect(await recorder.replayJournal()).toBe(0);
    expect(readdirSync(journalDir)).toEqual([]);
    await flushOnce();
    const rows = await db.requestLog.findMany({ where: { tenantId: tenant.id } });
    expect(rows.map((r) => r.id).sort()).toEqual(events.map((e) => e.id).sort());
    for (const r of rows) expect(r.flags).toEqual(["replayed"]);
    recorder.stop();
  });
});
