/**
 * Runs once when a server instance starts: validates the environment (a bad variable stops
 * start-up with its name), starts the flush loop unless FLUSH_IN_PROCESS=false, and makes
 * SIGTERM / SIGINT graceful for the relay.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  // Before the first request: route handlers see the socket address (src/net/socket-hop.ts).
  const { installSocketHop } = await import("./net/socket-hop");
  installSocketHop();
  const { parseEnv, EnvError } = await import("./infra/env");
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
  let loop: { stop(): Promise<void> } | null = null;
  if (flushInProcess) {
    const { startObservedFlushLoop } = await import("./server/flush-runner");
    loop = startObservedFlushLoop();
  }
  let shuttingDown: Promise<void> | null = null;
  const shutdown = (): Promise<void> =>
    (shuttingDown ??= (async () => {
      // Next's own handler stops accepting connections and waits for open ones; new requests on
      // kept-alive connections get 529 from the relay while it drains.
      const { drainRelay } = await import("./server/relay/default");
      try {
        await drainRelay();
      } catch (err) {
        console.error("[relay] drain failed:", err);
      }
      await loop?.stop().catch(() => {});
    })());
  const onSignal = () => {
    // Next exits (process.exit) as soon as its server has closed, which can be before the last
    // records have reached Redis: hold every exit until the drain has finished.
    const exit = process.exit.bind(process);
    let code: number | undefined;
    process.exit = ((c?: number) => {
      code ??= c;
      void shutdown().finally(() => exit(code));
      return undefined as never;
    }) as typeof process.exit;
    void shutdown().finally(() => exit(code ?? 0));
  };
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
}
