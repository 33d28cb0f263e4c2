/**
 * Webhook delivery of alerts: at least once, with receivers deduplicating on the alert id.
 *
 * Queue = the Alert rows themselves (deliveredAt null, nextAttemptAt due, attempts below the max).
 * Claim: one UPDATE over a `FOR UPDATE SKIP LOCKED` sub-select pushes nextAttemptAt out by a lease
 * and counts the attempt, so two instances never hold the same alert at once; a process that dies
 * mid-send leaves the row to be picked up again when the lease runs out (hence "at least once").
 * 2xx sets deliveredAt; anything else (status, timeout, network error, bad configuration) records
 * lastError and schedules the next attempt with exponential backoff and jitter.
 */
import {
  checkEgressUrl,
  createEgressAgent,
  createEgressFetch,
  sanitizeFetchError,
  type EgressFetch,
  type EgressLookup,
  type EgressPolicy,
} from "~/egress";
import { db as defaultDb } from "~/infra/db";
import { scrubSecrets } from "~/infra/observability/logger";
import type { PrismaClient } from "~/generated/prisma/client";
import { backoffMs } from "./backoff";
import { upgradeWebhookSecret, webhookSecretFromStored } from "./secret";
import { ALERT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhookBody } from "./signature";
import type { AlertKind, AlertWebhookPayload } from "./types";

export const WEBHOOK_MAX_ATTEMPTS = 10;
export const WEBHOOK_TIMEOUT_MS = 5_000;
export const WEBHOOK_LEASE_MS = 60_000;

export interface DeliverDeps {
  db?: PrismaClient;
  /** Clock (ms). */
  now?: number;
  /** Default: fetch through the egress policy (env's, or `egress` below). */
  fetch?: EgressFetch;
  /** Egress policy and a DNS stand-in, for tests (default: env's policy, the system resolver). */
  egress?: { policy?: EgressPolicy; lookup?: EgressLookup };
  /** Jitter source in [0, 1). */
  random?: () => number;
  /** Alerts claimed per round. */
  batchSize?: number;
  /** Rounds per call at most (a backlog drains over a few calls). */
  maxRounds?: number;
  maxAttempts?: number;
  timeoutMs?: number;
  leaseMs?: number;
}

export interface DeliveryOutcome {
  alertId: string;
  attempt: number;
  ok: boolean;
  status: number | null;
  error: string | null;
  /** When it is tried again; null when delivered or given up. */
  nextAttemptAt: Date | null;
}

export interface DeliverResult {
  claimed: number;
  delivered: number;
  failed: number;
  gaveUp: number;
  outcomes: DeliveryOutcome[];
}

const CLAIM_SQL = `
UPDATE "Alert" SET "nextAttemptAt" = $2::timestamp(3), attempts = attempts + 1
WHERE id IN (
  SELECT id FROM "Alert"
  WHERE "deliveredAt" IS NULL AND "nextAttemptAt" <= $1::timestamp(3) AND attempts < $3
  ORDER BY "nextAttemptAt"
  LIMIT $4
  FOR UPDATE SKIP LOCKED
)
RETURNING id, attempts
`;

/** Timestamps are stored as UTC in `timestamp(3)`; an ISO string's "Z" is ignored by that cast. */
const sqlTime = (ms: number) => new Date(ms).toISOString();

/** Webhooks are tenant-chosen destinations: every connection goes through the egress policy. */
let defaultWebhookFetch: EgressFetch | null = null;
const webhookFetchByEgress = new WeakMap<object, EgressFetch>();
function webhookFetch(deps: DeliverDeps): EgressFetch {
  if (deps.fetch) return deps.fetch;
  const egress = deps.egress;
  if (!egress) return (defaultWebhookFetch ??= createEgressFetch(createEgressAgent({ connectTimeoutMs: WEBHOOK_TIMEOUT_MS })));
  let f = webhookFetchByEgress.get(egress);
  if (!f) webhookFetchByEgress.set(egress, (f = createEgressFetch(createEgressAgent({ ...egress, connectTimeoutMs: WEBHOOK_TIMEOUT_MS }))));
  return f;
}

export async function deliverWebhooks(deps: DeliverDeps = {}): Promise<DeliverResult> {
  const db = deps.db ?? defaultDb;
  const fetchWebhook = webhookFetch(deps);
  const now = deps.now ?? Date.now();
  const batchSize = deps.batchSize ?? 20;
  const maxRounds = deps.maxRounds ?? 5;
  const maxAttempts = deps.maxAttempts ?? WEBHOOK_MAX_ATTEMPTS;
  const leaseMs = deps.leaseMs ?? WEBHOOK_LEASE_MS;
  const total: DeliverResult = { claimed: 0, delivered: 0, failed: 0, gaveUp: 0, outcomes: [] };

  for (let round = 0; round < maxRounds; round++) {
    const claimed = await db.$queryRawUnsafe<Array<{ id: string; attempts: number }>>(
      CLAIM_SQL,
      sqlTime(now),
      sqlTime(now + leaseMs),
      maxAttempts,
      batchSize,
    );
    if (claimed.length === 0) break;
    total.claimed += claimed.length;

    const attemptOf = new Map(claimed.map((c) => [c.id, Number(c.attempts)]));
    const alerts = await db.alert.findMany({ where: { id: { in: [...attemptOf.keys()] } } });
    const tenants = await db.tenant.findMany({
      where: { id: { in: [...new Set(alerts.map((a) => a.tenantId))] } },
      select: { id: true, webhookUrl: true, webhookSecretEnc: true },
    });
    const tenantOf = new Map(tenants.map((t) => [t.id, t]));

    const outcomes = await Promise.all(
      alerts.map(async (a): Promise<DeliveryOutcome> => {
        const attempt = attemptOf.get(a.id) ?? a.attempts;
        const tenant = tenantOf.get(a.tenantId);
        const sent = await send(
          {
            id: a.id,
            type: "metergate.alert",
            tenantId: a.tenantId,
            apiKeyId: a.apiKeyId,
            kind: a.kind as AlertKind,
            threshold: a.threshold,
            periodId: a.periodId,
            spentMicros: Number(a.spentMicros),
            capMicros: Number(a.capMicros),
            createdAt: a.createdAt.toISOString(),
          },
          tenant?.webhookUrl ?? null,
          tenant?.webhookSecretEnc ?? null,
          { fetch: fetchWebhook, timeoutMs: deps.timeoutMs ?? WEBHOOK_TIMEOUT_MS, now, policy: deps.egress?.policy },
        );
        if (tenant?.webhookSecretEnc) await upgradeWebhookSecret(db, tenant.id, tenant.webhookSecretEnc).catch(() => undefined);
        if (sent.ok) {
          await db.alert.updateMany({
            where: { id: a.id, deliveredAt: null },
            data: { deliveredAt: new Date(now), nextAttemptAt: null, lastError: null },
          });
          return { alertId: a.id, attempt, ok: true, status: sent.status, error: null, nextAttemptAt: null };
        }
        const giveUp = sent.permanent || attempt >= maxAttempts;
        const next = giveUp ? null : new Date(now + backoffMs(attempt, deps.random));
        // Only if nobody delivered or re-claimed it meanwhile (a lease that ran out during a slow send).
        await db.alert.updateMany({
          where: { id: a.id, deliveredAt: null, attempts: attempt },
          data: { nextAttemptAt: next, lastError: sent.error },
        });
        return { alertId: a.id, attempt, ok: false, status: sent.status, error: sent.error, nextAttemptAt: next };
      }),
    );
    for (const o of outcomes) {
      total.outcomes.push(o);
      if (o.ok) total.delivered++;
      else if (o.nextAttemptAt === null) total.gaveUp++;
      else total.failed++;
    }
    if (claimed.length < batchSize) break;
  }
  return total;
}

interface SendResult {
  ok: boolean;
  status: number | null;
  error: string | null;
  /** Not worth retrying (the tenant removed its webhook). */
  permanent: boolean;
}

async function send(
  payload: AlertWebhookPayload,
  url: string | null,
  storedSecret: string | null,
  opts: { fetch: EgressFetch; timeoutMs: number; now: number; policy: EgressPolicy | undefined },
): Promise<SendResult> {
  if (!url) return { ok: false, status: null, error: "no webhook URL configured", permanent: true };
  // Checked again at use time (rows saved before the policy; the address is checked again on connect).
  const checked = checkEgressUrl(url, "webhook", opts.policy);
  if (!checked.ok) return { ok: false, status: null, error: scrubSecrets(`webhook URL refused: ${checked.message}`, 300), permanent: false };
  if (!storedSecret) return { ok: false, status: null, error: "webhook secret not configured", permanent: false };
  let secret: string;
  try {
    secret = webhookSecretFromStored(storedSecret);
  } catch {
    return { ok: false, status: null, error: "webhook secret cannot be decrypted (was ENCRYPTION_KEY changed?)", permanent: false };
  }
  const body = JSON.stringify(payload);
  try {
    const res = await opts.fetch(url, {
      method: "POST",
      body,
      signal: AbortSignal.timeout(opts.timeoutMs),
      headers: {
        "content-type": "application/json",
        "user-agent": "Metergate-Webhooks/1",
        [SIGNATURE_HEADER]: signWebhookBody(body, secret),
        [TIMESTAMP_HEADER]: String(Math.floor(opts.now / 1000)),
        [ALERT_ID_HEADER]: payload.id,
      },
    });
    // The receiver's body is not needed; release the connection.
    await res.body?.cancel().catch(() => undefined);
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, error: null, permanent: false };
    return { ok: false, status: res.status, error: `HTTP ${res.status}`, permanent: false };
  } catch (err) {
    const e = sanitizeFetchError(err);
    const reason = e.name === "TimeoutError" ? `timed out after ${opts.timeoutMs} ms` : e.message;
    return { ok: false, status: null, error: scrubSecrets(reason || "request failed", 300), permanent: false };
  }
}
