/**
 * The process-wide relay, wired to Postgres (key lookup), the ledger (recording) and env (limits,
 * default upstreams). Built on first use so importing the relay module costs nothing.
 *
 * Postgres away: keys and tenant upstreams are cached KEY_CACHE_TTL_MS; when a refresh fails with
 * a connection-type error, the last value read is served for up to KEY_CACHE_STALE_MAX_MS after it
 * was read (admission and recording need only Redis, and revocation, rotation and suspension reach
 * the admission script through Redis). A key never read before the outage gets 503.
 */
import { env } from "~/infra/env";
import type { ProviderName } from "~/ledger/types";
import path from "node:path";
import { admit, LeaseHeartbeat, LedgerJournal, LedgerRecorder, spentInRange, type QuotaCharge, type RequestEvent } from "~/ledger";
import { loadTenantUpstreams, prismaKeyLookup } from "~/keys/server";
import type { PriceOverrides } from "~/pricing";
import { costOf } from "~/pricing";
import { componentLogger, scrubSecrets } from "~/infra/observability/logger";
import { observePostgresError, observeRedisError } from "~/infra/observability/metrics";
import { observeLedgerRecords } from "~/ledger/metrics";
import { logRequest, logUnbilled, unbilledEndpointLabel } from "~/relay/log-lines";
import { observeQuotaRefusal, observeRequest, observeStaleServed, observeUnbilled } from "~/relay/metrics";
import { isDatabaseUnreachable } from "~/infra/db-errors";
import { cachedKeyLookup, matchesModelPattern, type RelayKey } from "~/relay/auth";
import { clientIpFrom } from "~/net";
import { decryptCredential } from "~/relay/credentials";
import { RelayError } from "~/relay/errors";
import { processLifecycle, type DrainReport } from "~/relay/lifecycle";
import { createRelay, type RelayContext, type RelayHandler, type UnbilledCall, type UnservedRequest } from "~/relay/relay";
import { staleTolerantCache, type StaleOptions } from "~/relay/stale-cache";
import { createUpstreamFetch, type UpstreamTarget } from "~/relay/upstream";
import type { RelayRequest } from "~/relay/request-body";

const relayLog = componentLogger("relay");

/** Stale serving for one of the relay's database caches (key, upstreams). */
function staleWhileUnreachable(cache: "key" | "upstreams"): StaleOptions {
  let lastWarnAt = 0;
  return {
    maxMs: env.KEY_CACHE_STALE_MAX_MS,
    allows: isDatabaseUnreachable,
    onServeStale(ageMs, err) {
      observeStaleServed(cache);
      observePostgresError(`relay_${cache}_lookup`);
      // One line per cache per 10 s is enough to see an outage; metrics count every fallback.
      if (Date.now() - lastWarnAt < 10_000) return;
      lastWarnAt = Date.now();
      relayLog.warn({ err, cache, ageMs }, "Postgres unreachable: serving cached data");
    },
  };
}

/** Past the stale window (or for a key never seen), an unreachable database is a 503, not a 500. */
function unavailableWhenUnreachable<A extends unknown[], R>(read: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return (...args) =>
    read(...args).catch((err: unknown) => {
      if (!isDatabaseUnreachable(err)) throw err;
      throw new RelayError("service_unavailable", "The gateway cannot reach its database right now; retry shortly.", null, { "retry-after": "1" });
    });
}

const tenantUpstreams = unavailableWhenUnreachable(
  staleTolerantCache(
    loadTenantUpstreams,
    { ttlMs: env.KEY_CACHE_TTL_MS, now: Date.now, stale: staleWhileUnreachable("upstreams") },
  ),
);

const servesModel = (models: readonly string[], model: string | null): boolean =>
  model === null || matchesModelPattern(models, model);

/**
 * The tenant's upstreams for this provider and model, lowest priority number first; a key bound
 * to an upstream uses only that one. Without any, the deployment default from env.
 */
export async function tenantTargets(key: RelayKey, provider: ProviderName, model: string | null): Promise<UpstreamTarget[]> {
  const rows = (await tenantUpstreams(key.tenantId)).filter(
    (u) => u.provider === provider && (key.upstreamId ? u.id === key.upstreamId : servesModel(u.models, model)),
  );
  if (rows.length === 0) return envTargets(provider);
  return rows.map((u) => ({ id: u.id, provider: u.provider, baseUrl: u.baseUrl, credential: decryptCredential(u.credentialEnc) }));
}

/** The deployment-wide upstream for a provider, from env: trusted as configured (no egress address check). */
export function envTargets(provider: ProviderName): UpstreamTarget[] {
  return provider === "ANTHROPIC"
    ? [{ id: "env:ANTHROPIC", provider, baseUrl: env.UPSTREAM_ANTHROPIC_BASE_URL, credential: env.UPSTREAM_ANTHROPIC_API_KEY, trusted: true }]
    : [{ id: "env:OPENAI", provider, baseUrl: env.UPSTREAM_OPENAI_BASE_URL, credential: env.UPSTREAM_OPENAI_API_KEY, trusted: true }];
}

function observe(event: RequestEvent, cost: { costMicros: number; priced: boolean }): void {
  observeRequest(event, cost.costMicros);
  logRequest(event, cost);
}

const ledgerLog = componentLogger("ledger");

/**
 * The process's recorder: lease heartbeat, retries and the local journal. On globalThis like the
 * lifecycle, so Next's route chunks and instrumentation share one (one heartbeat, one journal file).
 */
function createProcessRecorder(): LedgerRecorder {
  const heartbeat = new LeaseHeartbeat({
    onError: (err) => {
      observeRedisError("lease_heartbeat");
      ledgerLog.warn({ err }, "lease heartbeat failed");
    },
    onLost: (ids) => ledgerLog.warn({ requestIds: ids.slice(0, 20), count: ids.length }, "leases gone at renewal (swept as orphaned or lost with Redis)"),
  });
  const journal = new LedgerJournal({ dir: path.resolve(env.LEDGER_JOURNAL_DIR), maxBytes: env.LEDGER_JOURNAL_MAX_BYTES });
  return new LedgerRecorder({
    heartbeat,
    journal,
    hooks: {
      onJournaled: (event, err) => {
        observeRedisError("record");
        observeLedgerRecords("journaled");
        ledgerLog.warn({ err, requestId: event.id }, "Redis unreachable: record journaled to disk");
      },
      onDropped: (event, err) => {
        observeLedgerRecords("dropped");
        ledgerLog.error({ err, requestId: event.id, apiKeyId: event.apiKeyId, costMicros: event.costMicros }, "record LOST: Redis unreachable and the journal refused it");
      },
      onReplayed: (n) => {
        observeLedgerRecords("replayed", n);
        ledgerLog.info({ count: n }, "journal replayed into Redis");
      },
      onDuplicate: (event) => {
        observeLedgerRecords("duplicate");
        ledgerLog.warn({ requestId: event.id }, "the ledger already had this request (a retried write, or swept as orphaned): not recorded again");
      },
    },
  }).start();
}

const globalForRecorder = globalThis as unknown as { metergateRecorder?: LedgerRecorder };

export function processRecorder(): LedgerRecorder {
  return (globalForRecorder.metergateRecorder ??= createProcessRecorder());
}

/** Records to the ledger, then counts the request in metrics and the per-request log line. */
async function recordAndObserve(event: RequestEvent, charge: QuotaCharge | null, priceOverrides: PriceOverrides) {
  try {
    const cost = await processRecorder().record(event, charge, priceOverrides);
    observe(event, cost);
    return cost;
  } catch (err) {
    observeRedisError("record");
    observe(event, costOf(event.model, event.usage, priceOverrides));
    throw err;
  }
}

/** Spend for seeding cap counters: Postgres + unflushed deltas + this process's unreplayed journal. */
async function spentWithJournal(scope: { apiKeyId?: string; tenantId?: string }, fromMs: number, toMs: number) {
  // The journal first: it holds its replay until the counter is stored (release), so no entry is
  // counted both as replayed (in Redis) and as journaled, or missed by both.
  const journaled = await processRecorder().journalSpend(scope, fromMs, toMs);
  if (!journaled) return spentInRange(scope, fromMs, toMs);
  try {
    const stored = await spentInRange(scope, fromMs, toMs);
    return { ...journaled, costMicros: stored.costMicros + journaled.costMicros, tokens: stored.tokens + journaled.tokens };
  } catch (err) {
    journaled.release();
    throw err;
  }
}

/** Unbilled calls leave a trace: one log line and a counter by endpoint and outcome. */
function observeUnbilledCall(call: UnbilledCall): void {
  observeUnbilled(unbilledEndpointLabel(call.endpoint), call.outcome);
  logUnbilled(call);
}

/** One line and one count per request the relay does not serve (no request-log row: nothing is billed). */
function observeUnservedRequest(event: UnservedRequest): void {
  observeUnbilled(event.endpoint.replaceAll("-", "_"), event.outcome);
  relayLog.info(
    {
      endpoint: event.endpoint,
      outcome: event.outcome,
      method: event.method.slice(0, 20),
      path: scrubSecrets(event.path, 200),
      status: event.status,
      ...(event.clientIp ? { clientIp: event.clientIp } : {}),
      ...(event.userAgent ? { userAgent: scrubSecrets(event.userAgent, 200) } : {}),
    },
    "unbilled request",
  );
}

export function createDefaultRelay(): RelayHandler {
  const recorder = processRecorder();
  return createRelay({
    record: recordAndObserve,
    // Seeding a missing spend counter reads Postgres: while it is away that admission gets 503.
    admit: unavailableWhenUnreachable(async (key, requestId, reservationMicros, request) => {
      const admission = await admit(
        key.limits,
        requestId,
        reservationMicros,
        { spent: spentWithJournal },
        { keyHash: key.keyHash, unbilled: request.unbilled, lease: request.lease ?? null },
      );
      if (admission.ok && !request.unbilled) recorder.admitted(admission.charge);
      return admission;
    }),
    // Every refusal the relay answers (admission's and the key checks') is counted here, once.
    onRefusal: observeQuotaRefusal,
    onUnserved: observeUnservedRequest,
    onUnbilled: observeUnbilledCall,
    defaultMaxOutputTokens: env.RESERVE_DEFAULT_MAX_OUTPUT_TOKENS,
    lifecycle: processLifecycle(),
    lookupKey: unavailableWhenUnreachable(cachedKeyLookup(prismaKeyLookup, env.KEY_CACHE_TTL_MS, Date.now, 10_000, staleWhileUnreachable("key"))),
    targets: tenantTargets,
    fetchUpstream: createUpstreamFetch({
      connectTimeoutMs: env.RELAY_CONNECT_TIMEOUT_MS,
      idleTimeoutMs: env.RELAY_IDLE_TIMEOUT_MS,
    }),
    maxBodyBytes: env.RELAY_MAX_BODY_BYTES,
    onError: (error, context) => relayLog.error({ err: error, context }, `relay: ${context}`),
  });
}

const globalForRelay = globalThis as unknown as { metergateRelay?: RelayHandler };

/**
 * Graceful shutdown of this process's relay (SIGTERM): stop taking requests, let open ones run up
 * to `timeoutMs`, cut the rest, wait until every record is in Redis or the journal.
 */
export async function drainRelay(timeoutMs: number = env.RELAY_DRAIN_TIMEOUT_MS): Promise<DrainReport> {
  const report = await processLifecycle().drain(timeoutMs);
  const recorder = globalForRecorder.metergateRecorder;
  if (recorder) {
    await recorder.idle();
    recorder.stop();
  }
  relayLog.info({ ...report }, "relay drained");
  return report;
}

/** Relays one request through the process-wide relay. */
export function handleRelay(request: RelayRequest, ctx: RelayContext): Promise<Response> {
  globalForRelay.metergateRelay ??= createDefaultRelay();
  return globalForRelay.metergateRelay(request, ctx);
}

/** A route handler for one endpoint: what each src/app/v1 route exports. */
export function relayRoute(endpoint: RelayContext["endpoint"]): (request: Request) => Promise<Response> {
  return (request) => handleRelay(request, { endpoint, clientIp: clientIpFrom(request.headers) });
}
