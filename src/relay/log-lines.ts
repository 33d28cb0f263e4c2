/**
 * The relay's log lines: one per relayed request (like the stats log of common gateways) and one
 * per unbilled call. The logger and the secret scrubbing are infra's; what a line holds is the relay's.
 */
import type { Logger } from "pino";
import { logger, scrubSecrets } from "~/infra/observability/logger";
import type { RequestEvent } from "~/ledger/types";
import { microsToDollars } from "~/lib/money";
import type { UnbilledCall } from "./relay";

export type CostInput = number | { costMicros: number; priced?: boolean };

/** The fields of the per-request stats line (exported for tests and for other sinks). */
export function requestLogFields(event: RequestEvent, cost: CostInput) {
  const costMicros = typeof cost === "number" ? cost : cost.costMicros;
  const priced = typeof cost === "number" ? undefined : cost.priced;
  const u = event.usage;
  return {
    reqId: event.id,
    model: event.model,
    provider: event.provider.toLowerCase(),
    endpoint: event.endpoint,
    keyId: event.apiKeyId,
    tenantId: event.tenantId,
    stream: event.stream,
    status: event.status,
    tokens: {
      input: u.input,
      output: u.output,
      cacheWrite5m: u.cacheWrite5m,
      cacheWrite1h: u.cacheWrite1h,
      cacheRead: u.cacheRead,
      total: u.input + u.output + u.cacheWrite5m + u.cacheWrite1h + u.cacheRead,
    },
    costUsd: microsToDollars(costMicros),
    costMicros,
    ...(priced === false ? { priced: false } : {}),
    durationMs: Math.round(event.latencyMs),
    ttfbMs: event.ttfbMs === null ? null : Math.round(event.ttfbMs),
    usageSource: event.usageSource.toLowerCase(),
    ...(event.clientIp ? { clientIp: event.clientIp } : {}),
    ...(event.userAgent ? { userAgent: scrubSecrets(event.userAgent, 200) } : {}),
    ...(event.error ? { error: scrubSecrets(event.error) } : {}),
  };
}

/**
 * One line per relayed request, like the stats log of common gateways. Info for successes and
 * client errors, warn for upstream/server errors (status >= 500).
 */
export function logRequest(event: RequestEvent, cost: CostInput, log: Logger = logger): void {
  const fields = requestLogFields(event, cost);
  if (event.status >= 500) log.warn(fields, "request");
  else log.info(fields, "request");
}

/** The metrics / log label of an unbilled endpoint. */
export const unbilledEndpointLabel = (endpoint: UnbilledCall["endpoint"]): "count_tokens" | "models" =>
  endpoint === "anthropic-count-tokens" ? "count_tokens" : "models";

/** One line per unbilled call (count_tokens, models): they are in no request log, so this is their trace. */
export function logUnbilled(call: UnbilledCall, log: Logger = logger): void {
  const fields = {
    endpoint: unbilledEndpointLabel(call.endpoint),
    keyId: call.apiKeyId,
    tenantId: call.tenantId,
    model: call.model,
    status: call.status,
    outcome: call.outcome,
    ...(call.reason ? { reason: call.reason } : {}),
    durationMs: Math.round(call.latencyMs),
    billed: false,
  };
  if (call.status >= 500) log.warn(fields, "unbilled request");
  else log.info(fields, "unbilled request");
}
