/**
 * The process-wide relay, wired to Postgres (key lookup), the ledger (recording) and env (limits,
 * default upstreams). Built on first use so importing the relay module costs nothing.
 */
import { env } from "~/env";
import type { ProviderName } from "~/ledger/types";
import { admit, recordRequest, type QuotaCharge, type RequestEvent } from "~/ledger";
import { keyLimitsSelect, toKeyLimits } from "~/server/key-limits";
import { loadPriceOverrides } from "~/server/price-overrides";
import type { PriceOverrides } from "~/pricing";
import { costOf } from "~/pricing";
import { componentLogger, logRequest, scrubSecrets } from "~/server/observability/logger";
import { observeQuotaRefusal, observeRedisError, observeRequest, observeUnbilled } from "~/server/observability/metrics";
import { db } from "~/server/db";
import { cachedKeyLookup, matchesModelPattern, type KeyLookup, type RelayKey } from "./auth";
import { clientIpFrom } from "./client-ip";
import { decryptCredential } from "./credentials";
import { createRelay, type RelayContext, type RelayHandler, type UnservedRequest } from "./relay";
import { createUpstreamFetch, type UpstreamTarget } from "./upstream";
import { unpricedModelPolicySchema, type UnpricedModelPolicy } from "./unpriced-policy";

const KEY_CACHE_TTL_MS = 5_000;

/** The tenant's own policy when it set a valid one, else the platform default. */
export function resolveUnpricedPolicy(tenantPolicy: string | null): UnpricedModelPolicy {
  const parsed = unpricedModelPolicySchema.safeParse(tenantPolicy);
  return parsed.success ? parsed.data : env.UNPRICED_MODEL_POLICY;
}

export const prismaKeyLookup: KeyLookup = async (keyHash) => {
  const row = await db.apiKey.findUnique({
    where: { keyHash },
    select: {
      ...keyLimitsSelect,
      revokedAt: true,
      expiresAt: true,
      firstUsedAt: true,
      allowedModels: true,
      upstreamId: true,
      tenant: { select: { ...keyLimitsSelect.tenant.select, suspendedAt: true, unpricedModelPolicy: true } },
    },
  });
  if (!row) return null;
  return {
    id: row.id,
    tenantId: row.tenantId,
    revokedAt: row.revokedAt,
    expiresAt: row.expiresAt,
    firstUsedAt: row.firstUsedAt,
    expiresAfterFirstUseDays: row.expiresAfterFirstUseDays,
    allowedModels: row.allowedModels,
    upstreamId: row.upstreamId,
    tenantSuspendedAt: row.tenant.suspendedAt,
    limits: toKeyLimits(row),
    priceOverrides: await loadPriceOverrides(row.tenantId),
    unpricedModelPolicy: resolveUnpricedPolicy(row.tenant.unpricedModelPolicy),
  };
};

interface TenantUpstream {
  id: string;
  provider: ProviderName;
  baseUrl: string;
  credentialEnc: string;
  models: string[];
}

const UPSTREAM_CACHE_TTL_MS = 5_000;
const tenantUpstreamCache = new Map<string, { rows: TenantUpstream[]; until: number }>();

async function tenantUpstreams(tenantId: string): Promise<TenantUpstream[]> {
  const hit = tenantUpstreamCache.get(tenantId);
  if (hit && hit.until > Date.now()) return hit.rows;
  const rows = await db.upstream.findMany({
    where: { tenantId, enabled: true },
    orderBy: [{ priority: "asc" }, { createdAt: "asc" }],
    select: { id: true, provider: true, baseUrl: true, credentialEnc: true, models: true },
  });
  if (tenantUpstreamCache.size > 10_000) tenantUpstreamCache.clear();
  tenantUpstreamCache.set(tenantId, { rows, until: Date.now() + UPSTREAM_CACHE_TTL_MS });
  return rows;
}

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

/** Records to the ledger, then counts the request in metrics and the per-request log line. */
async function recordAndObserve(event: RequestEvent, charge: QuotaCharge | null, priceOverrides: PriceOverrides) {
  try {
    const cost = await recordRequest(event, charge, { priceOverrides });
    observe(event, cost);
    return cost;
  } catch (err) {
    observeRedisError("record");
    observe(event, costOf(event.model, event.usage, priceOverrides));
    throw err;
  }
}

const relayLog = componentLogger("relay");

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
  return createRelay({
    record: recordAndObserve,
    admit: (key, requestId, estimateMicros) => admit(key.limits, requestId, estimateMicros),
    onRefusal: observeQuotaRefusal,
    onUnserved: observeUnservedRequest,
    lookupKey: cachedKeyLookup(prismaKeyLookup, KEY_CACHE_TTL_MS, Date.now),
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

/** Relays one request through the process-wide relay. */
export function handleRelay(request: Request, ctx: RelayContext): Promise<Response> {
  globalForRelay.metergateRelay ??= createDefaultRelay();
  return globalForRelay.metergateRelay(request, ctx);
}

/** A route handler for one endpoint: what each src/app/v1 route exports. */
export function relayRoute(endpoint: RelayContext["endpoint"]): (request: Request) => Promise<Response> {
  return (request) => handleRelay(request, { endpoint, clientIp: clientIpFrom(request.headers) });
}
