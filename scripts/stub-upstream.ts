/**
 * `npm run stub -- --port 4010 [--chunk 16] [--delay 5]`: the fixture-serving stub upstream, for
 * demos without a provider account. Point UPSTREAM_ANTHROPIC_BASE_URL and UPSTREAM_OPENAI_BASE_URL
 * at it.
 */
import { parseArgs } from "node:util";
import { startStubUpstream } from "../stub/upstream";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "4010" },
    host: { type: "string", default: "127.0.0.1" },
    chunk: { type: "string" },
    delay: { type: "string" },
  },
});

const stub = await startStubUpstream({
  port: Number(values.port),
  host: values.host,
  recordBodies: false,
  knobs: {
    ...(values.chunk ? { chunk: Number(values.chunk) } : {}),
    ...(values.delay ? { delay: Number(values.delay) } : {}),
  },
});
console.log(`stub upstream listening on ${stub.url}`);
