/** The flush loop as a server runs it: with metrics, structured logs, and alerts after each flush. */
import { createAlertRunner } from "~/alerts";
import { FlushError, startFlushLoop, type FlushLoop } from "~/ledger";
import { componentLogger } from "~/infra/observability/logger";
import { observeFlush, observeFlushError } from "~/ledger/metrics";

export function startObservedFlushLoop(): FlushLoop {
  const log = componentLogger("flush");
  // Evaluates the keys and tenants each flush touched, then delivers due webhooks (new and
  // retries). Runs beside the loop, never throws, never delays the next flush.
  const alerts = createAlertRunner({ log: componentLogger("alerts") });
  const loop = startFlushLoop({}, undefined, {
    onFlushed: (result, durationMs) => {
      observeFlush(result, durationMs);
      if (result.read > 0) log.debug({ ...result, durationMs: Math.round(durationMs) }, "flushed");
      if (result.deadLettered > 0) {
        // Platform admins also get an AuditLog row (written with the dead letters) and a count on /admin.
        log.error(
          { deadLettered: result.deadLettered, invalid: result.invalid, refused: result.refused },
          "ledger events quarantined in the DeadLetter table: see `npm run cli -- ledger dead-letter list`",
        );
      }
      alerts.afterFlush(result);
    },
    onError: (err) => {
      observeFlushError();
      if (err instanceof FlushError) {
        for (const { shard, error } of err.shardErrors) log.error({ err: error, shard }, "flush of a ledger shard failed");
      } else log.error({ err }, "flush failed");
      // Webhook retries only need Postgres: keep them going while the flush cannot run.
      alerts.afterFlush({ apiKeyIds: [], tenantIds: [] });
    },
  });
  return {
    async stop() {
      await loop.stop();
      await alerts.idle();
    },
  };
}
