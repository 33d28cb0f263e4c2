import { describe, expect, it } from "vitest";
import type { RequestEvent } from "~/ledger/types";
import { createLogger, formatPretty, scrubSecrets } from "~/infra/observability/logger";
import { metricsAuthorized, statusClass, wordLabel } from "~/infra/observability/metrics";
import { measureBacklog, streamIdMs, type BacklogRedis } from "~/ledger/metrics";
import { microsToDollars } from "~/lib/money";
import { logRequest, requestLogFields } from "~/relay/log-lines";
import { endpointLabel, modelLabel } from "~/relay/metrics";
import { createMetrics, metrics } from "~/server/metrics";

function event(over: Partial<RequestEvent> = {}): RequestEvent {
  return {
    id: "req_1",
    apiKeyId: "7d1f7a52-0000-4000-8000-000000000001",
    tenantId: "tenant_1",
    model: "claude-sonnet-4-5-20250929",
    provider: "ANTHROPIC",
    endpoint: "/v1/messages",
    stream: true,
    status: 200,
    usage: { input: 472, output: 89, cacheWrite5m: 1024, cacheWrite1h: 1024, cacheRead: 10240 },
    usageSource: "UPSTREAM",
    startedAt: 1_763_000_000_000,
    latencyMs: 1234,
    ttfbMs: 210,
    clientIp: "203.0.113.9",
    userAgent: "curl/8",
    error: null,
    ...over,
  };
}

const noBacklog = async () => ({ lagSeconds: 0, pending: 0 });

describe("metric labels are bounded", () => {
  it("folds dated model ids onto the price table and unknown models into other", () => {
    expect(modelLabel("claude-sonnet-4-5-20250929")).toBe("claude-sonnet-4-5");
    expect(modelLabel("gpt-4o-2024-08-06")).toBe("gpt-4o");
    expect(modelLabel("gpt-4o")).toBe("gpt-4o");
    expect(modelLabel("my-finetune-abc123")).toBe("other");
    expect(modelLabel("constructor")).toBe("other");
    expect(modelLabel("__proto__")).toBe("other");
  });

  it("bounds endpoints, statuses and free words", () => {
    expect(endpointLabel("/v1/messages")).toBe("/v1/messages");
    expect(endpointLabel("/v1/chat/completions?x=1")).toBe("/v1/chat/completions");
    expect(endpointLabel("/v1/whatever/123")).toBe("other");
    expect(statusClass(200)).toBe("2xx");
    expect(statusClass(529)).toBe("5xx");
    expect(statusClass(0)).toBe("other");
    expect(wordLabel("rate_requests")).toBe("rate_requests");
    expect(wordLabel("key 7d1f7a52 over budget")).toBe("other");
  });

  it("never puts key or tenant ids in labels unless enabled", async () => {
    const m = createMetrics({ defaultMetrics: false, backlog: noBacklog, keyLabels: false });
    for (let i = 0; i < 50; i++) m.relay.observeRequest(event({ model: `custom-model-${i}`, apiKeyId: `key-${i}` }), 10);
    const text = await m.text();
    expect(text).not.toContain("key-");
    expect(text).not.toContain("tenant_1");
    expect(text).not.toContain("custom-model");
    expect(text).toContain('metergate_relay_requests_total{provider="anthropic",model="other",endpoint="/v1/messages",status_class="2xx"} 50');
  });

  it("adds api_key_id and tenant_id when METRICS_KEY_LABELS is on", async () => {
    const m = createMetrics({ defaultMetrics: false, backlog: noBacklog, keyLabels: true });
    m.relay.observeRequest(event(), 15807);
    const text = await m.text();
    expect(text).toContain('api_key_id="7d1f7a52-0000-4000-8000-000000000001"');
    expect(text).toContain('tenant_id="tenant_1"');
  });
});

describe("observeRequest / observeFlush / refusals", () => {
  it("counts requests, tokens by kind, cost, latency and ttfb", async () => {
    const m = createMetrics({ defaultMetrics: false, backlog: noBacklog });
    m.relay.observeRequest(event(), 15807);
    m.relay.observeRequest(event({ status: 529, error: "overloaded_error", usageSource: "ESTIMATED", ttfbMs: null }), 0);
    const text = await m.text();
    const l = 'provider="anthropic",model="claude-sonnet-4-5"';
    expect(text).toContain(`metergate_relay_tokens_total{${l},kind="input"} 944`);
    expect(text).toContain(`metergate_relay_tokens_total{${l},kind="cache_read"} 20480`);
    expect(text).toContain(`metergate_relay_cost_micro_dollars_total{${l}} 15807`);
    expect(text).toContain(`metergate_relay_errors_total{${l},status_class="5xx"} 1`);
    expect(text).toContain(`metergate_relay_estimated_usage_total{${l}} 1`);
    expect(text).toContain(`metergate_relay_request_duration_seconds_count{${l}} 2`);
    expect(text).toContain(`metergate_relay_request_duration_seconds_sum{${l}} 2.468`);
    expect(text).toContain(`metergate_relay_time_to_first_byte_seconds_count{${l}} 1`);
    expect(text).toContain(`metergate_relay_time_to_first_byte_seconds_bucket{le="0.25",${l}} 1`);
  });

  it("records flush batches, outcomes and runs; empty runs only count as runs", async () => {
    const m = createMetrics({ defaultMetrics: false, backlog: noBacklog });
    m.ledger.observeFlush({ read: 0, inserted: 0, acked: 0, invalid: 0 }, 1);
    m.ledger.observeFlush({ read: 120, inserted: 100, acked: 120, invalid: 2 }, 40);
    m.ledger.observeFlushError();
    const text = await m.text();
    expect(text).toContain('metergate_flush_runs_total{result="ok"} 2');
    expect(text).toContain('metergate_flush_runs_total{result="error"} 1');
    expect(text).toContain("metergate_flush_batch_events_count 1");
    expect(text).toContain("metergate_flush_batch_events_sum 120");
    expect(text).toContain('metergate_flush_events_total{outcome="inserted"} 100');
    expect(text).toContain('metergate_flush_events_total{outcome="duplicate"} 18');
    expect(text).toContain('metergate_flush_events_total{outcome="invalid"} 2');
  });

  it("counts quota refusals and store errors with bounded labels", async () => {
    const m = createMetrics({ defaultMetrics: false, backlog: noBacklog });
    m.relay.observeQuotaRefusal("concurrency");
    m.relay.observeQuotaRefusal("Key abc is over budget");
    m.store.observeRedisError("record");
    m.store.observePostgresError("flush");
    const text = await m.text();
    expect(text).toContain('metergate_quota_refusals_total{reason="concurrency"} 1');
    expect(text).toContain('metergate_quota_refusals_total{reason="other"} 1');
    expect(text).toContain('metergate_redis_errors_total{op="record"} 1');
    expect(text).toContain('metergate_postgres_errors_total{op="flush"} 1');
  });
});

describe("flush lag", () => {
  it("reads the ms part of stream ids", () => {
    expect(streamIdMs("1732352400000-3")).toBe(1_732_352_400_000);
    expect(Number.isNaN(streamIdMs("nope"))).toBe(true);
  });

  it("is the age of the oldest first entry across streams, 0 when empty", async () => {
    const streams: Record<string, string[]> = { a: ["1000-0", "1500-0"], b: ["800-1"], c: [] };
    const fake: BacklogRedis = {
      xrange: async (key) => (streams[key] ?? []).slice(0, 1).map((id) => [id, ["e", "{}"]] as [string, string[]]),
      xlen: async (key) => (streams[key] ?? []).length,
    };
    expect(await measureBacklog(fake, ["a", "b", "c"], 3_000)).toEqual({ lagSeconds: 2.2, pending: 3 });
    expect(await measureBacklog(fake, ["c"], 3_000)).toEqual({ lagSeconds: 0, pending: 0 });
  });

  it("is exported on scrape; NaN and a redis error when the backlog cannot be read", async () => {
    const ok = createMetrics({ defaultMetrics: false, backlog: async () => ({ lagSeconds: 4.5, pending: 7 }) });
    const t1 = await ok.text();
    expect(t1).toContain("metergate_flush_lag_seconds 4.5");
    expect(t1).toContain("metergate_flush_pending_events 7");
    const down = createMetrics({ defaultMetrics: false, backlog: () => Promise.reject(new Error("ECONNREFUSED")) });
    const t2 = await down.text();
    expect(t2).toContain("metergate_flush_lag_seconds Nan"); // prom-client's spelling; Prometheus parses it
    // The failure is counted while this scrape is being assembled: visible from the next one.
    await new Promise((r) => setTimeout(r, 1100));
    expect(await down.text()).toContain('metergate_redis_errors_total{op="metrics_backlog"} 2');
  });
});

describe("process registry", () => {
  it("is one instance per process (survives module reloads) and includes process metrics", async () => {
    expect(metrics()).toBe(metrics());
    const text = (await metrics().registry.getSingleMetricAsString("process_cpu_user_seconds_total")) ?? "";
    expect(text).toContain("process_cpu_user_seconds_total");
  });

  it("guards the endpoint with METRICS_TOKEN when set", () => {
    expect(metricsAuthorized(null, undefined)).toBe(true);
    expect(metricsAuthorized(null, "s3cret")).toBe(false);
    expect(metricsAuthorized("Bearer nope", "s3cret")).toBe(false);
    expect(metricsAuthorized("Bearer s3cret", "s3cret")).toBe(true);
  });
});

describe("logger", () => {
  function capture(format: "json" | "pretty") {
    const lines: string[] = [];
    const log = createLogger({ level: "info", format, destination: { write: (s: string) => void lines.push(s) } });
    return { log, lines };
  }

  it("writes one JSON stats line per request with cost as dollars and micros", () => {
    const { log, lines } = capture("json");
    logRequest(event(), { costMicros: 15807, priced: true }, log);
    expect(lines).toHaveLength(1);
    const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(rec).toMatchObject({
      level: "info",
      msg: "request",
      model: "claude-sonnet-4-5-20250929",
      keyId: "7d1f7a52-0000-4000-8000-000000000001",
      tenantId: "tenant_1",
      costUsd: "0.015807",
      costMicros: 15807,
      durationMs: 1234,
      ttfbMs: 210,
      stream: true,
      status: 200,
      usageSource: "upstream",
      tokens: { input: 472, output: 89, cacheWrite5m: 1024, cacheWrite1h: 1024, cacheRead: 10240, total: 12849 },
    });
  });

  it("writes the same line as pino would from requestLogFields (the hand-built line skips only pino's redaction walk)", () => {
    const cases: Array<[RequestEvent, Parameters<typeof logRequest>[1]]> = [
      [event(), { costMicros: 15807, priced: true }],
      [event({ status: 529, error: 'boom "quoted" \\ sk-ant-api03-AAAAAAAAAAAA\nline', ttfbMs: null, clientIp: null, userAgent: null }), { costMicros: 0, priced: false }],
      [event({ model: 'we"ird\u2028model', usageSource: "ESTIMATED", latencyMs: 12.6, ttfbMs: 3.4, userAgent: "ua \u0000 mg-ABCDEFGHIJKLMNOP" }), 7],
    ];
    for (const [e, cost] of cases) {
      const fast = capture("json");
      const slow = capture("json");
      logRequest(e, cost, fast.log.child({ component: "relay" }));
      const level = e.status >= 500 ? "warn" : "info";
      slow.log.child({ component: "relay" })[level](requestLogFields(e, cost), "request");
      const [a, b] = [JSON.parse(fast.lines[0]!) as Record<string, unknown>, JSON.parse(slow.lines[0]!) as Record<string, unknown>];
      expect(typeof a.time).toBe("string");
      delete a.time;
      delete b.time;
      expect(a).toEqual(b);
      expect(Object.keys(a)).toEqual(Object.keys(b));
      expect(fast.lines[0]).not.toContain("AAAAAAAA");
      expect(fast.lines[0]).not.toContain("ABCDEFGH");
      expect(fast.lines[0]!.endsWith("}\n")).toBe(true);
    }
    const quiet = createLogger({ level: "warn", format: "json", destination: { write: () => expect.unreachable() } });
    logRequest(event(), 1, quiet);
  });

  it("logs upstream errors at warn and scrubs credentials from free text", () => {
    const { log, lines } = capture("json");
    const err = "upstream said: invalid x-api-key sk-ant-api03-AAAAAAAAAAAAAAAAAAAA (Bearer abcdefghijkl)";
    logRequest(event({ status: 502, error: err, userAgent: "bot mg-ABCDEFGHIJKLMNOP" }), 0, log);
    const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(rec.level).toBe("warn");
    expect(String(rec.error)).not.toContain("AAAAAAAA");
    expect(String(rec.error)).not.toContain("abcdefghijkl");
    expect(String(rec.userAgent)).not.toContain("ABCDEFGH");
  });

  it("redacts credential fields by path", () => {
    const { log, lines } = capture("json");
    log.info({ headers: { authorization: "Bearer sk-zzzzzzzzzzzz", "x-api-key": "mg-yyyyyyyyyyyy" }, apiKey: "k", upstream: { password: "p" } }, "x");
    const line = lines[0]!;
    expect(line).not.toContain("zzzz");
    expect(line).not.toContain("yyyy");
    expect(line).not.toContain('"k"');
    expect(line).not.toContain('"p"');
    expect(line).toContain("[redacted]");
  });

  it("has a human text format for development", () => {
    const { log, lines } = capture("pretty");
    logRequest(event(), 15807, log);
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO  request reqId=req_1 model=claude-sonnet-4-5-20250929 /);
    expect(lines[0]).toContain("costUsd=0.015807");
    expect(lines[0]).toContain("tokens=input:472,output:89,");
    expect(lines[0]!.endsWith("\n")).toBe(true);
    expect(formatPretty("not json")).toBe("not json\n");
  });

  it("formats micro-dollars exactly", () => {
    expect(microsToDollars(15807)).toBe("0.015807");
    expect(microsToDollars(12_345_678_901n)).toBe("12345.678901");
    expect(microsToDollars(-5)).toBe("-0.000005");
    expect(scrubSecrets("postgres://u:pw@h/db")).toBe("postgres://[redacted]@h/db");
  });
});
