/**
 * A dedicated flush runner, for deployments that set FLUSH_IN_PROCESS=false on the web tier; also
 * the child process scripts/serve.mjs starts so the flush is off its serving event loop (it then
 * stops when its parent goes away: the IPC channel closes).
 */
import { loadDotEnv } from "./ensure-env";

loadDotEnv();
const { startObservedFlushLoop } = await import("~/server/flush-runner");
const { env } = await import("~/infra/env");
const loop = startObservedFlushLoop();
console.error(`[flush] running every ${env.FLUSH_INTERVAL_MS} ms`);
let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void loop.stop().finally(() => process.exit(0));
};
for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, stop);
if (process.send) process.once("disconnect", stop);
