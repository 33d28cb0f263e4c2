/** The flush loop as a server runs it: with metrics and structured logs. */
import { startFlushLoop, type FlushLoop } from "~/ledger";
import { componentLogger } from "~/server/observability/logger";
import { observeFlush, observeFlushError } from "~/server/observability/metrics";

export function startObservedFlushLoop(): FlushLoop {
  const log = componentLogger("flush");
  return startFlushLoop({}, undefined, {
    onFlushed: (result, durationMs) => {
      observeFlush(result, durationMs);
      if (result.read > 0) log.debug({ ...result, durationMs: Math.round(durationMs) }, "flushed");
    },
    onError: (err) => {
      observeFlushError();
      log.error({ err }, "flush failed");
    },
  });
}
