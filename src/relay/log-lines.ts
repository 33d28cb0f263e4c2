/**
 * The relay's log lines: one per relayed request (like the stats log of common gateways) and one
 * per unbilled call. The logger and the secret scrubbing are infra's; what a line holds is the relay's.
 */
import type { Logger } from "pino";
import { logger, scrubSecrets, writePreserialized } from "~/infra/observability/logger";
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

const str = JSON.stringify;

/**
 * The same fields as requestLogFields, in the same order, serialised by hand: one string per
 * request instead of an object tree walked by pino and its redaction. Every value is safe as it
 * is (ids, labels, numbers) except the free text, which is scrubbed as in requestLogFields.
 */
export function requestLogProps(event: RequestEvent, cost: CostInput): string {
  const costMicros = typeof cost === "number" ? cost : cost.costMicros;
  const priced = typeof cost === "number" ? undefined : cost.priced;
  const u = event.usage;
  const total = u.input + u.output + u.cacheWrite5m + u.cacheWrite1h + u.cacheRead;
  let s =
    `,"reqId":${str(event.id)},"model":${str(event.model)},"provider":${str(event.provider.toLowerCase())}` +
    `,"endpoint":${str(event.endpoint)},"keyId":${str(event.apiKeyId)},"tenantId":${str(event.tenantId)}` +
    `,"stream":${event.stream},"status":${num(event.status)}` +
    `,"tokens":{"input":${num(u.input)},"output":${num(u.output)},"cacheWrite5m":${num(u.cacheWrite5m)},"cacheWrite1h":${num(u.cacheWrite1h)},"cacheRead":${num(u.cacheRead)},"total":${num(total)}}` +
    `,"costUsd":${str(microsToDollars(costMicros))},"costMicros":${num(costMicros)}`;
  if (priced === false) s += `,"priced":false`;
  s +=
    `,"durationMs":${num(Math.round(event.latencyMs))},"ttfbMs":${event.ttfbMs === null ? "null" : num(Math.round(event.ttfbMs))}` +
    `,"usageSource":${str(event.usageSource.toLowerCase())}`;
  if (event.clientIp) s += `,"clientIp":${str(event.clientIp)}`;
  if (event.userAgent) s += `,"userAgent":${str(scrubSecrets(event.userAgent, 200))}`;
  if (event.error) s += `,"error":${str(scrubSecrets(event.error))}`;
  return s;
}

/** A number as JSON writes it (NaN and infinities become null, as in JSON.stringify and pino). */
const num = (n: number): string => (Number.isFinite(n) ? String(n) : "null");

/**
 * One line per relayed request, like the stats log of common gateways. Info for successes and
 * client errors, warn for upstream/server errors (status >= 500).
 */
export function logRequest(event: RequestEvent, cost: CostInput, log: Logger = logger): void {
  writePreserialized(log, event.status >= 500 ? "warn" : "info", requestLogProps(event, cost), "request");
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
