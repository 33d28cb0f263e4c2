/**
 * The relay entry: a web Request in, a Response out, no framework. One call = authenticate,
 * validate, forward (with failover before the first byte), stream back untouched while a protocol
 * reader extracts usage on the side, and record the request exactly once when it has ended.
 */
import { randomUUID } from "node:crypto";
import type { Admission, QuotaCharge, QuotaReason } from "~/ledger";
import type { ProviderName, RequestEvent } from "~/ledger/types";
import { costOf, type PriceOverrides } from "~/pricing";
import { lookupRates } from "~/pricing/request";
import { ZERO_USAGE } from "~/ledger/types";
import { anthropicMessages, openAiChat, openAiResponses, type ProtocolAdapter } from "./adapters";
import { authenticate, isModelAllowed, type KeyLookup, type RelayKey } from "./auth";
import { errorResponse, RelayError, type WireProtocol } from "./errors";
import { JsonTap, passThrough, SseFrameFilter, SseTap, type BodyObserver } from "./observers";
import { relayBody, type BodyOutcome } from "./relay-stream";
import { refusesUnpriced, UNPRICED_REFUSAL_ERROR, unpricedRefusalMessage } from "./unpriced-policy";
import { readClientBody, type ClientBody } from "./request-body";
import {
  clientResponseHeaders,
  Cooldown,
  isRetryableStatus,
  upstreamRequestHeaders,
  upstreamUrl,
  type UpstreamFetch,
  type UpstreamTarget,
} from "./upstream";
import { asObject, NO_ANSWER, resolveUsage, stringField, type ResolvedUsage } from "./usage";

export type RelayEndpoint =
  | "anthropic-messages"
  | "anthropic-count-tokens"
  | "openai-chat"
  | "openai-responses"
  | "models"
  | "not-found";

export interface RelayContext {
  endpoint: RelayEndpoint;
  clientIp: string | null;
}

export type RelayHandler = (request: Request, ctx: RelayContext) => Promise<Response>;

export interface RelayDeps {
  /** Called exactly once per relayed (billable) request, after its response has ended. */
  record(event: RequestEvent, charge: QuotaCharge | null, priceOverrides: PriceOverrides): Promise<unknown>;
  /** Quota admission (one Redis script); absent = no quotas. A refusal is recorded, never forwarded. */
  admit?(key: RelayKey, requestId: string, estimateMicros: number): Promise<Admission>;
  lookupKey: KeyLookup;
  /** Upstreams to try, in order, for this key and provider. */
  targets(key: RelayKey, provider: ProviderName, model: string | null): Promise<UpstreamTarget[]> | UpstreamTarget[];
  fetchUpstream: UpstreamFetch;
  maxBodyBytes: number;
  now?: () => number;
  /** How long a failing upstream goes to the back of the line. */
  cooldownMs?: number;
  /** Failures that never reach the client (recording, upstream connection errors). */
  onError?: (error: unknown, context: string) => void;
}

const ADAPTERS: Partial<Record<RelayEndpoint, ProtocolAdapter>> = {
  "anthropic-messages": anthropicMessages,
  "openai-chat": openAiChat,
  "openai-responses": openAiResponses,
};

/** Bytes of an upstream error body kept to log its message. */
const ERROR_BODY_LIMIT = 64 * 1024;

/** Anthropic clients send anthropic-version (the SDK always does) or x-api-key; OpenAI clients send neither. */
export function protocolFromHeaders(headers: Headers): WireProtocol {
  return headers.has("anthropic-version") || headers.has("x-api-key") ? "anthropic" : "openai";
}

export function createRelay(deps: RelayDeps): RelayHandler {
  const now = deps.now ?? Date.now;
  const cooldown = new Cooldown(deps.cooldownMs ?? 30_000, now);
  const onError = deps.onError ?? (() => {});

  /** Sends to each target in turn until one answers with something other than a retryable failure. */
  async function sendWithFailover(
    targets: readonly UpstreamTarget[],
    request: Request,
    path: string,
    body: Uint8Array | string | null,
    signal: AbortSignal,
  ): Promise<Response> {
    const ordered = cooldown.order(targets);
    const q = request.url.indexOf("?");
    const search = q < 0 ? "" : request.url.slice(q);
    const bodyLength = body === null ? null : typeof body === "string" ? Buffer.byteLength(body) : body.byteLength;
    for (let i = 0; i < ordered.length; i++) {
      const target = ordered[i]!;
      const isLast = i === ordered.length - 1;
      let res: Response;
      try {
        res = await deps.fetchUpstream({
          method: request.method,
          url: upstreamUrl(target.baseUrl, path, search),
          headers: upstreamRequestHeaders(target, request.headers, bodyLength),
          body,
          signal,
        });
      } catch (error) {
        if (signal.aborted) throw error;
        onError(error, `upstream ${target.id} unreachable`);
        cooldown.mark(target.id);
        continue;
      }
      if (isRetryableStatus(res.status)) {
        cooldown.mark(target.id);
        if (!isLast) {
          await res.body?.cancel().catch(() => {});
          continue;
        }
      }
      return res;
    }
    throw new RelayError("upstream_unavailable", "The upstream could not be reached.");
  }

  async function resolveTargets(key: RelayKey, provider: ProviderName, model: string | null): Promise<UpstreamTarget[]> {
    const targets = await deps.targets(key, provider, model);
    if (targets.length === 0) throw new RelayError("upstream_unavailable", "No upstream is configured for this provider.");
    return targets;
  }

  /** count_tokens and models: authenticated, forwarded, not billed. */
  async function forwardUnbilled(request: Request, protocol: WireProtocol, path: string, provider: ProviderName): Promise<Response> {
    const key = await authenticate(request.headers, deps.lookupKey, now());
    let body: Uint8Array | null = null;
    if (request.method === "POST") body = (await readClientBody(request, deps.maxBodyBytes)).raw;
    else if (request.method !== "GET") throw new RelayError("method_not_allowed", `Method ${request.method} is not allowed here.`);
    const abort = new AbortController();
    request.signal.addEventListener("abort", () => abort.abort(), { once: true });
    const res = await sendWithFailover(await resolveTargets(key, provider, null), request, path, body, abort.signal);
    const relayed = relayBody(res.body ?? new ReadableStream(), passThrough, {
      onFirstByte: () => {},
      onEnd: () => {},
      abortUpstream: () => abort.abort(),
    });
    const headers = clientResponseHeaders(res.headers);
    headers.set("x-metergate-request-id", randomUUID());
    return new Response(relayed.body, { status: res.status, headers });
  }

  async function relayBilled(request: Request, ctx: RelayContext, adapter: ProtocolAdapter): Promise<Response> {
    const startedAt = now();
    const requestId = randomUUID();
    if (request.method !== "POST") throw new RelayError("method_not_allowed", `Method ${request.method} is not allowed here.`);
    const key = await authenticate(request.headers, deps.lookupKey, startedAt);
    const body = await readClientBody(request, deps.maxBodyBytes);
    if (!isModelAllowed(key, body.model)) {
      throw new RelayError("permission", `This API key may not use the model ${body.model}.`, "model");
    }
    const unpricedRefused =
      refusesUnpriced(key.unpricedModelPolicy ?? "refuse_when_capped", key.limits) &&
      lookupRates(adapter.provider, body.model, startedAt, key.priceOverrides) === null;
    const prepared = adapter.prepare(body.json, body.stream);
    const targets = await resolveTargets(key, adapter.provider, body.model);

    const base: Omit<RequestEvent, "status" | "usage" | "usageSource" | "latencyMs" | "ttfbMs" | "error"> = {
      id: requestId,
      apiKeyId: key.id,
      tenantId: key.tenantId,
      model: body.model,
      requestedModel: body.model,
      provider: adapter.provider,
      endpoint: adapter.path,
      stream: body.stream,
      startedAt,
      clientIp: ctx.clientIp,
      userAgent: request.headers.get("user-agent"),
    };
    let charge: QuotaCharge | null = null;
    type Outcome = Pick<RequestEvent, "status" | "usage" | "usageSource" | "ttfbMs" | "error"> &
      Partial<Pick<RequestEvent, "model" | "billing" | "reasoningTokens">>;
    const record = (fields: Outcome): void => {
      deps.record({ ...base, ...fields, latencyMs: now() - startedAt }, charge, key.priceOverrides).catch((e: unknown) => onError(e, "recording a request"));
    };

    if (unpricedRefused) {
      record({ status: 403, usage: { ...ZERO_USAGE }, usageSource: "UPSTREAM", ttfbMs: null, error: `${UNPRICED_REFUSAL_ERROR}: ${body.model}` });
      throw new RelayError("permission", unpricedRefusalMessage(body.model), "model");
    }

    if (deps.admit) {
      const admission = await deps.admit(key, requestId, inputCostEstimate(key, body.model, body.raw.byteLength));
      if (!admission.ok) {
        record({ status: admission.status, usage: { ...ZERO_USAGE }, usageSource: "UPSTREAM", ttfbMs: null, error: `quota: ${admission.reason}` });
        throw quotaError(admission.reason, admission.status, admission.retryAfterSec);
      }
      charge = admission.charge;
    }

    const abort = new AbortController();
    let onClientAbort: () => void = () => abort.abort();
    request.signal.addEventListener("abort", () => onClientAbort(), { once: true });

    let upstream: Response;
    try {
      upstream = await sendWithFailover(targets, request, adapter.path, prepared.upstreamBody ?? body.raw, abort.signal);
    } catch (error) {
      if (abort.signal.aborted) {
        // The client left before the upstream answered; the prompt was likely processed.
        estimateOnly(adapter, body)
          .then((usage) =>
            record({ status: 499, usage: usage.usage, usageSource: usage.source, ttfbMs: null, error: "client disconnected before the upstream answered" }),
          )
          .catch((e: unknown) => onError(e, "estimating a request"));
        return new Response(null, { status: 499 });
      }
      const message = error instanceof RelayError ? error.message : "upstream request failed";
      record({ status: 502, usage: { ...ZERO_USAGE }, usageSource: "UPSTREAM", ttfbMs: null, error: message });
      throw error instanceof RelayError ? error : new RelayError("upstream_unavailable", message);
    }

    const headers = clientResponseHeaders(upstream.headers);
    headers.set("x-metergate-request-id", requestId);
    const isSse = (upstream.headers.get("content-type") ?? "").includes("text/event-stream");
    if (isSse) {
      headers.set("cache-control", "no-cache");
      headers.set("x-accel-buffering", "no");
    }
    const ok = upstream.status < 400;
    const reader = adapter.createReader(prepared);
    let upstreamErrorBody: unknown = null;
    const observer: BodyObserver = !ok
      ? new JsonTap((b) => (upstreamErrorBody = b), ERROR_BODY_LIMIT)
      : isSse
        ? prepared.withholdUsageFrames
          ? new SseFrameFilter(reader)
          : new SseTap(reader)
        : new JsonTap((b) => reader.onJson(b), deps.maxBodyBytes);

    let ttfbMs: number | null = null;
    const finish = async (outcome: BodyOutcome): Promise<void> => {
      if (!ok) {
        const error = upstreamErrorMessage(upstreamErrorBody) ?? `upstream status ${upstream.status}`;
        record({ status: upstream.status, usage: { ...ZERO_USAGE }, usageSource: "UPSTREAM", ttfbMs, error });
        return;
      }
      const snapshot = reader.snapshot();
      const resolved: ResolvedUsage = await resolveUsage(snapshot, () => adapter.estimateInput(body.json));
      let status = upstream.status;
      let error: string | null = null;
      if (snapshot.error) {
        status = snapshot.error.status;
        error = snapshot.error.message;
      } else if (outcome.kind === "client_abort" && !snapshot.complete) {
        status = 499;
        error = "client disconnected";
      } else if (outcome.kind === "upstream_error") {
        status = 502;
        error = `upstream body failed: ${outcome.error instanceof Error ? outcome.error.message : String(outcome.error)}`;
      }
      record({
        status,
        usage: resolved.usage,
        usageSource: resolved.source,
        ttfbMs,
        error,
        model: billedModel(adapter.provider, body.model, snapshot.servedModel, startedAt, key.priceOverrides),
        billing: snapshot.billing,
        reasoningTokens: snapshot.reasoningTokens ?? 0,
      });
    };

    const relayed = relayBody(upstream.body ?? new ReadableStream(), observer, {
      onFirstByte: () => (ttfbMs = now() - startedAt),
      onEnd: (outcome) => void finish(outcome).catch((e: unknown) => onError(e, "finishing a request")),
      abortUpstream: () => abort.abort(),
    });
    onClientAbort = () => relayed.clientGone();
    if (request.signal.aborted) relayed.clientGone();
    return new Response(relayed.body, { status: upstream.status, headers });
  }

  return async function handleRelay(request: Request, ctx: RelayContext): Promise<Response> {
    const adapter = ADAPTERS[ctx.endpoint];
    const protocol: WireProtocol = adapter?.protocol ?? (ctx.endpoint === "anthropic-count-tokens" ? "anthropic" : protocolFromHeaders(request.headers));
    try {
      if (adapter) return await relayBilled(request, ctx, adapter);
      switch (ctx.endpoint) {
        case "anthropic-count-tokens":
          return await forwardUnbilled(request, "anthropic", "/v1/messages/count_tokens", "ANTHROPIC");
        case "models":
          return await forwardUnbilled(request, protocol, "/v1/models", protocol === "anthropic" ? "ANTHROPIC" : "OPENAI");
        default:
          throw new RelayError("not_found", `Unknown path: ${new URL(request.url).pathname}`);
      }
    } catch (error) {
      if (error instanceof RelayError) return errorResponse(protocol, error);
      onError(error, "relay");
      return errorResponse(protocol, new RelayError("api_error", "Internal relay error."));
    }
  };
}

/**
 * Bill the model that served (the response's `model`); the requested one stays in requestedModel.
 * An upstream naming a model without a price for a request to a priced one is not believed: that
 * would turn a capped, priced request into a silent $0, so the requested model is billed instead.
 */
function billedModel(provider: ProviderName, requested: string, served: string | null, at: number, overrides: PriceOverrides): string {
  if (served === null || served === requested) return requested;
  if (lookupRates(provider, served, at, overrides) !== null) return served;
  return lookupRates(provider, requested, at, overrides) !== null ? requested : served;
}

/** Bytes / 4 as tokens: a cheap, generous input estimate; only computed when a spend limit exists. */
function inputCostEstimate(key: RelayKey, model: string, bodyBytes: number): number {
  const l = key.limits;
  const capped =
    l.rateMaxCostMicros ?? l.dailyCostMicros ?? l.weeklyCostMicros ?? l.monthlyCostMicros ?? l.totalCostMicros ?? l.tenantMonthlyBudgetMicros;
  if (capped === null) return 0;
  const input = Math.ceil(bodyBytes / 4);
  return costOf(model, { input, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 }, key.priceOverrides).costMicros;
}

const QUOTA_MESSAGES: Record<QuotaReason, string> = {
  rate_requests: "Request rate limit of this API key reached.",
  rate_tokens: "Token rate limit of this API key reached.",
  rate_cost: "Spend rate limit of this API key reached.",
  concurrency: "Too many concurrent requests for this API key.",
  cost_daily: "Daily spend cap of this API key reached.",
  cost_weekly: "Weekly spend cap of this API key reached.",
  cost_monthly: "Monthly spend cap of this API key reached.",
  cost_total: "Total spend cap of this API key reached.",
  tokens_total: "Total token cap of this API key reached.",
  tenant_budget: "Monthly budget of this organization reached.",
  expired: "This API key has expired.",
};

function quotaError(reason: QuotaReason, status: 402 | 403 | 429, retryAfterSec: number | null): RelayError {
  const kind = status === 429 ? "rate_limit" : status === 402 ? "billing" : "permission";
  const headers: Record<string, string> = retryAfterSec !== null ? { "retry-after": String(retryAfterSec) } : {};
  return new RelayError(kind, QUOTA_MESSAGES[reason], null, headers);
}

async function estimateOnly(adapter: ProtocolAdapter, body: ClientBody): Promise<ResolvedUsage> {
  return resolveUsage({ input: null, output: 0, outputText: [], complete: false, error: null, ...NO_ANSWER }, () => adapter.estimateInput(body.json));
}

/** Both providers put the message at error.message. */
function upstreamErrorMessage(body: unknown): string | null {
  return stringField(asObject(asObject(body)?.error), "message");
}
