/**
 * Integration tests run against the real Postgres and Redis: a fresh database of this run,
 * migrated with the committed migrations, and a Redis key prefix of this run; both removed after.
 */
import { execFileSync } from "node:child_process";
import { Redis } from "ioredis";
import pg from "pg";
import { TEST_DATABASE_URL, testEnv } from "./test-env";

const dbName = new URL(TEST_DATABASE_URL).pathname.slice(1);

async function adminQuery(...statements: string[]): Promise<void> {
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL.replace(/\/[^/]*$/, "/postgres") });
  await admin.connect();
  for (const sql of statements) await admin.query(sql);
  await admin.end();
}

async function wipeRedisPrefix(): Promise<void> {
  const redis = new Redis(testEnv.REDIS_URL!);
  const keys = await redis.keys(`${testEnv.REDIS_PREFIX}*`);
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
  await redis.quit();
}

export default async function setup(): Promise<() => Promise<void>> {
  await adminQuery(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`, `CREATE DATABASE "${dbName}"`);
  execFileSync("npx", ["prisma", "migrate", "deploy"], {
    env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL },
    stdio: "pipe",
  });
  await wipeRedisPrefix();
  return async () => {
    await adminQuery(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await wipeRedisPrefix();
  };
}
