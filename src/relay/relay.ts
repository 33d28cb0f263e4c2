/**
 * The relay entry: a web Request in, a Response out, no framework. One call = authenticate,
 * validate, forward (with failover before the first byte), stream back untouched while a protocol
 * reader extracts usage on the side, and record the request exactly once when it has ended.
 */
import { randomUUID } from "node:crypto";
import { deploymentHopId, EgressRefusedError, EgressUrlError, HOP_HEADER, hopRefusal, sanitizeFetchError } from "~/egress";
import type { Admission, QuotaCharge, QuotaReason } from "~/ledger";
import type { ProviderName, RequestEvent } from "~/ledger/types";
import type { PriceOverrides } from "~/pricing";
import { ZERO_USAGE } from "~/ledger/types";
import { anthropicMessages, openAiChat, openAiResponses, type ProtocolAdapter } from "./adapters";
import { authenticate, isModelAllowed, type AuthenticatedKey, type KeyLookup, type RelayKey } from "./auth";
import { errorResponse, RelayError, type WireProtocol } from "./errors";
import { JsonTap, passThrough, SseFrameFilter, SseTap, type BodyObserver } from "./observers";
import { relayBody, type BodyOutcome } from "./relay-stream";
import { DEFAULT_MAX_OUTPUT_TOKENS, worstCaseMicros } from "./reservation";
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
import { asObject, resolveUsage, stringField, type ResolvedUsage } from "./usage";

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

/** An unbilled call (count_tokens, models), for the log line and metrics: never in the ledger. */
export interface UnbilledCall {
  endpoint: "anthropic-count-tokens" | "models";
  apiKeyId: string;
  tenantId: string;
  model: string | null;
  status: number;
  /** forwarded: the upstream answered < 400; upstream_error: it answered ≥ 400; refused: a limit said no. */
  outcome: "forwarded" | "upstream_error" | "refused";
  /** Why it was refused (a quota reason, or "model" for a model outside the key's list). */
  reason: QuotaReason | "model" | null;
  latencyMs: number;
}

export interface RelayDeps {
  /** Called exactly once per relayed (billable) request, after its response has ended. */
  record(event: RequestEvent, charge: QuotaCharge | null, priceOverrides: PriceOverrides): Promise<unknown>;
  /**
   * Quota admission (one Redis script); absent = no quotas. A refusal is recorded, never forwarded.
   * `reservationMicros` is the request's worst-case cost (0 for unbilled calls, which only check
   * key state, expiry and the request-rate window).
   */
  admit?(key: AuthenticatedKey, requestId: string, reservationMicros: number, request: { unbilled: boolean }): Promise<Admission>;
  /** Called once per unbilled call that got past authentication. */
  onUnbilled?(call: UnbilledCall): void;
  /** Output tokens reserved for a request without max_tokens (default 16,384). */
  defaultMaxOutputTokens?: number;
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
  /** This deployment's id in the loop-stop hop header (default: derived from ENCRYPTION_KEY). */
  hopId?: string;
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
  let hopIdCache = deps.hopId;
  const hopId = (): string => (hopIdCache ??= deploymentHopId());

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
    let refusedByPolicy = false;
    for (let i = 0; i < ordered.length; i++) {
      const target = ordered[i]!;
      const isLast = i === ordered.length - 1;
      let res: Response;
      try {
        // Checked again here, not only when saved: rows from before the rules, or edited in the database.
        const url = upstreamUrl(target.baseUrl, path, search);
        res = await deps.fetchUpstream({
          method: request.method,
          url,
          headers: upstreamRequestHeaders(target, request.headers, bodyLength, hopId()),
          body,
          signal,
          trusted: target.trusted === true,
        });
      } catch (error) {
        if (signal.aborted) throw error;
        // Never the raw error: undici's messages carry the URL, credentials included.
        const safe = sanitizeFetchError(error);
        if (safe instanceof EgressRefusedError || safe instanceof EgressUrlError) refusedByPolicy = true;
        onError(safe, `upstream ${target.id} unreachable`);
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
    throw new RelayError(
      "upstream_unavailable",
      refusedByPolicy
        ? "The upstream could not be reached: its address is not allowed by this gateway's egress policy."
        : "The upstream could not be reached.",
    );
  }

  async function resolveTargets(key: RelayKey, provider: ProviderName, model: string | null): Promise<UpstreamTarget[]> {
    const targets = await deps.targets(key, provider, model);
    if (targets.length === 0) throw new RelayError("upstream_unavailable", "No upstream is configured for this provider.");
    return targets;
  }

  /**
   * count_tokens and models: not billed, but held to the key's state (revoked, suspended,
   * expired), its allowed models (count_tokens names one) and its request-rate window, in the same
   * admission script as billed requests; logged and counted, never recorded in the ledger.
   */
  async function forwardUnbilled(request: Request, endpoint: UnbilledCall["endpoint"], path: string, provider: ProviderName): Promise<Response> {
    const startedAt = now();
    const requestId = randomUUID();
    const key = await authenticate(request.headers, deps.lookupKey, startedAt);
    let body: Uint8Array | null = null;
    let model: string | null = null;
    if (request.method === "POST") {
      const client = await readClientBody(request, deps.maxBodyBytes);
      body = client.raw;
      model = client.model;
    } else if (request.method !== "GET") throw new RelayError("method_not_allowed", `Method ${request.method} is not allowed here.`);
    const report = (status: number, outcome: UnbilledCall["outcome"], reason: UnbilledCall["reason"] = null) =>
      deps.onUnbilled?.({ endpoint, apiKeyId: key.id, tenantId: key.tenantId, model, status, outcome, reason, latencyMs: now() - startedAt });
    if (model !== null && !isModelAllowed(key, model)) {
      report(403, "refused", "model");
      throw new RelayError("permission", `This API key may not use the model ${model}.`, "model");
    }
    if (deps.admit) {
      const admission = await deps.admit(key, requestId, 0, { unbilled: true });
      if (!admission.ok) {
        report(admission.status, "refused", admission.reason);
        throw quotaError(admission.reason, admission.status, admission.retryAfterSec);
      }
    }
    const abort = new AbortController();
    request.signal.addEventListener("abort", () => abort.abort(), { once: true });
    const res = await sendWithFailover(await resolveTargets(key, provider, model), request, path, body, abort.signal);
    report(res.status, res.status < 400 ? "forwarded" : "upstream_error");
    const relayed = relayBody(res.body ?? new ReadableStream(), passThrough, {
      onFirstByte: () => {},
      onEnd: () => {},
      abortUpstream: () => abort.abort(),
    });
    const headers = clientResponseHeaders(res.headers);
    headers.set("x-metergate-request-id", requestId);
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
    const prepared = adapter.prepare(body.json, body.stream);
    const targets = await resolveTargets(key, adapter.provider, body.model);

    const base: Omit<RequestEvent, "status" | "usage" | "usageSource" | "latencyMs" | "ttfbMs" | "error"> = {
      id: requestId,
      apiKeyId: key.id,
      tenantId: key.tenantId,
      model: body.model,
      provider: adapter.provider,
      endpoint: adapter.path,
      stream: body.stream,
      startedAt,
      clientIp: ctx.clientIp,
      userAgent: request.headers.get("user-agent"),
    };
    let charge: QuotaCharge | null = null;
    const record = (fields: Pick<RequestEvent, "status" | "usage" | "usageSource" | "ttfbMs" | "error">): void => {
      deps.record({ ...base, ...fields, latencyMs: now() - startedAt }, charge, key.priceOverrides).catch((e: unknown) => onError(e, "recording a request"));
    };

    if (deps.admit) {
      const admission = await deps.admit(key, requestId, reservationFor(key, adapter, body, startedAt, deps.defaultMaxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS), { unbilled: false });
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
      record({ status, usage: resolved.usage, usageSource: resolved.source, ttfbMs, error });
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
      // A request this deployment already relayed: the upstream is (or leads back to) this gateway.
      const loop = hopRefusal(request.headers.get(HOP_HEADER), hopId());
      if (loop) throw new RelayError("loop_detected", loop);
      if (adapter) return await relayBilled(request, ctx, adapter);
      switch (ctx.endpoint) {
        case "anthropic-count-tokens":
          return await forwardUnbilled(request, "anthropic-count-tokens", "/v1/messages/count_tokens", "ANTHROPIC");
        case "models":
          return await forwardUnbilled(request, "models", "/v1/models", protocol === "anthropic" ? "ANTHROPIC" : "OPENAI");
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

/** The request's worst-case cost (src/relay/reservation.ts); only computed when a spend limit exists. */
function reservationFor(key: RelayKey, adapter: ProtocolAdapter, body: ClientBody, at: number, defaultMaxOutputTokens: number): number {
  const l = key.limits;
  const capped =
    l.rateMaxCostMicros ?? l.dailyCostMicros ?? l.weeklyCostMicros ?? l.monthlyCostMicros ?? l.totalCostMicros ?? l.tenantMonthlyBudgetMicros;
  if (capped === null) return 0;
  return worstCaseMicros({
    provider: adapter.provider,
    model: body.model,
    at,
    body: body.raw,
    maxOutputTokens: adapter.maxOutputTokens(body.json),
    defaultMaxOutputTokens,
    overrides: key.priceOverrides,
  });
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
  revoked: "This API key has been revoked.",
  suspended: "This organization is suspended.",
};

function quotaError(reason: QuotaReason, status: 401 | 402 | 403 | 429, retryAfterSec: number | null): RelayError {
  const kind = status === 429 ? "rate_limit" : status === 402 ? "billing" : status === 401 ? "authentication" : "permission";
  const headers: Record<string, string> = retryAfterSec !== null ? { "retry-after": String(retryAfterSec) } : {};
  return new RelayError(kind, QUOTA_MESSAGES[reason], null, headers);
}

async function estimateOnly(adapter: ProtocolAdapter, body: ClientBody): Promise<ResolvedUsage> {
  return resolveUsage({ input: null, output: 0, outputText: [], complete: false, error: null }, () => adapter.estimateInput(body.json));
}

/** Both providers put the message at error.message. */
function upstreamErrorMessage(body: unknown): string | null {
  return stringField(asObject(asObject(body)?.error), "message");
}
