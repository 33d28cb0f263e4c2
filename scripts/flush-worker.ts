/** A dedicated flush runner, for deployments that set FLUSH_IN_PROCESS=false on the web tier. */
import { loadDotEnv } from "./ensure-env";

loadDotEnv();
const { startObservedFlushLoop } = await import("~/server/flush-runner");
const { env } = await import("~/infra/env");
const loop = startObservedFlushLoop();
console.error(`[flush] running every ${env.FLUSH_INTERVAL_MS} ms`);
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => void loop.stop().finally(() => process.exit(0)));
}
