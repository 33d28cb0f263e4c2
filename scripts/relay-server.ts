/**
 * `npm run relay`: the relay alone on a bare Node server (RELAY_PORT, default 3001; RELAY_HOST,
 * default 0.0.0.0) — the dedicated relay tier. It is about 2.5× cheaper per request than the same
 * relay behind Next's route handlers (see bench/relay.ts); the flush job runs in the app or in
 * `npm run flush:worker`.
 */
import { loadDotEnv } from "./ensure-env";

loadDotEnv();
const { handleRelay } = await import("~/relay");
const { startRelayServer } = await import("~/relay/node-server");
const server = await startRelayServer(handleRelay, Number(process.env.RELAY_PORT ?? 3001), process.env.RELAY_HOST ?? "0.0.0.0");
console.error(`[relay] listening on ${server.url}`);
for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => void server.close().finally(() => process.exit(0)));
