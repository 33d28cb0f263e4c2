/**
 * Integration tests run against the real Postgres and Redis: a fresh `metergate_test` database
 * migrated with the committed migrations, and a Redis key prefix wiped before the run.
 */
import { execFileSync } from "node:child_process";
import { Redis } from "ioredis";
import pg from "pg";
import { TEST_DATABASE_URL, testEnv } from "./test-env";

export default async function setup(): Promise<void> {
  const url = new URL(TEST_DATABASE_URL);
  const dbName = url.pathname.slice(1);
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL.replace(/\/[^/]*$/, "/postgres") });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${dbName}"`);
  await admin.end();
  execFileSync("npx", ["prisma", "migrate", "deploy"], {
    env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL },
    stdio: "pipe",
  });
  const redis = new Redis(testEnv.REDIS_URL!);
  const keys = await redis.keys(`${testEnv.REDIS_PREFIX}*`);
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
  await redis.quit();
}
