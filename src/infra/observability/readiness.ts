/**
 * Readiness: can this instance serve? Postgres answers, Redis answers, and every migration in
 * prisma/migrations is applied (per Prisma's `_prisma_migrations` table). Liveness (/api/health)
 * checks nothing external on purpose: a database outage must not get healthy instances restarted.
 */
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { observePostgresError, observeRedisError } from "./metrics";
import { scrubSecrets } from "./logger";

export interface CheckResult {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

export interface MigrationsCheck extends CheckResult {
  /** Migrations in prisma/migrations. */
  expected?: number;
  /** Of those, applied (finished and not rolled back). */
  applied?: number;
  /** In the folder but not applied: the database is behind the code. */
  pending?: string[];
  /** Started but never finished (a failed `migrate deploy`): needs an operator. */
  failed?: string[];
  /** Applied but not in the folder: the database is ahead of this build (reported, not fatal). */
  unknown?: string[];
}

export interface ReadinessReport {
  status: "ok" | "unavailable";
  checks: { postgres: CheckResult; redis: CheckResult; migrations: MigrationsCheck };
}

/** The smallest surfaces readiness needs, so tests can pass fakes. */
export interface ReadinessDb {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}
export interface ReadinessRedis {
  ping(): Promise<string>;
}

export interface ReadinessDeps {
  db: ReadinessDb;
  redis: ReadinessRedis;
  migrationsDir: string;
  timeoutMs: number;
}

export const DEFAULT_MIGRATIONS_DIR = path.join(process.cwd(), "prisma", "migrations");

class TimeoutError extends Error {}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TimeoutError(`${what} did not answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function message(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  // Prisma errors can be long and multi-line; the first meaningful line is enough for an operator.
  const line = text.split("\n").map((s) => s.trim()).find((s) => s.length > 0) ?? "error";
  return scrubSecrets(line, 300);
}

async function timed<T extends CheckResult>(run: () => Promise<Omit<T, "latencyMs">>, onError: () => void): Promise<T> {
  const t0 = performance.now();
  try {
    const r = await run();
    return { ...r, latencyMs: Math.round(performance.now() - t0) } as T;
  } catch (err) {
    onError();
    return { ok: false, latencyMs: Math.round(performance.now() - t0), error: message(err) } as T;
  }
}

/** Names of the migration folders (those holding a migration.sql), sorted as Prisma applies them. */
export async function listMigrations(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names: string[] = [];
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const sql = await stat(path.join(dir, e.name, "migration.sql")).catch(() => null);
    if (sql?.isFile()) names.push(e.name);
  }
  return names.sort();
}

interface MigrationRow {
  migration_name: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

export async function checkPostgres(deps: Pick<ReadinessDeps, "db" | "timeoutMs">): Promise<CheckResult> {
  return timed<CheckResult>(
    async () => {
      await withTimeout(deps.db.$queryRawUnsafe("SELECT 1"), deps.timeoutMs, "Postgres");
      return { ok: true };
    },
    () => observePostgresError("readiness"),
  );
}

export async function checkRedis(deps: Pick<ReadinessDeps, "redis" | "timeoutMs">): Promise<CheckResult> {
  return timed<CheckResult>(
    async () => {
      const pong = await withTimeout(deps.redis.ping(), deps.timeoutMs, "Redis");
      if (pong !== "PONG") throw new Error(`unexpected PING reply: ${String(pong).slice(0, 40)}`);
      return { ok: true };
    },
    () => observeRedisError("readiness"),
  );
}

export async function checkMigrations(
  deps: Pick<ReadinessDeps, "db" | "migrationsDir" | "timeoutMs">,
): Promise<MigrationsCheck> {
  return timed<MigrationsCheck>(
    async () => {
      const expected = await listMigrations(deps.migrationsDir).catch((err: unknown) => {
        throw new Error(`cannot read migrations folder ${deps.migrationsDir}: ${message(err)}`);
      });
      const exists = await withTimeout(
        deps.db.$queryRawUnsafe<Array<{ exists: boolean }>>(
          `SELECT to_regclass('_prisma_migrations') IS NOT NULL AS "exists"`,
        ),
        deps.timeoutMs,
        "Postgres",
      );
      if (!exists[0]?.exists) {
        return {
          ok: false,
          expected: expected.length,
          applied: 0,
          pending: expected,
          error: "no _prisma_migrations table: run `prisma migrate deploy`",
        };
      }
      const rows = await withTimeout(
        deps.db.$queryRawUnsafe<MigrationRow[]>(
          `SELECT migration_name, finished_at, rolled_back_at FROM _prisma_migrations`,
        ),
        deps.timeoutMs,
        "Postgres",
      );
      const applied = new Set(
        rows.filter((r) => r.finished_at !== null && r.rolled_back_at === null).map((r) => r.migration_name),
      );
      const failed = [
        ...new Set(
          rows
            .filter((r) => r.finished_at === null && r.rolled_back_at === null && !applied.has(r.migration_name))
            .map((r) => r.migration_name),
        ),
      ].sort();
      const known = new Set(expected);
      const pending = expected.filter((m) => !applied.has(m));
      const unknown = [...applied].filter((m) => !known.has(m)).sort();
      const ok = pending.length === 0 && failed.length === 0;
      return {
        ok,
        expected: expected.length,
        applied: expected.length - pending.length,
        pending,
        failed,
        unknown,
        ...(ok
          ? {}
          : {
              error:
                failed.length > 0
                  ? "a migration failed: resolve it (prisma migrate resolve) and deploy again"
                  : "migrations pending: run `prisma migrate deploy`",
            }),
      };
    },
    () => observePostgresError("readiness"),
  );
}

async function defaultDeps(): Promise<ReadinessDeps> {
  const [{ db }, { redis }] = await Promise.all([import("~/infra/db"), import("~/infra/redis")]);
  return {
    db,
    redis,
    migrationsDir: process.env.MIGRATIONS_DIR || DEFAULT_MIGRATIONS_DIR,
    timeoutMs: Number(process.env.READY_TIMEOUT_MS) > 0 ? Number(process.env.READY_TIMEOUT_MS) : 2000,
  };
}

/** Runs the three checks in parallel; status is "ok" only when all pass. */
export async function checkReadiness(overrides: Partial<ReadinessDeps> = {}): Promise<ReadinessReport> {
  let base: ReadinessDeps;
  if (overrides.db && overrides.redis) {
    base = { db: overrides.db, redis: overrides.redis, migrationsDir: DEFAULT_MIGRATIONS_DIR, timeoutMs: 2000 };
  } else {
    try {
      base = await defaultDeps();
    } catch (err) {
      // e.g. an invalid environment: the clients cannot even be built.
      const failed = { ok: false, latencyMs: 0, error: message(err) };
      return { status: "unavailable", checks: { postgres: failed, redis: failed, migrations: failed } };
    }
  }
  const deps: ReadinessDeps = { ...base, ...overrides };
  const [postgres, redis, migrations] = await Promise.all([
    checkPostgres(deps),
    checkRedis(deps),
    checkMigrations(deps),
  ]);
  const ok = postgres.ok && redis.ok && migrations.ok;
  return { status: ok ? "ok" : "unavailable", checks: { postgres, redis, migrations } };
}
