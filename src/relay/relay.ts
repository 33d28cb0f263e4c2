/**
 * The relay entry: a web Request in, a Response out, no framework. One call = authenticate,
 * validate, forward (with failover before the first byte), stream back untouched while a protocol
 * reader extracts usage on the side, and record the request exactly once when it has ended.
 */
import { randomUUID } from "node:crypto";
import { deploymentHopId, EgressRefusedError, EgressUrlError, HOP_HEADER, hopRefusal, sanitizeFetchError } from "~/egress";
import type { Admission, LeaseDraft, QuotaCharge } from "~/ledger";
import type { ProviderName, RequestEvent } from "~/ledger/types";
import { costOf, type PriceOverrides } from "~/pricing";
import { lookupRates } from "~/pricing/request";
import { ZERO_USAGE } from "~/ledger/types";
import { attributionOf } from "~/ledger/attribution";
import { anthropicMessages, openAiChat, openAiResponses, type ProtocolAdapter } from "./adapters";
import { authenticate, isModelAllowed, type AuthenticatedKey, type KeyLookup, type RelayKey } from "./auth";
import { errorResponse, RelayError, type RefusalReason, type WireProtocol } from "./errors";
import { RelayShutdownError, type RelayLifecycle, type RequestTicket } from "./lifecycle";
import { JsonTap, passThrough, SseFrameFilter, SseTap, type BodyObserver } from "./observers";
import { relayBody, relayedResponse, type BodyOutcome } from "./relay-stream";
import { DEFAULT_MAX_OUTPUT_TOKENS, worstCaseMicros } from "./reservation";
import { refusesUnpriced } from "./unpriced-policy";
import { clientIsGone, onClientGone, readClientBody, type ClientBody, type RelayRequest } from "./request-body";
import { redactApiKeys } from "~/keys";
import { ENDPOINT_METHODS, modelsUpstreamPath, pathnameOf } from "./routes";
import {
  clientResponseHeaders,
  Cooldown,
  discardBody,
  isRetryableStatus,
  upstreamHeader,
  upstreamRequestHeaders,
  upstreamUrl,
  type HeaderReader,
  type UpstreamFetch,
  type UpstreamResponse,
  type UpstreamTarget,
  UpstreamAbort,
} from "./upstream";
import { asObject, NO_ANSWER, resolveUsage, stringField, type JsonObject, type ResolvedUsage } from "./usage";

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

/** A web Request fits as it is; the relay tier passes a lighter node view (src/relay/node-server.ts). */
export type RelayHandler = (request: RelayRequest, ctx: RelayContext) => Promise<Response>;

/**
 * A request the relay does not serve (unknown path, a method the endpoint has not, a WebSocket
 * upgrade), answered before any key check or upstream call: logged and counted, never recorded.
 */
export interface UnservedRequest {
  endpoint: RelayEndpoint;
  outcome: "not_found" | "method_not_allowed" | "upgrade_refused";
  method: string;
  path: string;
  status: number;
  clientIp: string | null;
  userAgent: string | null;
}

/** An unbilled call (count_tokens, models), for the log line and metrics: never in the ledger. */
export interface UnbilledCall {
  endpoint: "anthropic-count-tokens" | "models";
  apiKeyId: string;
  tenantId: string;
  model: string | null;
  status: number;
  /** forwarded: the upstream answered < 400; upstream_error: it answered ≥ 400; refused: a limit said no. */
  outcome: "forwarded" | "upstream_error" | "refused";
  /** Why it was refused, or null. */
  reason: RefusalReason | null;
  latencyMs: number;
}

export interface RelayDeps {
  /** Called exactly once per relayed (billable) request, after its response has ended. */
  record(event: RequestEvent, charge: QuotaCharge | null, priceOverrides: PriceOverrides): Promise<unknown>;
  /**
   * Quota admission (one Redis script); absent = no quotas. A refusal is recorded, never forwarded.
   * `reservationMicros` is the request's worst-case cost (0 for unbilled calls, which only check
   * key state, expiry and the request-rate window). `lease` (billed requests) is what admission
   * keeps with the lease to bill the request if its process dies.
   */
  admit?(
    key: AuthenticatedKey,
    requestId: string,
    reservationMicros: number,
    request: { unbilled: boolean; lease?: LeaseDraft },
  ): Promise<Admission>;
  /** Called once per unbilled call that got past authentication. */
  onUnbilled?(call: UnbilledCall): void;
  /** Output tokens reserved for a request without max_tokens (default 16,384). */
  defaultMaxOutputTokens?: number;
  /** Open requests, for a graceful shutdown (drain); absent = not tracked. */
  lifecycle?: RelayLifecycle;
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
  /** Every refusal the relay decides on its own (limits, key state, model policy), by reason. */
  onRefusal?: (reason: RefusalReason) => void;
  /** Every request the relay does not serve (unknown path, wrong method, refused upgrade). */
  onUnserved?: (event: UnservedRequest) => void;
}

const ADAPTERS: Partial<Record<RelayEndpoint, ProtocolAdapter>> = {
  "anthropic-messages": anthropicMessages,
  "openai-chat": openAiChat,
  "openai-responses": openAiResponses,
};

/** Bytes of an upstream error body kept to log its message. */
const ERROR_BODY_LIMIT = 64 * 1024;

/** A WebSocket opening handshake (Codex's Responses WebSocket mode). */
export function isWebSocketUpgrade(headers: HeaderReader): boolean {
  return /\bwebsocket\b/i.test(headers.get("upgrade") ?? "");
}

/** Anthropic clients send anthropic-version (the SDK always does) or x-api-key; OpenAI clients send neither. */
export function protocolFromHeaders(headers: HeaderReader): WireProtocol {
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
    request: RelayRequest,
    path: string,
    body: Uint8Array | string | null,
    signal: UpstreamAbort,
    method: string = request.method,
  ): Promise<UpstreamResponse> {
    const ordered = cooldown.order(targets);
    const q = request.url.indexOf("?");
    const search = q < 0 ? "" : request.url.slice(q);
    const bodyLength = body === null ? null : typeof body === "string" ? Buffer.byteLength(body) : body.byteLength;
    let refusedByPolicy = false;
    for (let i = 0; i < ordered.length; i++) {
      const target = ordered[i]!;
      const isLast = i === ordered.length - 1;
      let res: UpstreamResponse;
      try {
        // Checked again here, not only when saved: rows from before the rules, or edited in the database.
        const url = upstreamUrl(target.baseUrl, path, search);
        res = await deps.fetchUpstream({
          method,
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
          discardBody(res.body);
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
   * HEAD is a GET upstream whose body is dropped.
   */
  async function forwardUnbilled(request: RelayRequest, endpoint: UnbilledCall["endpoint"], path: string, provider: ProviderName): Promise<Response> {
    const startedAt = now();
    const requestId = randomUUID();
    const key = await authenticate(request.headers, deps.lookupKey, startedAt);
    let body: Uint8Array | null = null;
    let model: string | null = null;
    if (request.method === "POST") {
      const client = await readClientBody(request, deps.maxBodyBytes);
      body = client.raw;
      model = client.model;
    }
    const report = (status: number, outcome: UnbilledCall["outcome"], reason: UnbilledCall["reason"] = null) =>
      deps.onUnbilled?.({ endpoint, apiKeyId: key.id, tenantId: key.tenantId, model, status, outcome, reason, latencyMs: now() - startedAt });
    const refuse = (refusal: RelayError): never => {
      report(refusal.statusFor(provider === "ANTHROPIC" ? "anthropic" : "openai"), "refused", refusal.reason);
      throw refusal;
    };
    if (model !== null && !isModelAllowed(key, model)) refuse(RelayError.refusal("model_not_allowed", { model }));
    if (deps.admit) {
      const admission = await deps.admit(key, requestId, 0, { unbilled: true });
      if (!admission.ok) refuse(RelayError.refusal(admission.reason, { retryAfterSec: admission.retryAfterSec, nowMs: now() }));
    }
    const abort = new UpstreamAbort();
    onClientGone(request, () => abort.abort());
    const head = request.method === "HEAD";
    const res = await sendWithFailover(await resolveTargets(key, provider, model), request, path, body, abort, head ? "GET" : request.method);
    report(res.status, res.status < 400 ? "forwarded" : "upstream_error");
    if (head) {
      discardBody(res.body);
      const headers = clientResponseHeaders(res.headers);
      headers["x-metergate-request-id"] = requestId;
      return new Response(null, { status: res.status, headers });
    }
    const relayed = relayBody(res.body, passThrough, {
      onFirstByte: () => {},
      onEnd: () => {},
      abortUpstream: () => abort.abort(),
    });
    const headers = clientResponseHeaders(res.headers);
    headers["x-metergate-request-id"] = requestId;
    return relayedResponse(relayed, { status: res.status, headers }, request.pipesToSocket);
  }

  /** Whether a billed request still owes a record (then its ticket ends when that record settles). */
  interface Billing {
    ticket: RequestTicket;
    recordOwed: boolean;
  }

  async function relayBilled(request: RelayRequest, ctx: RelayContext, adapter: ProtocolAdapter, billing: Billing): Promise<Response> {
    const startedAt = now();
    const requestId = randomUUID();
    const key = await authenticate(request.headers, deps.lookupKey, startedAt);
    const body = await readClientBody(request, deps.maxBodyBytes);
    const { endUserId, sessionId } = attributionOf(request.headers, body.json, adapter.protocol);

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
      userAgent: redactApiKeys(request.headers.get("user-agent")),
      endUserId,
      sessionId,
    };
    let charge: QuotaCharge | null = null;
    const { ticket } = billing;
    type Outcome = Pick<RequestEvent, "status" | "usage" | "usageSource" | "ttfbMs" | "error"> &
      Partial<Pick<RequestEvent, "model" | "billing" | "reasoningTokens">>;
    const record = (fields: Outcome): void => {
      billing.recordOwed = true;
      // One literal, not two spreads: spreading base and fields was the biggest self time of the core.
      const event: RequestEvent = {
        id: base.id,
        apiKeyId: base.apiKeyId,
        tenantId: base.tenantId,
        model: fields.model ?? base.model,
        requestedModel: base.requestedModel,
        provider: base.provider,
        endpoint: base.endpoint,
        stream: base.stream,
        startedAt: base.startedAt,
        clientIp: base.clientIp,
        userAgent: base.userAgent,
        endUserId: base.endUserId,
        sessionId: base.sessionId,
        status: fields.status,
        usage: fields.usage,
        usageSource: fields.usageSource,
        latencyMs: now() - startedAt,
        ttfbMs: fields.ttfbMs,
        error: fields.error,
      };
      if (fields.billing !== undefined) event.billing = fields.billing;
      if (fields.reasoningTokens !== undefined) event.reasoningTokens = fields.reasoningTokens;
      deps
        .record(event, charge, key.priceOverrides)
        .catch((e: unknown) => onError(e, "recording a request"))
        .finally(() => ticket.end());
    };
    /** Refused before forwarding: recorded with the status the client gets, like every refusal. */
    const refuse = (refusal: RelayError): never => {
      record({ status: refusal.statusFor(adapter.protocol), usage: { ...ZERO_USAGE }, usageSource: "UPSTREAM", ttfbMs: null, error: `quota: ${refusal.reason}` });
      // The refusal is a request-log row too: its id lets the client find it (the portal's request search).
      // (RelayError.refusal builds a fresh headers object per refusal.)
      refusal.headers["x-metergate-request-id"] = requestId;
      throw refusal;
    };

    if (!isModelAllowed(key, body.model)) refuse(RelayError.refusal("model_not_allowed", { model: body.model }));
    // Never a silent $0: a model without a price under a spend cap or budget is refused, naming it.
    if (
      refusesUnpriced(key.unpricedModelPolicy ?? "refuse_when_capped", key.limits) &&
      lookupRates(adapter.provider, body.model, startedAt, key.priceOverrides) === null
    ) {
      refuse(RelayError.refusal("unpriced_model", { model: body.model }));
    }
    const prepared = adapter.prepare(body.json, body.stream);
    // What the closures below keep for the stream's lifetime: the request's bytes, not its parsed
    // JSON (about as big again); estimating is rare (no usage in the answer) and parses them anew.
    const estimateInput = inputEstimate(adapter, body.raw);
    const requestedModel = body.model;
    const targets = await resolveTargets(key, adapter.provider, body.model);
    if (deps.admit) {
      const reservation = reservationFor(key, adapter, body, startedAt, deps.defaultMaxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS);
      const lease = leaseDraft(base, key, body.raw.byteLength);
      const admission = await deps.admit(key, requestId, reservation, { unbilled: false, lease });
      if (!admission.ok) refuse(RelayError.refusal(admission.reason, { retryAfterSec: admission.retryAfterSec, nowMs: now() }));
      else charge = admission.charge;
    }

    const abort = new UpstreamAbort();
    let onClientAbort: () => void = () => abort.abort();
    onClientGone(request, () => onClientAbort());
    let cutByShutdown = false;
    ticket.onShutdown(() => {
      cutByShutdown = true;
      abort.abort();
    });

    let upstream: UpstreamResponse;
    try {
      upstream = await sendWithFailover(targets, request, adapter.path, prepared.upstreamBody ?? body.raw, abort);
    } catch (error) {
      if (abort.aborted) {
        // The client left (or the relay is shutting down) before the upstream answered; the
        // prompt was likely processed.
        billing.recordOwed = true;
        const reason = cutByShutdown ? SHUTDOWN_CUT_MESSAGE : "client disconnected before the upstream answered";
        estimateOnly(estimateInput)
          .then((usage) => record({ status: 499, usage: usage.usage, usageSource: usage.source, ttfbMs: null, error: reason }))
          .catch((e: unknown) => {
            onError(e, "estimating a request");
            ticket.end();
          });
        if (cutByShutdown) throw new RelayError("overloaded", "This relay instance is shutting down; retry the request.", null, DRAINING_HEADERS);
        return new Response(null, { status: 499 });
      }
      const message = error instanceof RelayError ? error.message : "upstream request failed";
      record({ status: 502, usage: { ...ZERO_USAGE }, usageSource: "UPSTREAM", ttfbMs: null, error: message });
      throw error instanceof RelayError ? error : new RelayError("upstream_unavailable", message);
    }

    const headers = clientResponseHeaders(upstream.headers);
    headers["x-metergate-request-id"] = requestId;
    const isSse = (upstreamHeader(upstream.headers, "content-type") ?? "").includes("text/event-stream");
    if (isSse) {
      headers["cache-control"] = "no-cache";
      headers["x-accel-buffering"] = "no";
    }
    const upstreamStatus = upstream.status;
    const ok = upstreamStatus < 400;
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
        const error = upstreamErrorMessage(upstreamErrorBody) ?? `upstream status ${upstreamStatus}`;
        record({ status: upstreamStatus, usage: { ...ZERO_USAGE }, usageSource: "UPSTREAM", ttfbMs, error });
        return;
      }
      const snapshot = reader.snapshot();
      const resolved: ResolvedUsage = await resolveUsage(snapshot, estimateInput);
      let status = upstreamStatus;
      let error: string | null = null;
      if (snapshot.error) {
        status = snapshot.error.status;
        error = snapshot.error.message;
      } else if (outcome.kind === "client_abort" && !snapshot.complete) {
        status = 499;
        error = "client disconnected";
      } else if (outcome.kind === "shutdown" && !snapshot.complete) {
        status = 499;
        error = SHUTDOWN_CUT_MESSAGE;
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
        model: billedModel(adapter.provider, requestedModel, snapshot.servedModel, startedAt, key.priceOverrides),
        billing: snapshot.billing,
        reasoningTokens: snapshot.reasoningTokens ?? 0,
      });
    };

    billing.recordOwed = true; // finish() records when the body ends, however it ends
    const relayed = relayBody(upstream.body, observer, {
      onFirstByte: () => (ttfbMs = now() - startedAt),
      onEnd: (outcome) =>
        void finish(outcome).catch((e: unknown) => {
          onError(e, "finishing a request");
          ticket.end();
        }),
      abortUpstream: () => abort.abort(),
    });
    onClientAbort = () => relayed.clientGone();
    ticket.onShutdown(() => relayed.terminate(new RelayShutdownError()));
    if (clientIsGone(request)) relayed.clientGone();
    return relayedResponse(relayed, { status: upstream.status, headers }, request.pipesToSocket);
  }

  /** Answers without an upstream: unknown paths, methods an endpoint has not, WebSocket upgrades. */
  function answerUnbilled(request: RelayRequest, ctx: RelayContext, protocol: WireProtocol, pathOf: () => string, modelsPath: string | null): Response | null {
    const endpoint = ctx.endpoint === "models" && modelsPath === null ? "not-found" : ctx.endpoint;
    const methods = ENDPOINT_METHODS[endpoint];
    const allow = ALLOW[endpoint];
    let outcome: UnservedRequest["outcome"];
    let error: RelayError;
    if (isWebSocketUpgrade(request.headers)) {
      outcome = "upgrade_refused";
      error = new RelayError("upgrade_refused", "WebSocket mode is not supported here: send the request over HTTPS.");
    } else if (endpoint === "not-found") {
      outcome = "not_found";
      error = new RelayError("not_found", `Unknown path: ${pathOf().slice(0, 200)}`);
    } else if (request.method === "OPTIONS") {
      return new Response(null, { status: 204, headers: { allow } });
    } else if (!methods.includes(request.method)) {
      outcome = "method_not_allowed";
      error = new RelayError("method_not_allowed", `Method ${request.method.slice(0, 20)} is not allowed here.`, null, { allow });
    } else {
      return null;
    }
    const response = errorResponse(protocol, error);
    const userAgent = redactApiKeys(request.headers.get("user-agent"));
    deps.onUnserved?.({ endpoint, outcome, method: request.method, path: pathOf(), status: response.status, clientIp: ctx.clientIp, userAgent });
    return response;
  }

  return async function handleRelay(request: RelayRequest, ctx: RelayContext): Promise<Response> {
    const adapter = ADAPTERS[ctx.endpoint];
    const protocol: WireProtocol = adapter?.protocol ?? (ctx.endpoint === "anthropic-count-tokens" ? "anthropic" : protocolFromHeaders(request.headers));
    // Parsed only when an answer needs it: a billed request's path is its route's (per request, URL parsing showed in profiles).
    const pathOf = (): string => pathnameOf(request.url);
    const modelsPath = ctx.endpoint === "models" ? modelsUpstreamPath(pathOf()) : null;
    const lifecycle = deps.lifecycle;
    const billing: Billing | null = adapter ? { ticket: lifecycle?.begin() ?? UNTRACKED, recordOwed: false } : null;
    try {
      if (lifecycle?.draining) {
        throw new RelayError("overloaded", "This relay instance is shutting down; retry the request.", null, DRAINING_HEADERS);
      }
      // A request this deployment already relayed: the upstream is (or leads back to) this gateway.
      const loop = hopRefusal(request.headers.get(HOP_HEADER), hopId());
      if (loop) throw new RelayError("loop_detected", loop);
      const early = answerUnbilled(request, ctx, protocol, pathOf, modelsPath);
      if (early) {
        billing?.ticket.end();
        return early;
      }
      if (adapter && billing) return await relayBilled(request, ctx, adapter, billing);
      if (ctx.endpoint === "anthropic-count-tokens") return await forwardUnbilled(request, "anthropic-count-tokens", "/v1/messages/count_tokens", "ANTHROPIC");
      return await forwardUnbilled(request, "models", modelsPath ?? "/v1/models", protocol === "anthropic" ? "ANTHROPIC" : "OPENAI");
    } catch (error) {
      if (billing && !billing.recordOwed) billing.ticket.end();
      if (error instanceof RelayError) {
        if (error.reason) deps.onRefusal?.(error.reason);
        return errorResponse(protocol, error);
      }
      onError(error, "relay");
      return errorResponse(protocol, new RelayError("api_error", "Internal relay error."));
    }
  };
}

/** The `allow` header of each endpoint's OPTIONS and 405 answers. */
const ALLOW = Object.fromEntries(
  Object.entries(ENDPOINT_METHODS).map(([endpoint, methods]) => [endpoint, [...methods, "OPTIONS"].join(", ")]),
) as Record<RelayEndpoint, string>;

const UNTRACKED: RequestTicket = { onShutdown: () => {}, end: () => {} };
const DRAINING_HEADERS = { "retry-after": "1", connection: "close" };
const SHUTDOWN_CUT_MESSAGE = "relay shutting down: cut at the drain timeout";

/**
 * What admission keeps with the lease: the request, and the usage it is billed with if its process
 * dies before recording it (the body size / 4 as input, as for the reservation; no output known).
 */
function leaseDraft(request: LeaseDraft["request"], key: RelayKey, bodyBytes: number): LeaseDraft {
  const usage = { ...ZERO_USAGE, input: Math.ceil(bodyBytes / 4) };
  const { costMicros, priced } = costOf(request.model, usage, key.priceOverrides);
  return { request, usage, costMicros, priced };
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

async function estimateOnly(estimateInput: () => Promise<number>): Promise<ResolvedUsage> {
  return resolveUsage({ input: null, output: 0, outputText: [], complete: false, error: null, ...NO_ANSWER }, estimateInput);
}

/** The request's estimated input tokens, from its bytes (readClientBody checked they are a JSON object). */
function inputEstimate(adapter: ProtocolAdapter, raw: Uint8Array): () => Promise<number> {
  return () => adapter.estimateInput(JSON.parse(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("utf8")) as JsonObject);
}

/** Both providers put the message at error.message. */
function upstreamErrorMessage(body: unknown): string | null {
  return stringField(asObject(asObject(body)?.error), "message");
}
