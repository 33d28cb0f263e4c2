/**
 * Alerts as the flush loop drives them: after each flush, evaluate the keys and tenants it touched,
 * then deliver due webhooks (new ones and retries). Runs beside the loop, not inside it, so a slow
 * webhook receiver never delays the ledger; one pass at a time per process, and ids touched while a
 * pass runs are carried into the next one. Never throws: failures are logged and retried by the
 * next pass (evaluation is idempotent, delivery state lives in Postgres).
 */
import type { Logger } from "pino";
import { componentLogger } from "~/infra/observability/logger";
import { deliverWebhooks, type DeliverDeps } from "./deliver";
import { evaluateAlerts, type EvaluateDeps } from "./evaluate";

export interface AlertRunner {
  /** Queue the ids a flush touched and start a pass if none is running. Returns at once. */
  afterFlush(touched: { apiKeyIds: readonly string[]; tenantIds: readonly string[] }): void;
  /** Resolves when no pass is running (for shutdown and tests). */
  idle(): Promise<void>;
}

export interface AlertRunnerOptions {
  log?: Logger;
  evaluate?: Omit<EvaluateDeps, "now">;
  deliver?: Omit<DeliverDeps, "now">;
  now?: () => number;
}

export function createAlertRunner(opts: AlertRunnerOptions = {}): AlertRunner {
  const log = opts.log ?? componentLogger("alerts");
  const clock = opts.now ?? Date.now;
  const keys = new Set<string>();
  const tenants = new Set<string>();
  let again = false;
  let running: Promise<void> | null = null;

  async function pass(): Promise<void> {
    const apiKeyIds = [...keys];
    const tenantIds = [...tenants];
    keys.clear();
    tenants.clear();
    if (apiKeyIds.length > 0 || tenantIds.length > 0) {
      try {
        const r = await evaluateAlerts({ apiKeyIds, tenantIds }, { ...opts.evaluate, now: clock() });
        for (const a of r.created) {
          log.info(
            { alertId: a.id, tenantId: a.tenantId, keyId: a.apiKeyId, kind: a.kind, threshold: a.threshold,
              periodId: a.periodId, spentMicros: a.spentMicros, capMicros: a.capMicros, webhook: a.queued },
            "alert",
          );
        }
      } catch (err) {
        // Put the ids back: the next pass evaluates them again (inserts are idempotent).
        for (const id of apiKeyIds) keys.add(id);
        for (const id of tenantIds) tenants.add(id);
        log.error({ err }, "alert evaluation failed");
      }
    }
    try {
      const d = await deliverWebhooks({ ...opts.deliver, now: clock() });
      for (const o of d.outcomes) {
        if (o.ok) log.info({ alertId: o.alertId, attempt: o.attempt, status: o.status }, "alert webhook delivered");
        else if (o.nextAttemptAt) {
          log.warn({ alertId: o.alertId, attempt: o.attempt, error: o.error, retryAt: o.nextAttemptAt }, "alert webhook failed");
        } else log.error({ alertId: o.alertId, attempt: o.attempt, error: o.error }, "alert webhook given up");
      }
    } catch (err) {
      log.error({ err }, "alert webhook delivery failed");
    }
  }

  function start(): void {
    running = (async () => {
      do {
        again = false;
        await pass();
      } while (again);
    })()
      .catch((err: unknown) => log.error({ err }, "alert pass failed"))
      .finally(() => {
        running = null;
      });
  }

  return {
    afterFlush(touched) {
      for (const id of touched.apiKeyIds) keys.add(id);
      for (const id of touched.tenantIds) tenants.add(id);
      if (running) again = true;
      else start();
    },
    async idle() {
      while (running) await running;
    },
  };
}
