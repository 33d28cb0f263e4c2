/**
 * The environment shared by the app server under test and the commands the tests run (the flush
 * CLI): same database, same Redis prefix, upstream pointed at the stub the tests start.
 */
export const E2E_PORT = Number(process.env.E2E_PORT ?? 3100);
export const E2E_BASE_URL = process.env.E2E_BASE_URL ?? `http://localhost:${E2E_PORT}`;
/** The stub upstream (scripts/stub-upstream.ts) listens here; the app's upstream URLs point at it. */
export const E2E_STUB_PORT = Number(process.env.STUB_PORT ?? 4010);

export const e2eServerEnv: Record<string, string> = {
  NODE_ENV: "production",
  DATABASE_URL: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/metergate",
  REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
  REDIS_PREFIX: process.env.REDIS_PREFIX ?? "mg:",
  NEXTAUTH_SECRET: process.env.NEXTAUTH_SECRET ?? "e2e-secret-e2e-secret-e2e-secret-0123456",
  NEXTAUTH_URL: E2E_BASE_URL,
  ENCRYPTION_KEY: process.env.ENCRYPTION_KEY ?? "0".repeat(64),
  UPSTREAM_ANTHROPIC_BASE_URL: process.env.UPSTREAM_ANTHROPIC_BASE_URL ?? `http://127.0.0.1:${E2E_STUB_PORT}`,
  UPSTREAM_ANTHROPIC_API_KEY: process.env.UPSTREAM_ANTHROPIC_API_KEY ?? "stub-anthropic-credential",
  UPSTREAM_OPENAI_BASE_URL: process.env.UPSTREAM_OPENAI_BASE_URL ?? `http://127.0.0.1:${E2E_STUB_PORT}`,
  UPSTREAM_OPENAI_API_KEY: process.env.UPSTREAM_OPENAI_API_KEY ?? "stub-openai-credential",
  // The test runs the flush itself (CLI) so the numbers it checks are deterministic.
  FLUSH_IN_PROCESS: "false",
  // Every journey signs up from the same address.
  SIGNUP_RATE_LIMIT_PER_HOUR: "1000",
  LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
};
