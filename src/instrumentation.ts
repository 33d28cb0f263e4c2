/**
 * Runs once when a server instance starts: validates the environment (a bad variable stops
 * start-up with its name) and starts the flush loop unless FLUSH_IN_PROCESS=false.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  // Before the first request: route handlers see the socket address (src/net/socket-hop.ts).
  const { installSocketHop } = await import("./net/socket-hop");
  installSocketHop();
  const { parseEnv, EnvError } = await import("./env");
  let flushInProcess: boolean;
  try {
    flushInProcess = parseEnv().FLUSH_IN_PROCESS;
  } catch (err) {
    if (err instanceof EnvError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  if (flushInProcess) {
    const { startObservedFlushLoop } = await import("./server/flush-runner");
    const loop = startObservedFlushLoop();
    const stop = () => void loop.stop().finally(() => process.exit(0));
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  }
}
