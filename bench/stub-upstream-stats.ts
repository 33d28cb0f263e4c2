/**
 * scripts/stub-upstream.ts plus a stats line twice a second on stdout
 * (`STATS inFlight=… completed=… aborted=…`), so the relay bench can tell whether the relay
 * released upstream requests when its clients went away.
 *
 *   node --import tsx bench/stub-upstream-stats.ts --port N
 */
import { parseArgs } from "node:util";
import { startStubUpstream } from "../stub/upstream";

const { values } = parseArgs({ options: { port: { type: "string", default: "4010" } } });
const stub = await startStubUpstream({ port: Number(values.port), host: "127.0.0.1", recordBodies: false });
setInterval(() => {
  const s = stub.stats;
  console.log(`STATS inFlight=${s.inFlight} completed=${s.completed} aborted=${s.aborted}`);
}, 500);
console.log(`stub upstream listening on ${stub.url}`);
process.once("SIGTERM", () => void stub.close().finally(() => process.exit(0)));
