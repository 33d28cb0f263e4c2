/**
 * Where a serving process's CPU went, per request: reads a V8 .cpuprofile (`npm run bench:relay --
 * --cpu-prof` writes them to bench/.profiles/<target>/) and splits its samples into the relay's
 * stages. A sample goes to the first stage in STAGES that any frame of its stack belongs to
 * (application stages first, so a JSON.stringify inside the logger counts as logging), else to the
 * innermost library stage (Redis client, undici, web streams, node:http), else to "other".
 *
 *   npx tsx bench/profile-split.ts bench/.profiles/relay/*.cpuprofile [--requests N] [--top 25] [--stage "GC"]
 *
 * --stage limits the top list to the samples of the stages whose names contain that text. Frames
 * of a compiled file with a source map beside it (the relay tier's .relay-build/relay-server.mjs)
 * are mapped back to their source files first, so the stages see src/ paths.
 */
import { existsSync, readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber?: number }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

type Matcher = (f: CallFrame) => boolean;
const url = (re: RegExp): Matcher => (f) => re.test(f.url);
const fn = (re: RegExp): Matcher => (f) => re.test(f.functionName);

/** Application stages: any frame on the stack decides. In priority order. */
const STAGES: Array<[string, Matcher]> = [
  ["logging", url(/\/(pino|pino-std-serializers|sonic-boom|thread-stream)\/|observability\/logger/)],
  ["metrics", url(/\/prom-client\/|observability\/metrics/)],
  ["flush loop + alerts (in process)", url(/ledger\/(flush|maintenance|dead-letter)|\/alerts\/|flush-runner|@prisma|generated\/prisma|\/pg\/|pg-protocol/)],
  ["record script (build event, price, call)", url(/ledger\/(record|recorder|event|sanitize|journal|charge)|\/pricing\//)],
  ["admission script (reserve, lease)", url(/ledger\/(quota|leases|periods|key-state|lua)|relay\/reservation/)],
  ["key lookup (hash, cache)", url(/relay\/(auth|stale-cache)|@node-rs\/argon2|keys\//)],
  ["SSE parsing + usage", url(/eventsource-parser|relay\/(observers|usage|adapters)|gpt-tokenizer/)],
  ["request body read + JSON", url(/relay\/request-body/)],
];
/** Library stages: the innermost frame that matches decides. */
const LIBRARIES: Array<[string, Matcher]> = [
  ["Redis client (ioredis, both scripts)", url(/\/ioredis\/|\/redis-parser\/|\/standard-as-callback\/|\/denque\//)],
  ["upstream request (undici)", url(/\/undici\/|node:internal\/deps\/undici|relay\/upstream|\/egress\//)],
  ["stream piping (web streams, relay-stream)", url(/node:internal\/webstreams|node:internal\/worker\/js_transferable|relay\/relay-stream|node:internal\/streams\/|node:stream/)],
  ["HTTP parse/write (node:http, net)", url(/node:_http|node:internal\/http|node:net|node:internal\/stream_base|relay\/node-server/)],
  ["upstream request (undici, bundled by Next)", url(/\.next\/server\/chunks\/.*undici/)],
  ["Metergate code bundled by Next (minified: not split further)", url(/\.next\/server\/chunks\/(src_|\[root)/)],
  ["Next.js", url(/\/next\/dist\/|\.next\/server/)],
  ["relay core (relay.ts, errors)", url(/relay\/(relay|errors|lifecycle|routes)\.ts/)],
  ["GC", fn(/^\(garbage collector\)$/)],
  ["start-up (module compile)", url(/node:internal\/modules\/|cjs-module-lexer|\/tsx\/|\/esbuild\//)],
  ["idle", fn(/^\((idle|program)\)$/)],
];

const sourceMaps = new Map<string, SourceMap | null>();
/** The frame as its source file has it, when its file is compiled with a `.map` beside it. */
function sourceFrame(f: CallFrame): CallFrame {
  if (!f.url.startsWith("file://") || f.lineNumber < 0) return f;
  let map = sourceMaps.get(f.url);
  if (map === undefined) {
    const mapFile = `${fileURLToPath(f.url)}.map`;
    map = existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, "utf8")) as ConstructorParameters<typeof SourceMap>[0]) : null;
    sourceMaps.set(f.url, map);
  }
  if (!map) return f;
  const entry = map.findEntry(f.lineNumber, f.columnNumber ?? 0) as { originalSource?: string; originalLine?: number };
  if (!entry.originalSource) return f;
  const source = entry.originalSource.startsWith("file://") ? entry.originalSource : pathToFileURL(path.resolve(path.dirname(fileURLToPath(f.url)), entry.originalSource)).href;
  return { ...f, url: source, lineNumber: entry.originalLine ?? f.lineNumber };
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { requests: { type: "string" }, top: { type: "string", default: "0" }, stage: { type: "string" } } });
const totals = new Map<string, number>();
const selfByFn = new Map<string, number>();
let totalUs = 0;
let idleUs = 0;
for (const file of positionals) {
  const prof = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  for (const n of prof.nodes) n.callFrame = sourceFrame(n.callFrame);
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stageOf = new Map<number, string>();
  const classify = (id: number): string => {
    const cached = stageOf.get(id);
    if (cached) return cached;
    const stack: CallFrame[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) stack.push(byId.get(cur)!.callFrame);
    let stage = STAGES.find(([, m]) => stack.some(m))?.[0];
    if (!stage) for (const f of stack) {
      stage = LIBRARIES.find(([, m]) => m(f))?.[0];
      if (stage) break;
    }
    stage ??= "other (JS runtime, natives, app glue)";
    stageOf.set(id, stage);
    return stage;
  };
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = prof.timeDeltas[i] ?? 0;
    const id = prof.samples[i]!;
    const stage = classify(id);
    if (stage === "idle") {
      idleUs += dt;
      continue;
    }
    totalUs += dt;
    totals.set(stage, (totals.get(stage) ?? 0) + dt);
    if (values.stage && !stage.includes(values.stage)) continue;
    const f = byId.get(id)!.callFrame;
    const k = `${f.functionName || "(anonymous)"} ${f.url.replace(/^.*\/node_modules\//, "~nm/").replace(/^file:\/\/.*?\/(src|bench|scripts)\//, "$1/")}:${f.lineNumber + 1}`;
    selfByFn.set(k, (selfByFn.get(k) ?? 0) + dt);
  }
}
const requests = values.requests ? Number(values.requests) : null;
console.log(`busy CPU ${(totalUs / 1000).toFixed(0)} ms (idle ${(idleUs / 1000).toFixed(0)} ms)${requests ? ` over ${requests} requests = ${(totalUs / 1000 / requests).toFixed(3)} ms/request` : ""}`);
for (const [stage, us] of [...totals].sort((a, b) => b[1] - a[1])) {
  console.log(`  ${stage.padEnd(44)} ${((us / totalUs) * 100).toFixed(1).padStart(5)} %${requests ? `  ${(us / 1000 / requests).toFixed(3)} ms/req` : ""}`);
}
const top = Number(values.top);
if (top > 0) {
  console.log(`top ${top} functions by self time${values.stage ? ` in stages matching "${values.stage}"` : ""} (% of all busy CPU):`);
  for (const [k, us] of [...selfByFn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${((us / totalUs) * 100).toFixed(1).padStart(5)} %  ${k}`);
}
