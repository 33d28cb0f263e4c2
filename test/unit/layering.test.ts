/**
 * The layout's import rules, checked on every file of src/, bench/, scripts/ and stub/: each folder
 * may import only the folders its row names (node and npm packages are free, except where a row
 * forbids one). README's Layout section mirrors LAYERS row by row.
 *
 * Imports are read with TypeScript's own pre-processor (static, dynamic `import()`, `export … from`,
 * side-effect imports), type-only imports included: a type dependency is a dependency.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

interface Layer {
  /** A folder (or a single file) of the repository. */
  path: string;
  /** What lives there (README's Layout column). */
  holds: string;
  /** The folders (or files) of this repository it may import, besides itself. "*" = any of src/ and stub/. */
  mayImport: readonly string[];
  /** npm packages it must not import although they are installed. */
  forbidPackages?: readonly string[];
}

/** Bottom first. A path is matched by its longest prefix among these rows. */
export const LAYERS: readonly Layer[] = [
  { path: "src/lib", holds: "pure helpers safe in the browser: money, time (units, time zones), the usage range, redirects", mayImport: [] },
  { path: "src/generated", holds: "the Prisma client (generated, not edited)", mayImport: [] },
  {
    path: "src/infra",
    holds: "the floor: db, redis (server-only), env, db-error kinds, logger, metrics registry, readiness, address/URL parsing",
    mayImport: ["src/generated"],
  },
  { path: "src/i18n", holds: "messages and locale plumbing (en, zh-CN)", mayImport: ["src/lib"] },
  { path: "src/net", holds: "the client address (TRUSTED_PROXY_HOPS) and the socket hop", mayImport: ["src/infra"] },
  { path: "src/egress", holds: "where tenant upstreams and webhooks may connect", mayImport: ["src/infra", "src/lib"] },
  // ledger/types: TokenUsage and ProviderName, types only; they belong below the ledger (a type cycle left for the pricing work).
  { path: "src/pricing", holds: "the price catalog and the one cost function", mayImport: ["src/lib", "src/ledger/types"] },
  { path: "src/audit", holds: "the audit action list and the one audit-row writer", mayImport: ["src/infra", "src/generated"] },
  // keys/lookup implements the relay's KeyLookup interface (types of relay/auth, the unpriced-policy schema).
  {
    path: "src/keys",
    holds: "keys and tenants: secrets, hashes, the limit definitions, expiry, lookup, price overrides, every key/tenant write",
    mayImport: ["src/infra", "src/lib", "src/generated", "src/i18n", "src/egress", "src/audit", "src/pricing", "src/ledger", "src/relay/auth", "src/relay/unpriced-policy"],
  },
  {
    path: "src/ledger",
    holds: "record, flush, quotas, live usage, the ledger's metrics",
    mayImport: ["src/infra", "src/lib", "src/generated", "src/audit", "src/pricing", "src/keys"],
  },
  {
    path: "src/relay",
    holds: "wire protocols, usage parsing, admission, upstream client: interfaces and injected deps only",
    mayImport: ["src/infra/env", "src/infra/observability", "src/lib", "src/net", "src/egress", "src/pricing", "src/keys", "src/ledger"],
    forbidPackages: ["@prisma/client", "@prisma/adapter-pg", "pg", "ioredis"],
  },
  {
    path: "src/alerts",
    holds: "alert rules, evaluation, webhook delivery",
    mayImport: ["src/infra", "src/lib", "src/generated", "src/egress", "src/audit", "src/pricing", "src/keys", "src/ledger", "src/relay"],
  },
  {
    path: "src/server",
    holds: "the top: tRPC routers, auth, exports, flush runner, metrics assembly, the relay's wiring (server/relay)",
    mayImport: ["src/infra", "src/lib", "src/generated", "src/i18n", "src/net", "src/egress", "src/audit", "src/pricing", "src/keys", "src/ledger", "src/relay", "src/alerts"],
  },
  { path: "src/trpc", holds: "tRPC clients: React provider, the server caller (server-only)", mayImport: ["src/server", "src/lib"] },
  { path: "src/instrumentation.ts", holds: "Next start-up: env check, socket hop, flush loop, drain", mayImport: ["src/infra", "src/net", "src/server"] },
  { path: "src/proxy.ts", holds: "Next proxy: per-request CSP", mayImport: [] },
  {
    path: "src/components",
    holds: "React components; data through tRPC procedures or server components",
    mayImport: ["src/lib", "src/i18n", "src/trpc", "src/generated/prisma/enums", "src/ledger/limit-status", "src/ledger/request-log-filter", "src/ledger/session-sort", "src/pricing/explanation-text", "src/keys/limits"],
  },
  {
    path: "src/app",
    holds: "Next.js routes only (pages, /v1 relay handlers, /api)",
    mayImport: ["src/components", "src/trpc", "src/server", "src/i18n", "src/lib", "src/net", "src/keys", "src/infra/observability", "src/infra/env"],
  },
  { path: "stub", holds: "the stub upstream LLM and the recorded provider frames it serves", mayImport: [] },
  { path: "bench", holds: "benchmarks that print figures", mayImport: ["*"] },
  { path: "scripts", holds: "start, test, CLI, workers, services bootstrap", mayImport: ["*"] },
];

/**
 * Imports the rules do not allow yet, each with the work that removes it. The test fails when one
 * of these is no longer there (delete the row) as well as when a new one appears.
 */
export const PENDING: ReadonlyArray<{ from: string; to: string; why: string }> = [
  { from: "src/components/lookup/lookup-form.tsx", to: "src/app/lookup/actions", why: "a server action the form posts to; belongs beside the lookup procedures" },
];

const ROOT = path.resolve(import.meta.dirname, "../..");
const SCANNED = ["src", "bench", "scripts", "stub"];
const SOURCE = /\.(ts|tsx|mts|mjs|js)$/;

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (name === "node_modules" || full === path.join(ROOT, "src/generated")) continue;
    if (statSync(full).isDirectory()) sourceFiles(full, out);
    else if (SOURCE.test(name)) out.push(full);
  }
  return out;
}

/** A repository path ("src/ledger/types") for a specifier, or null for a node / npm package. */
function resolveSpecifier(fromFile: string, specifier: string): string | null {
  if (specifier.startsWith("~/")) return `src/${specifier.slice(2)}`;
  if (specifier.startsWith(".")) return path.relative(ROOT, path.resolve(path.dirname(fromFile), specifier)).split(path.sep).join("/");
  return null;
}

const packageName = (specifier: string): string =>
  specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/");

const within = (target: string, prefix: string): boolean =>
  target === prefix || target.startsWith(`${prefix}/`) || target.replace(/\.(tsx?|mjs|js)$/, "") === prefix.replace(/\.(tsx?|mjs|js)$/, "");

function layerOf(file: string): Layer | undefined {
  let best: Layer | undefined;
  for (const layer of LAYERS) if (within(file, layer.path) && (!best || layer.path.length > best.path.length)) best = layer;
  return best;
}

interface Import {
  from: string;
  specifier: string;
  /** Repository path, or null for a package. */
  target: string | null;
}

function allImports(): Import[] {
  const imports: Import[] = [];
  for (const dir of SCANNED) {
    for (const file of sourceFiles(path.join(ROOT, dir))) {
      const from = path.relative(ROOT, file).split(path.sep).join("/");
      const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
      for (const { fileName } of importedFiles) imports.push({ from, specifier: fileName, target: resolveSpecifier(file, fileName) });
    }
  }
  return imports;
}

/** Why an import breaks the table, or null when it may stand. */
function breach(imp: Import): string | null {
  const layer = layerOf(imp.from);
  if (!layer) return `${imp.from} is in no row of LAYERS: add its folder`;
  if (imp.target === null) {
    const pkg = packageName(imp.specifier);
    return layer.forbidPackages?.includes(pkg) ? `${layer.path} must not import the package ${pkg}` : null;
  }
  const target = imp.target;
  if (within(target, "test") || within(target, "e2e")) return `${layer.path} must not import ${target} (tests are no one's dependency)`;
  if (within(target, layer.path)) return null;
  if (layer.mayImport.includes("*") && (within(target, "src") || within(target, "stub"))) return null;
  if (layer.mayImport.some((allowed) => within(target, allowed))) return null;
  return `${layer.path} may not import ${target}`;
}

const isPending = (imp: Import): boolean => PENDING.some((p) => p.from === imp.from && imp.target !== null && within(imp.target, p.to));

describe("layering", () => {
  const imports = allImports();

  it("reads the tree (sanity: the parser sees static, dynamic and type-only imports)", () => {
    expect(imports.length).toBeGreaterThan(500);
    expect(imports).toContainEqual(expect.objectContaining({ from: "src/instrumentation.ts", target: "src/infra/env" }));
    expect(imports).toContainEqual(expect.objectContaining({ from: "src/trpc/react.tsx", target: "src/server/api/root" }));
  });

  it("every import is one the table allows", () => {
    const breaches = imports.filter((imp) => !isPending(imp)).map((imp) => [imp, breach(imp)] as const);
    expect(breaches.filter(([, why]) => why !== null).map(([imp, why]) => `${imp.from}: "${imp.specifier}" — ${why}`)).toEqual([]);
  });

  it("every pending exception still exists and still breaks the table (else delete its row)", () => {
    const stale = PENDING.filter(
      (p) => !imports.some((imp) => imp.from === p.from && imp.target !== null && within(imp.target, p.to) && breach(imp) !== null),
    );
    expect(stale.map((p) => `${p.from} -> ${p.to}`)).toEqual([]);
  });

  it("README's Layout section lists every row, with what it may import", () => {
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    const layout = readme.slice(readme.indexOf("## Layout"));
    const rows = new Map<string, string>();
    for (const m of layout.matchAll(/^\| `([^`]+)` \| [^|]+ \| ([^|]+) \|$/gm)) rows.set(m[1]!.replace(/\/$/, ""), m[2]!);
    for (const layer of LAYERS) {
      const cell = rows.get(layer.path);
      expect(cell, `README Layout has no row for ${layer.path}`).toBeDefined();
      const named = [...cell!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!.replace(/\/$/, ""));
      const expected = layer.mayImport.includes("*") ? ["src", "stub"] : layer.mayImport;
      for (const allowed of expected) expect(named, `README row ${layer.path}`).toContain(allowed);
      if (expected.length === 0) expect(cell!.trim(), `README row ${layer.path}`).toBe("nothing");
    }
  });

  it("the rules the issue names hold", () => {
    const domain = ["src/lib", "src/infra", "src/i18n", "src/net", "src/egress", "src/pricing", "src/keys", "src/ledger", "src/relay", "src/alerts"];
    for (const d of domain) {
      const row = LAYERS.find((l) => l.path === d)!;
      expect(row.mayImport.filter((m) => ["src/server", "src/app", "src/components", "src/trpc"].some((top) => within(m, top)))).toEqual([]);
    }
    expect(LAYERS.find((l) => l.path === "src/infra")!.mayImport).toEqual(["src/generated"]);
    const relay = LAYERS.find((l) => l.path === "src/relay")!;
    expect(relay.mayImport.some((m) => within("src/infra/db", m) || within("src/infra/redis", m) || within("src/generated", m))).toBe(false);
    expect(relay.forbidPackages).toContain("@prisma/client");
  });
});
