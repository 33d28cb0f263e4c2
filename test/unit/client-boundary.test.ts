/**
 * A server file (no "use client") that imports a value other than a component from a "use client"
 * module gets a client reference, not the value: a default range or page size passed to a server
 * prefetch then fails its input check, and the browser fetches after hydration (it happened to the
 * dashboard, the key page and the People page). Such values live in pure modules; this fails on any
 * non-component name imported across the boundary.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === "generated" ? [] : sourceFiles(full);
    return /\.(ts|tsx)$/.test(name) ? [full] : [];
  });
}

const isClient = (text: string) => /^\s*(["'])use client\1/.test(text);

function resolve(from: string, spec: string): string | null {
  const base = spec.startsWith("~/") ? path.join(ROOT, "src", spec.slice(2)) : spec.startsWith(".") ? path.resolve(path.dirname(from), spec) : null;
  if (!base) return null;
  for (const candidate of [`${base}.ts`, `${base}.tsx`, path.join(base, "index.ts"), path.join(base, "index.tsx")]) if (existsSync(candidate)) return candidate;
  return null;
}

describe("server files take only components from client modules", () => {
  it("imports no constant, function or hook from a \"use client\" module into a server file", () => {
    const problems: string[] = [];
    for (const file of sourceFiles(path.join(ROOT, "src"))) {
      const text = readFileSync(file, "utf8");
      if (isClient(text)) continue;
      const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
      for (const stmt of source.statements) {
        if (!ts.isImportDeclaration(stmt) || !ts.isStringLiteral(stmt.moduleSpecifier)) continue;
        const clause = stmt.importClause;
        if (!clause || clause.isTypeOnly) continue;
        const target = resolve(file, stmt.moduleSpecifier.text);
        if (!target || !isClient(readFileSync(target, "utf8"))) continue;
        const names = clause.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements.filter((e) => !e.isTypeOnly).map((e) => (e.propertyName ?? e.name).text) : [];
        // Components are PascalCase with a lower-case letter (RequestLog); constants are not (DEFAULT_RANGE, useT, sortCodec).
        for (const name of names) if (!/^[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*$/.test(name)) problems.push(`${path.relative(ROOT, file)} imports ${name} from ${stmt.moduleSpecifier.text}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
