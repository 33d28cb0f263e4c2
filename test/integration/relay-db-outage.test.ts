/**
 * The relay while Postgres refuses connections. The relay and a flush runner are real processes
 * (`npm run relay`, `npm run flush:worker`) whose DATABASE_URL points at a TCP proxy this test
 * owns in front of the shared Postgres; the proxy's listener is closed and its sockets destroyed
 * for the outage (the shared server is never touched). Clients are the official SDKs.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateApiKey } from "~/keys";
import { createCaller } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";
import { db } from "~/infra/db";
import { redis } from "~/infra/redis";
import { TEST_DATABASE_URL } from "../setup/test-env";
import { relayServerArgv } from "../helpers/relay-process";
import { createTenantWithKey } from "../helpers/fixtures-db";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy";
import { startStubUpstream, type StubUpstream } from "../../stub/upstream";

const ROOT = path.resolve(import.meta.dirname, "../..");
const PROXY_PORT = 5150;
const RELAY_PORT = 5151;
const STUB_PORT = 5152;
const KEY_CACHE_TTL_MS = 500;

const children: ChildProcess[] = [];
let stub: StubUpstream;
let proxy: TcpProxy;
let relayUrl: string;
let flusher: ChildProcess;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function childEnv(): NodeJS.ProcessEnv {
  const proxied = new URL(TEST_DATABASE_URL);
  proxied.port = String(PROXY_PORT);
  return {
    ...process.env,
    DATABASE_URL: proxied.toString(),
    KEY_CACHE_TTL_MS: String(KEY_CACHE_TTL_MS),
    FLUSH_INTERVAL_MS: "200",
    UPSTREAM_ANTHROPIC_BASE_URL: stub.url,
    UPSTREAM_ANTHROPIC_API_KEY: "sk-ant-upstream",
    UPSTREAM_OPENAI_BASE_URL: stub.url,
    UPSTREAM_OPENAI_API_KEY: "sk-openai-upstream",
  };
}

function spawnScript(script: string, env: NodeJS.ProcessEnv, ready: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const argv = script === "scripts/relay-server.ts" ? relayServerArgv() : ["--import", "tsx", script];
  const child = spawn(process.execPath, argv, { cwd: ROOT, env });
  children.push(child);
  return new Promise((resolve, reject) => {
    let err = "";
    const timer = setTimeout(() => reject(new Error(`${script} did not start: ${err}`)), 30_000);
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
      const m = ready.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ child, match: m });
      }
    });
  });
}

beforeAll(async () => {
  stub = await startStubUpstream({ port: STUB_PORT });
  proxy = await startTcpProxy(PROXY_PORT, { host: "127.0.0.1", port: Number(new URL(TEST_DATABASE_URL).port || 5432) });
  const env = childEnv();
  const relay = await spawnScript("scripts/relay-server.ts", { ...env, RELAY_PORT: String(RELAY_PORT), RELAY_HOST: "127.0.0.1" }, /listening on (http:\/\/[\d.]+:\d+)/);
  relayUrl = relay.match[1]!;
  flusher = (await spawnScript("scripts/flush-worker.ts", env, /\[flush\] running/)).child;
}, 60_000);

afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await proxy.close();
  await stub.close();
  await db.$disconnect();
  redis.disconnect();
});

async function ownerCaller(tenantId: string, platformAdmin = false) {
  const user = await db.user.create({
    data: { email: `owner-${Date.now()}-${Math.random().toString(36).slice(2)}@example.test`, passwordHash: "x", platformRole: platformAdmin ? "ADMIN" : "NONE" },
  });
  await db.membership.create({ data: { tenantId, userId: user.id, role: "OWNER" } });
  return createCaller(createTRPCContext({ headers: new Headers(), session: { user: { id: user.id, email: user.email }, expires: new Date(Date.now() + 3_600_000).toISOString() } }));
}

async function addKey(tenantId: string) {
  const gen = generateApiKey();
  const key = await db.apiKey.create({ data: { tenantId, name: "outage", keyHash: gen.keyHash, keyPrefix: gen.keyPrefix } });
  return { key, secret: gen.secret };
}

const ask = { model: "claude-sonnet-4-5-20250929", max_tokens: 64, messages: [{ role: "user" as const, content: "hi" }] };
const anthropic = (secret: string) => new Anthropic({ baseURL: relayUrl, apiKey: secret, maxRetries: 0 });
const openai = (secret: string) => new OpenAI({ baseURL: `${relayUrl}/v1`, apiKey: secret, maxRetries: 0 });

/** One request of each shape: Anthropic non-stream and stream, OpenAI chat; all must succeed. */
async function trio(secret: string): Promise<void> {
  await anthropic(secret).messages.create(ask);
  for await (const _ of await anthropic(secret).messages.create({ ...ask, stream: true }));
  await openai(secret).chat.completions.create({ model: "gpt-4o-2024-08-06", messages: [{ role: "user", content: "hi" }] });
}

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => null,
    (e: unknown) => e,
  );
}

describe("the relay while Postgres refuses connections", () => {
  it("serves cached keys, refuses keys revoked, rotated or suspended meanwhile, and flushes all of it afterwards", async () => {
    const { tenant, key: live, secret: liveSecret } = await createTenantWithKey("outage");
    const revoked = await addKey(tenant.id);
    const rotated = await addKey(tenant.id);
    const other = await createTenantWithKey("outage-suspended");
    const owner = await ownerCaller(tenant.id);
    const admin = await ownerCaller(other.tenant.id, true);

    // Warm the relay's caches: every key has been seen once while Postgres was up.
    for (const secret of [liveSecret, revoked.secret, rotated.secret, other.secret]) await anthropic(secret).messages.create(ask);
    let served = 1;
    // …and flushed, so that what Postgres holds during the outage is exactly the warm-up.
    const warmKeys = [live.id, revoked.key.id, rotated.key.id, other.key.id];
    const warmDeadline = Date.now() + 10_000;
    while ((await db.requestLog.count({ where: { apiKeyId: { in: warmKeys } } })) < 4 && Date.now() < warmDeadline) await sleep(100);

    await proxy.refuse();
    const refusedAt = Date.now();
    await sleep(KEY_CACHE_TTL_MS * 2);

    // Postgres is really away for the relay: a key it never read cannot be checked.
    const fresh = await addKey(tenant.id);
    const unknown = await errorOf(anthropic(fresh.secret).messages.create(ask));
    expect(unknown).toBeInstanceOf(Anthropic.InternalServerError);
    expect((unknown as InstanceType<typeof Anthropic.APIError>).status).toBe(503);

    // Several cache TTLs long: every request is served from the stale entry.
    const outageStartedAt = Date.now();
    while (Date.now() - outageStartedAt < 3_000) {
      await trio(liveSecret);
      served += 3;
      await sleep(KEY_CACHE_TTL_MS / 2);
    }

    // Revoked, rotated and suspended while the relay cannot read Postgres.
    await owner.apiKey.revoke({ tenantId: tenant.id, keyId: revoked.key.id });
    const { secret: rotatedSecret } = await owner.apiKey.rotate({ tenantId: tenant.id, keyId: rotated.key.id });
    await admin.admin.setSuspended({ tenantId: other.tenant.id, suspended: true });
    const upstreamBefore = stub.stats.requests.length;
    expect(await errorOf(anthropic(revoked.secret).messages.create(ask))).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(await errorOf(openai(revoked.secret).chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }))).toBeInstanceOf(
      OpenAI.AuthenticationError,
    );
    expect(await errorOf(anthropic(rotated.secret).messages.create(ask))).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(await errorOf(anthropic(other.secret).messages.create(ask))).toBeInstanceOf(Anthropic.BadRequestError);
    expect(await errorOf(anthropic(revoked.secret).messages.countTokens({ model: ask.model, messages: ask.messages }))).toBeInstanceOf(
      Anthropic.AuthenticationError,
    );
    expect(stub.stats.requests.length).toBe(upstreamBefore);

    await trio(liveSecret);
    served += 3;
    // Nothing reached Postgres yet: the flush runner could not write.
    expect(await db.requestLog.count({ where: { apiKeyId: live.id } })).toBe(1);

    await proxy.accept();
    const outageMs = Date.now() - refusedAt;
    const deadline = Date.now() + 20_000;
    while ((await db.requestLog.count({ where: { apiKeyId: live.id } })) < served && Date.now() < deadline) await sleep(200);
    await sleep(1_000); // a duplicate would show up now

    const rows = await db.requestLog.findMany({ where: { apiKeyId: live.id } });
    console.info(`[limits] Postgres outage of ${outageMs} ms: ${served - 1} requests served during it, ${rows.length - 1} recorded`);
    expect(rows).toHaveLength(served);
    expect(rows.every((r) => r.status === 200)).toBe(true);
    const rollups = await db.usageHourly.findMany({ where: { apiKeyId: live.id } });
    expect(rollups.reduce((s, r) => s + Number(r.requests), 0)).toBe(served);
    expect(rollups.reduce((s, r) => s + Number(r.costMicros), 0)).toBe(rows.reduce((s, r) => s + Number(r.costMicros), 0));
    // The refusals were recorded as well, against the right keys, with the right status.
    const refusalsOf = async (apiKeyId: string) =>
      (await db.requestLog.findMany({ where: { apiKeyId, status: { gte: 400 } }, select: { status: true, error: true } })).map((r) => `${r.status} ${r.error}`);
    expect((await refusalsOf(revoked.key.id)).sort()).toEqual(["401 quota: revoked", "401 quota: revoked"]);
    expect(await refusalsOf(rotated.key.id)).toEqual(["401 quota: revoked"]);
    expect(await refusalsOf(other.key.id)).toEqual(["400 quota: suspended"]);
    // The flush runner recovered by itself and is still running.
    expect(flusher.exitCode).toBeNull();
    // Postgres back: the new key works, and the rotated key's new secret too.
    await anthropic(fresh.secret).messages.create(ask);
    await anthropic(rotatedSecret).messages.create(ask);
  }, 90_000);
});
