/**
 * Summarizes heap snapshots (bench/relay.ts --heap-snapshots): objects by constructor, and with a
 * second snapshot the difference per open stream, so what each stream keeps alive can be read off.
 *
 *   npx tsx bench/heap-summary.ts <with.heapsnapshot> [<before.heapsnapshot>] [--per 1000] [--top 40] [--chains Class,Class]
 *
 * Columns: count, self size (the object's own bytes) and retained size (what would be freed with
 * it: the dominator tree, weak edges left out, as DevTools computes it; summed only over objects
 * not dominated by another of the same class, so nested ones are not counted twice). With a
 * baseline, every figure is (with − before) / per. `--chains` prints, for a few objects of each
 * named class, the classes of their dominators up to the root: who keeps them alive.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    per: { type: "string", default: "1000" },
    top: { type: "string", default: "40" },
    chains: { type: "string", default: "" },
    parents: { type: "string", default: "" },
    owned: { type: "string", default: "" },
  },
});

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]]; location_fields?: string[] }; node_count: number };
  nodes: number[];
  locations?: number[];
  edges: number[];
  strings: string[];
}

interface Summary {
  byClass: Map<string, { count: number; self: number; retained: number }>;
  total: number;
  classOf: (i: number) => string;
  idom: Int32Array;
  retained: Float64Array;
  nodeCount: number;
  owners: Map<string, number>;
  parents: (c: string) => Map<string, number>;
  /** --owned: self sizes of what each named owner holds, by class. */
  ownedDetail: Map<string, number>;
}

const GENERIC = new Set(["Object", "Array", "system / Context", "Promise", "Map", "Set", "WeakMap", "Uint8Array", "ArrayBuffer", "system / JSArrayBufferData", "(closure native_bind)", "(closure bound)"]);

function summarize(file: string): Summary {
  const snap = JSON.parse(readFileSync(file, "utf8")) as Snapshot;
  const { meta } = snap.snapshot;
  const nf = meta.node_fields.length;
  const ef = meta.edge_fields.length;
  const nType = meta.node_fields.indexOf("type");
  const nName = meta.node_fields.indexOf("name");
  const nSelf = meta.node_fields.indexOf("self_size");
  const nEdges = meta.node_fields.indexOf("edge_count");
  const eType = meta.edge_fields.indexOf("type");
  const eTo = meta.edge_fields.indexOf("to_node");
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const weak = edgeTypes.indexOf("weak");
  const { nodes, edges, strings } = snap;
  const n = nodes.length / nf;

  const firstEdge = new Int32Array(n + 1);
  for (let i = 0, e = 0; i < n; i++) {
    firstEdge[i] = e;
    e += nodes[i * nf + nEdges]! * ef;
    firstEdge[i + 1] = e;
  }
  const eName = meta.edge_fields.indexOf("name_or_index");
  const elementEdge = edgeTypes.indexOf("element");
  const hiddenEdge = edgeTypes.indexOf("hidden");
  /** The node an edge named `edge` of node i points to, or -1. */
  const edgeTarget = (i: number, edge: string): number => {
    for (let e = firstEdge[i]!; e < firstEdge[i + 1]!; e += ef) {
      const t = edges[e + eType]!;
      if (t !== elementEdge && t !== hiddenEdge && strings[edges[e + eName]!] === edge) return edges[e + eTo]! / nf;
    }
    return -1;
  };
  // Where a function is defined (file and line), for naming suspended async functions.
  const lineOf = new Map<number, string>();
  const lf = meta.location_fields?.length ?? 4;
  const locs = snap.locations ?? [];
  for (let k = 0; k < locs.length; k += lf) lineOf.set(locs[k]! / nf, `${locs[k + 2]! + 1}:${locs[k + 3]! + 1}`);
  const whereOf = (fn: number): string => {
    const sfi = edgeTarget(fn, "shared");
    const script = sfi >= 0 ? edgeTarget(sfi, "script_or_debug_info") : -1;
    let file = script >= 0 ? strings[nodes[script * nf + nName]!]! : "?";
    file = file.replace(/^.*\/(node_modules|\.next)\//, "$1/").replace(/^\.next\/server\/chunks\//, "chunks/");
    return `${file}:${lineOf.get(fn) ?? "?"}`;
  };
  const classOf = (i: number): string => {
    const type = nodeTypes[nodes[i * nf + nType]!]!;
    const name = strings[nodes[i * nf + nName]!]!;
    // A suspended async function: name it after its function.
    if (type === "object" && name === "Generator") {
      const fn = edgeTarget(i, "function");
      if (fn >= 0) return `Generator ${strings[nodes[fn * nf + nName]!] || "anonymous"} (${whereOf(fn)})`;
    }
    switch (type) {
      case "object":
      case "native":
        return name.length > 80 ? `${name.slice(0, 80)}…` : name;
      case "closure":
        return `(closure ${name || "anonymous"})`;
      case "string":
      case "concatenated string":
      case "sliced string":
        return "(string)";
      case "array":
        return `(array ${name})`;
      case "hidden":
      case "object shape":
        return `(${type} ${name.slice(0, 40)})`;
      default:
        return `(${type})`;
    }
  };

  // Dominators (Cooper, Harvey, Kennedy) over the graph from the root (node 0), weak edges left out.
  const order = new Int32Array(n).fill(-1); // post-order number
  const byOrder = new Int32Array(n);
  let count = 0;
  {
    const stack = new Int32Array(n);
    const edgeAt = new Int32Array(n);
    const seen = new Uint8Array(n);
    let sp = 0;
    stack[sp++] = 0;
    seen[0] = 1;
    edgeAt[0] = firstEdge[0]!;
    while (sp > 0) {
      const v = stack[sp - 1]!;
      let pushed = false;
      while (edgeAt[v]! < firstEdge[v + 1]!) {
        const e = edgeAt[v]!;
        edgeAt[v] = e + ef;
        if (edges[e + eType] === weak) continue;
        const w = edges[e + eTo]! / nf;
        if (seen[w]) continue;
        seen[w] = 1;
        edgeAt[w] = firstEdge[w]!;
        stack[sp++] = w;
        pushed = true;
        break;
      }
      if (!pushed) {
        sp--;
        order[v] = count;
        byOrder[count++] = v;
      }
    }
  }
  // Predecessors of reachable nodes.
  const predCount = new Int32Array(n + 1);
  for (let v = 0; v < n; v++) {
    if (order[v]! < 0) continue;
    for (let e = firstEdge[v]!; e < firstEdge[v + 1]!; e += ef) {
      if (edges[e + eType] === weak) continue;
      predCount[edges[e + eTo]! / nf]!++;
    }
  }
  const predStart = new Int32Array(n + 1);
  for (let v = 0; v < n; v++) predStart[v + 1] = predStart[v]! + predCount[v]!;
  const preds = new Int32Array(predStart[n]!);
  const predEdges = new Int32Array(predStart[n]!);
  const fill = predStart.slice(0, n);
  for (let v = 0; v < n; v++) {
    if (order[v]! < 0) continue;
    for (let e = firstEdge[v]!; e < firstEdge[v + 1]!; e += ef) {
      if (edges[e + eType] === weak) continue;
      const w = edges[e + eTo]! / nf;
      predEdges[fill[w]!] = e;
      preds[fill[w]!++] = v;
    }
  }
  const idomOrder = new Int32Array(count).fill(-1);
  const root = order[0]!;
  idomOrder[root] = root;
  for (let changed = true; changed; ) {
    changed = false;
    for (let o = count - 1; o >= 0; o--) {
      if (o === root) continue;
      const v = byOrder[o]!;
      let newIdom = -1;
      for (let p = predStart[v]!; p < predStart[v + 1]!; p++) {
        let po = order[preds[p]!]!;
        if (po < 0 || idomOrder[po] === -1) continue;
        if (newIdom === -1) {
          newIdom = po;
          continue;
        }
        let a = po;
        let b = newIdom;
        while (a !== b) {
          while (a < b) a = idomOrder[a]!;
          while (b < a) b = idomOrder[b]!;
        }
        newIdom = a;
      }
      if (newIdom !== -1 && idomOrder[o] !== newIdom) {
        idomOrder[o] = newIdom;
        changed = true;
      }
    }
  }
  const idom = new Int32Array(n).fill(-1);
  for (let o = 0; o < count; o++) idom[byOrder[o]!] = byOrder[idomOrder[o]!]!;
  const retained = new Float64Array(n);
  for (let v = 0; v < n; v++) retained[v] = nodes[v * nf + nSelf]!;
  // Post-order: children before their dominator.
  for (let o = 0; o < count; o++) {
    const v = byOrder[o]!;
    if (v !== 0) retained[idom[v]!]! += retained[v]!;
  }

  const byClass = new Map<string, { count: number; self: number; retained: number }>();
  let total = 0;
  const cls = new Array<string>(n);
  for (let v = 0; v < n; v++) cls[v] = classOf(v);
  for (let v = 0; v < n; v++) {
    if (order[v]! < 0) continue; // unreachable: collected
    const c = cls[v]!;
    const self = nodes[v * nf + nSelf]!;
    total += self;
    let row = byClass.get(c);
    if (!row) byClass.set(c, (row = { count: 0, self: 0, retained: 0 }));
    row.count++;
    row.self += self;
    // Retained once per outermost object of its class.
    let d = idom[v]!;
    let nested = false;
    while (d > 0) {
      if (cls[d] === c) {
        nested = true;
        break;
      }
      d = idom[d]!;
    }
    if (!nested) row.retained += retained[v]!;
  }
  // Owners: each object's self size goes to its nearest dominator with a telling class (a named
  // function's suspended frame or closure, a class instance), so a stream's bytes land on what holds them.
  const owners = new Map<string, number>();
  const telling = (c: string): boolean => !GENERIC.has(c) && !c.startsWith("(array") && !c.startsWith("(hidden") && !c.startsWith("(object shape") && c !== "(closure anonymous)" && c !== "(string)" && c !== "(number)" && c !== "(code)" && c !== "(synthetic)";
  const ownerOf = new Int32Array(n).fill(-1);
  // Reverse post-order: dominators before the nodes they dominate.
  for (let o = count - 1; o >= 0; o--) {
    const v = byOrder[o]!;
    if (v === 0) continue;
    ownerOf[v] = telling(cls[v]!) ? v : ownerOf[idom[v]!]!;
  }
  const ownedDetail = new Map<string, number>();
  const detailOf = new Set(opts.owned.split(",").filter(Boolean));
  for (let v = 0; v < n; v++) {
    if (order[v]! < 0) continue;
    const o = ownerOf[v]!;
    const label = o < 0 ? "(root)" : cls[o]!;
    owners.set(label, (owners.get(label) ?? 0) + nodes[v * nf + nSelf]!);
    if (detailOf.has(label)) {
      const k = `${label} ⊃ ${cls[v]}`;
      ownedDetail.set(k, (ownedDetail.get(k) ?? 0) + nodes[v * nf + nSelf]!);
    }
  }
  /** For objects of class `c`: their retainers as "class .edge", counted (an object counts for each retainer). */
  const parents = (c: string): Map<string, number> => {
    const out = new Map<string, number>();
    for (let v = 0; v < n; v++) {
      if (order[v]! < 0 || cls[v] !== c) continue;
      for (let p = predStart[v]!; p < predStart[v + 1]!; p++) {
        const e = predEdges[p]!;
        const t = edges[e + eType]!;
        const edgeName = t === elementEdge || t === hiddenEdge ? `[${edges[e + eName]}]` : `.${strings[edges[e + eName]!]}`;
        const key = `${cls[preds[p]!]} ${t === elementEdge || t === hiddenEdge ? "[]" : edgeName}`;
        out.set(key, (out.get(key) ?? 0) + 1);
      }
    }
    return out;
  };
  return { byClass, total, classOf: (i) => cls[i]!, idom, retained, nodeCount: n, owners, parents, ownedDetail };
}

const [withFile, beforeFile] = positionals;
if (!withFile) {
  console.error("usage: npx tsx bench/heap-summary.ts <with.heapsnapshot> [<before.heapsnapshot>] [--per N] [--top N] [--chains A,B]");
  process.exit(2);
}
const per = beforeFile ? Number(opts.per) : 1;
const top = Number(opts.top);
const w = summarize(withFile);
const b = beforeFile ? summarize(beforeFile) : null;
const kb = (x: number): string => (x / 1024).toFixed(2).padStart(9);
const rows = [...w.byClass].map(([name, r]) => {
  const o = b?.byClass.get(name) ?? { count: 0, self: 0, retained: 0 };
  return { name, count: (r.count - o.count) / per, self: (r.self - o.self) / per, retained: (r.retained - o.retained) / per };
});
console.log(
  b
    ? `${withFile} − ${beforeFile}, per ${per}: heap self size ${kb((w.total - b.total) / per)} KB`
    : `${withFile}: heap self size ${kb(w.total)} KB`,
);
console.log(`${"count".padStart(9)} ${"self KB".padStart(9)} ${"retained".padStart(9)}  class`);
for (const r of rows.sort((x, y) => y.self - x.self).slice(0, top)) {
  console.log(`${r.count.toFixed(2).padStart(9)} ${kb(r.self)} ${kb(r.retained)}  ${r.name}`);
}
console.log(`\nby retained size (outermost objects of each class):`);
for (const r of rows.sort((x, y) => y.retained - x.retained).slice(0, top)) {
  console.log(`${r.count.toFixed(2).padStart(9)} ${kb(r.self)} ${kb(r.retained)}  ${r.name}`);
}

console.log(`\nby owner (self sizes summed up to the nearest dominator with a telling class):`);
const ownerRows = [...w.owners].map(([name, size]) => ({ name, size: (size - (b?.owners.get(name) ?? 0)) / per }));
for (const r of ownerRows.sort((x, y) => y.size - x.size).slice(0, top)) console.log(`${kb(r.size)}  ${r.name}`);

if (opts.owned) {
  console.log(`\nwhat ${opts.owned} own, by class (self KB${b ? " per " + per : ""}):`);
  const od = [...w.ownedDetail].map(([k, v]) => [k, (v - (b?.ownedDetail.get(k) ?? 0)) / per] as const).sort((x, y) => y[1] - x[1]).slice(0, top);
  for (const [k, v] of od) console.log(`${kb(v)}  ${k}`);
}

for (const name of opts.parents.split(",").filter(Boolean)) {
  console.log(`\nretainers of ${name} (class .edge: count${b ? " per " + per : ""}):`);
  const wp = w.parents(name);
  const bp = b?.parents(name);
  const rows2 = [...wp].map(([k, c]) => [k, (c - (bp?.get(k) ?? 0)) / per] as const).sort((x, y) => y[1] - x[1]).slice(0, 25);
  for (const [k, c] of rows2) console.log(`${c.toFixed(2).padStart(9)}  ${k}`);
}

for (const name of opts.chains.split(",").filter(Boolean)) {
  console.log(`\ndominator chains of ${name} (largest retained first):`);
  const found: number[] = [];
  for (let v = 0; v < w.nodeCount; v++) if (w.idom[v]! >= 0 && w.classOf(v) === name) found.push(v);
  found.sort((x, y) => w.retained[y]! - w.retained[x]!);
  const chains = new Map<string, number>();
  for (const v of found) {
    const chain: string[] = [];
    for (let d = w.idom[v]!, i = 0; d > 0 && i < 12; d = w.idom[d]!, i++) chain.push(w.classOf(d));
    const key = chain.join(" ← ");
    chains.set(key, (chains.get(key) ?? 0) + 1);
  }
  for (const [chain, c] of [...chains].sort((x, y) => y[1] - x[1]).slice(0, 6)) console.log(`  ${c}×  ${name} ← ${chain}`);
  console.log(`  (${found.length} objects; largest retains ${kb(w.retained[found[0] ?? 0] ?? 0)} KB)`);
}
