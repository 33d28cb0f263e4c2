/** Request events for ledger tests: by default the stream-basic fixture's usage on Sonnet 4.5. */
import { randomUUID } from "node:crypto";
import type { RequestEvent } from "~/ledger";

/** What `requestEvent` costs by default: 472×3 + 89×15 + 1024×3.75 + 1024×6 + 10240×0.3 µ$. */
export const STREAM_BASIC_COST_MICROS = 15807;

export function requestEvent(tenantId: string, apiKeyId: string, over: Partial<RequestEvent> = {}): RequestEvent {
  return {
    id: randomUUID(),
    apiKeyId,
    tenantId,
    model: "claude-sonnet-4-5-20250929",
    provider: "ANTHROPIC",
    endpoint: "/v1/messages",
    stream: true,
    status: 200,
    usage: { input: 472, output: 89, cacheWrite5m: 1024, cacheWrite1h: 1024, cacheRead: 10240 },
    usageSource: "UPSTREAM",
    startedAt: Date.now(),
    latencyMs: 120,
    ttfbMs: 30,
    clientIp: "127.0.0.1",
    userAgent: "test",
    error: null,
    ...over,
  };
}
