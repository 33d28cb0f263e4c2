/**
 * The relay on a bare node:http server, bound to loopback, for `bench/relay.ts` (the "relay tier"
 * target). Same as `npm run relay` (scripts/relay-server.ts), except that one binds 0.0.0.0.
 *
 *   node --import tsx bench/lean-relay.ts PORT
 */
import { handleRelay } from "../src/server/relay/default";
import { startRelayServer } from "../src/relay/node-server";

const port = Number(process.argv[2] ?? 0);
const server = await startRelayServer(handleRelay, port, "127.0.0.1");
console.log(`lean relay listening on ${server.url}`);

const stop = (): void => {
  void server.close().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2_000).unref();
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
