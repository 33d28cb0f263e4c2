/** The environment every test process uses: its own database and Redis key prefix. */
export const TEST_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/metergate_test";

export const testEnv: Record<string, string> = {
  NODE_ENV: "test",
  DATABASE_URL: TEST_DATABASE_URL,
  REDIS_URL: process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379",
  REDIS_PREFIX: "mgtest:",
  NEXTAUTH_SECRET: "test-secret-test-secret-test-secret-0123",
  ENCRYPTION_KEY: "0".repeat(64),
  LOG_LEVEL: "silent",
  FLUSH_IN_PROCESS: "false",
};
