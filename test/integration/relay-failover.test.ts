/**
 * Failover between upstreams: before the first byte only, with cool-down; tenant upstreams from
 * Postgres with encrypted credentials; a key bound to one upstream.
 */
import Anthropic from "@anthropic-ai/sdk";
import { unlimited } from "~/ledger";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createUpstreamFetch, encryptCredential, type UpstreamTarget } from "~/relay";
import { tenantTargets } from "~/server/relay/default";
import { egressPolicy } from "~/egress";
import { db } from "~/infra/db";
import { createTenantWithKey } from "../helpers/fixtures-db";
import { startRelayHarness, type RelayHarness } from "../helpers/relay-harness";
import { startStubUpstream, type StubUpstream } from "../../stub/upstream";

const PARAMS = { model: "claude-sonnet-4-5-20250929", max_tokens: 50, messages: [{ role: "user" as const, content: "hi" }] };

let primary: StubUpstream;
let secondary: StubUpstream;
let h: RelayHarness;
let client: Anthropic;
let targets: UpstreamTarget[];

beforeAll(async () => {
  primary = await startStubUpstream();
  secondary = await startStubUpstream();
  targets = [
    { id: "primary", provider: "ANTHROPIC", baseUrl: primary.url, credential: "sk-primary" },
    { id: "secondary", provider: "ANTHROPIC", baseUrl: secondary.url, credential: "sk-secondary" },
  ];
  // These targets are tenant-style (untrusted) upstreams on loopback: allowed explicitly.
  h = await startRelayHarness({
    targets: () => targets,
    cooldownMs: 60_000,
    fetchUpstream: createUpstreamFetch({ connectTimeoutMs: 500, idleTimeoutMs: 2_000, egress: { policy: egressPolicy({ allowCidrs: "127.0.0.0/8" }) } }),
  });
  client = new Anthropic({ apiKey: (await createTenantWithKey("failover")).secret, baseURL: h.relay.url, maxRetries: 0 });
});

afterAll(async () => {
  await h.close();
  await primary.close();
  await secondary.close();
});

beforeEach(() => {
  for (const s of [primary, secondary]) {
    s.knobs = {};
    s.stats.reset();
  }
});

describe("failover", () => {
  it("529 before the first byte: the next upstream answers, the failing one cools down", async () => {
    targets = [targets[0]!, targets[1]!].map((t, i) => ({ ...t, id: `529-${i}` }));
    primary.knobs = { status: 529 };
    const msg = await client.messages.create(PARAMS);
    expect(msg.usage.output_tokens).toBe(89);
    expect(primary.stats.requests).toHaveLength(1);
    expect(secondary.stats.requests).toHaveLength(1);
    expect(secondary.stats.last()!.headers["x-api-key"]).toBe("sk-secondary");
    expect((await h.nextRecord()).status).toBe(200);
    // Cooled down: the next request goes straight to the secondary.
    await client.messages.create(PARAMS);
    expect(primary.stats.requests).toHaveLength(1);
    expect(secondary.stats.requests).toHaveLength(2);
    await h.nextRecord();
  });

  it("connection refused: the next upstream answers", async () => {
    targets = [{ id: "dead", provider: "ANTHROPIC", baseUrl: "http://127.0.0.1:1", credential: "x" }, { ...targets[1]!, id: "alive" }];
    const msg = await client.messages.create(PARAMS);
    expect(msg.usage.output_tokens).toBe(89);
    await h.nextRecord();
  });

  it("the last upstream's 429 is passed through", async () => {
    targets = [{ ...targets[1]!, id: "only" }];
    secondary.knobs = { status: 429 };
    expect(await client.messages.create(PARAMS).catch((e: unknown) => e)).toBeInstanceOf(Anthropic.RateLimitError);
    await h.nextRecord();
  });

  it("all unreachable: 502 in the caller's shape, recorded as an error", async () => {
    targets = [{ id: "dead-a", provider: "ANTHROPIC", baseUrl: "http://127.0.0.1:1", credential: "x" }];
    const err = await client.messages.create(PARAMS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(502);
    expect((await h.nextRecord()).status).toBe(502);
  });

  it("never retries after the first byte: a mid-stream error reaches the client", async () => {
    targets = [{ ...targets[0]!, baseUrl: primary.url, id: "mid-a" }, { id: "mid-b", provider: "ANTHROPIC", baseUrl: secondary.url, credential: "y" }];
    primary.knobs = { fixture: "stream-error-midway" };
    const stream = await client.messages.create({ ...PARAMS, stream: true });
    const err = await (async () => {
      for await (const _ of stream) void _;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(secondary.stats.requests).toHaveLength(0);
    expect((await h.nextRecord()).status).toBe(529);
  });
});

describe("tenant upstreams from Postgres", () => {
  it("decrypts credentials, orders by priority, honours model lists and key binding", async () => {
    const { tenant, key } = await createTenantWithKey("upstreams");
    const mk = (name: string, priority: number, models: string[] = []) =>
      db.upstream.create({
        data: { tenantId: tenant.id, name, provider: "ANTHROPIC", baseUrl: `https://${name}.example`, credentialEnc: encryptCredential(`sk-${name}`), models, priority },
      });
    const second = await mk("second", 2);
    await mk("first", 1);
    await mk("haiku-only", 0, ["claude-haiku-*"]);
    const relayKey = { id: key.id, tenantId: tenant.id, revokedAt: null, expiresAt: null, firstUsedAt: null, expiresAfterFirstUseDays: null, tenantSuspendedAt: null, allowedModels: [], upstreamId: null, limits: unlimited(key.id, tenant.id), priceOverrides: {} };
    const t = await tenantTargets(relayKey, "ANTHROPIC", "claude-sonnet-4-5");
    expect(t.map((x) => [x.baseUrl, x.credential])).toEqual([
      ["https://first.example", "sk-first"],
      ["https://second.example", "sk-second"],
    ]);
    const bound = await tenantTargets({ ...relayKey, upstreamId: second.id }, "ANTHROPIC", "claude-sonnet-4-5");
    expect(bound.map((x) => x.credential)).toEqual(["sk-second"]);
    // No OpenAI upstream configured: the deployment default.
    expect((await tenantTargets(relayKey, "OPENAI", "gpt-4o"))[0]!.id).toBe("env:OPENAI");
  });
});
