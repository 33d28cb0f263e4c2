/**
 * The environment every test process uses: a database and a Redis key prefix of its own run
 * (TEST_RUN_ID is set once in vitest.config.ts and inherited by the workers), so two runs on one
 * machine never see each other's data.
 */
const runId = process.env.TEST_RUN_ID ?? "local";

export const TEST_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? `postgresql://postgres@127.0.0.1:5432/metergate_test_${runId}`;

export const TEST_REDIS_PREFIX = `mgtest:${runId}:`;

export const testEnv: Record<string, string> = {
  NODE_ENV: "test",
  DATABASE_URL: TEST_DATABASE_URL,
  REDIS_URL: process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379",
  REDIS_PREFIX: TEST_REDIS_PREFIX,
  NEXTAUTH_SECRET: "test-secret-test-secret-test-secret-0123",
  ENCRYPTION_KEY: "0".repeat(64),
  LOG_LEVEL: "silent",
  FLUSH_IN_PROCESS: "false",
};
