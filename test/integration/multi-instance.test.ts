/**
 * Scale-out, proven: two relay instances (separate processes, `npm run relay`) and two flush
 * runners (separate processes) against one Redis and one Postgres, under concurrent SDK load.
 * Postgres must end up with exactly the requests sent, to the token and the micro-dollar.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flushOnce } from "~/ledger";
import { db } from "~/infra/db";
import { redis } from "~/infra/redis";
import { createTenantWithKey } from "../helpers/fixtures-db";
import { startStubUpstream, type StubUpstream } from "../../stub/upstream";
import { relayServerArgv } from "../helpers/relay-process";

const ROOT = path.resolve(import.meta.dirname, "../..");
const children: ChildProcess[] = [];
let stub: StubUpstream;

function startRelayProcess(): Promise<string> {
  const child = spawn(process.execPath, relayServerArgv(), {
    cwd: ROOT,
    env: {
      ...process.env,
      RELAY_PORT: "0",
      RELAY_HOST: "127.0.0.1",
      UPSTREAM_ANTHROPIC_BASE_URL: stub.url,
      UPSTREAM_ANTHROPIC_API_KEY: "sk-ant-upstream",
    },
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let err = "";
    const timer = setTimeout(() => reject(new Error(`relay did not start: ${err}`)), 30_000);
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
  });
}

function runFlushRunner(loops: number): Promise<number | null> {
  const child = spawn(process.execPath, ["--import", "tsx", "test/helpers/flush-child.ts"], {
    cwd: ROOT,
    env: { ...process.env, FLUSH_LOOPS: String(loops), FLUSH_BATCH: "40" },
  });
  children.push(child);
  return new Promise((resolve) => child.on("exit", (code) => resolve(code)));
}

beforeAll(async () => {
  stub = await startStubUpstream({ knobs: { chunk: 64 } });
});

afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await stub.close();
  await db.$disconnect();
  redis.disconnect();
});

describe("two relay instances and two flush runners", () => {
  it("record every request exactly once under concurrent load", async () => {
    const { tenant, key, secret } = await createTenantWithKey("scale");
    const urls = await Promise.all([startRelayProcess(), startRelayProcess()]);
    const clients = urls.map((baseURL) => new Anthropic({ baseURL, apiKey: secret, maxRetries: 0 }));
    const runners = [runFlushRunner(150), runFlushRunner(150)];
    const N = 300;
    let next = 0;
    await Promise.all(
      Array.from({ length: 24 }, async (_, worker) => {
        while (next < N) {
          const i = next++;
          const client = clients[(i + worker) % 2]!;
          const ask = { model: "claude-sonnet-4-5-20250929", max_tokens: 16, messages: [{ role: "user" as const, content: `hi ${i}` }] };
          if (i % 2 === 0) await client.messages.create(ask);
          else for await (const _ of await client.messages.create({ ...ask, stream: true }));
        }
      }),
    );
    expect(await Promise.all(runners)).toEqual([0, 0]);
    // The relays record after each response ends; give the last ones a moment, then drain.
    for (let i = 0; i < 50; i++) {
      await flushOnce();
      if ((await db.requestLog.count({ where: { tenantId: tenant.id } })) === N) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const rows = await db.usageHourly.findMany({ where: { apiKeyId: key.id } });
    const sum = (f: "requests" | "inputTokens" | "outputTokens" | "cacheReadTokens" | "costMicros") => rows.reduce((s, r) => s + Number(r[f]), 0);
    expect({ requests: sum("requests"), input: sum("inputTokens"), output: sum("outputTokens"), cacheRead: sum("cacheReadTokens"), cost: sum("costMicros") }).toEqual({
      requests: N,
      input: N * 472,
      output: N * 89,
      cacheRead: N * 10240,
      cost: N * 15807,
    });
    expect(await db.requestLog.count({ where: { tenantId: tenant.id } })).toBe(N);
  }, 120_000);
});
