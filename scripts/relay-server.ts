/**
 * `npm run relay`: the relay alone on a bare Node server (RELAY_PORT, default 3001; RELAY_HOST,
 * default 0.0.0.0) — the dedicated relay tier. It is about 2.5× cheaper per request than the same
 * relay behind Next's route handlers (see bench/relay.ts); the flush job runs in the app or in
 * `npm run flush:worker`.
 */
import { loadDotEnv } from "./ensure-env";

loadDotEnv();
const { handleRelay, drainRelay } = await import("~/server/relay/default");
const { startRelayServer, exitGracefullyOnSignals } = await import("~/relay/node-server");
const server = await startRelayServer(handleRelay, Number(process.env.RELAY_PORT ?? 3001), process.env.RELAY_HOST ?? "0.0.0.0");
// SIGTERM: stop accepting, let open streams finish (RELAY_DRAIN_TIMEOUT_MS), cut and record the
// rest, wait until every record is in Redis or the local journal, then exit.
exitGracefullyOnSignals(server, () => drainRelay(), console.error);
console.error(`[relay] listening on ${server.url}`);
