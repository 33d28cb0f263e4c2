/**
 * Prisma 6.19 run fully offline: the bundled JS (wasm) schema engine talks to Postgres through
 * @prisma/adapter-pg, so no native engine is downloaded. See ../shared/notes/prisma-offline.md.
 * Three work-arounds for that path live here and only here (PatchedClient below).
 */
import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";

const DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/metergate";
process.env.DATABASE_URL ??= DEFAULT_DATABASE_URL;

/** Catalog types the adapter cannot map: `name` (19) and `"char"` (18); reported as text (25). */
const CATALOG_TEXT_OIDS = new Set([18, 19]);
const SHADOW_PREFIX = "prisma_migrate_shadow_db_";

type QueryResultLike = { fields?: Array<{ dataTypeID: number }> };

function retypeCatalogFields(r: QueryResultLike | QueryResultLike[] | undefined): void {
  for (const one of Array.isArray(r) ? r : [r]) {
    for (const f of one?.fields ?? []) if (CATALOG_TEXT_OIDS.has(f.dataTypeID)) f.dataTypeID = 25;
  }
}

class PatchedClient extends pg.Client {
  private readonly isShadow: boolean;

  constructor(config: pg.ClientConfig) {
    super(config);
    this.isShadow = String(config.database ?? "").startsWith(SHADOW_PREFIX);
  }

  // 3. The engine drops its shadow database while its own pool is still connected.
  //    FORCE terminates those sessions; their pool has no error listener, so swallow the error.
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === "error" && this.isShadow) return true;
    return super.emit(event, ...args);
  }

  // @ts-expect-error pg's overloads are not expressible in one signature; we forward them all.
  override query(...args: unknown[]) {
    const first = args[0];
    const rewrite = (sql: string) =>
      /^\s*DROP DATABASE\s+"[^"]+"\s*;?\s*$/i.test(sql) ? `${sql.replace(/;?\s*$/, "")} WITH (FORCE)` : sql;
    if (typeof first === "string") args[0] = rewrite(first);
    else if (first && typeof first === "object" && "text" in first && typeof first.text === "string")
      args[0] = { ...first, text: rewrite(first.text) };
    // 1. Map catalog OIDs to text before the adapter reads the field descriptions.
    //    pg-pool calls us with a callback; a direct client call gets a promise. Patch both.
    const last = args[args.length - 1];
    if (typeof last === "function") {
      args[args.length - 1] = (err: unknown, r: QueryResultLike | QueryResultLike[]) => {
        if (!err) retypeCatalogFields(r);
        return (last as (e: unknown, r: unknown) => unknown)(err, r);
      };
    }
    const result = (super.query as (...a: unknown[]) => unknown)(...args);
    if (result && typeof (result as Promise<unknown>).then === "function") {
      return (result as Promise<QueryResultLike | QueryResultLike[]>).then((r) => {
        retypeCatalogFields(r);
        return r;
      });
    }
    return result;
  }
}

/** 2. Discrete connection fields so the engine's shadow-database override of `database` takes effect. */
function poolConfig(url: string): pg.PoolConfig {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username || "postgres"),
    password: u.password ? decodeURIComponent(u.password) : undefined,
    database: decodeURIComponent(u.pathname.replace(/^\//, "")) || "postgres",
    Client: PatchedClient as unknown as typeof pg.Client,
  };
}

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations") },
  adapter: async () => new PrismaPg(poolConfig(process.env.DATABASE_URL!)),
});
