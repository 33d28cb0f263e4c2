/**
 * Playwright in Debian's Chromium (/usr/bin/chromium; `npx playwright install` cannot work here).
 *
 * Two ways to run:
 *  - E2E_BASE_URL set (scripts/e2e.sh): the app and the stub upstream are already running; the
 *    tests pass the same env (DATABASE_URL, REDIS_PREFIX, ...) to the flush CLI.
 *  - otherwise: Playwright starts the stub upstream on $STUB_PORT (4010) and the app on 3100
 *    itself (scripts/serve.mjs: `next start` that lets the relay answer WebSocket upgrades), with
 *    the env of e2e/e2e-env.ts (run `next build` first).
 */
import { defineConfig } from "@playwright/test";
import { E2E_BASE_URL, E2E_PORT, E2E_STUB_PORT, e2eServerEnv } from "./e2e/e2e-env";

const externalServer = Boolean(process.env.E2E_BASE_URL);

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results",
  timeout: 120_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL: E2E_BASE_URL,
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    viewport: { width: 1280, height: 900 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    },
  },
  projects: [{ name: "chromium", use: { browserName: "chromium" } }],
  webServer: externalServer
    ? undefined
    : [
        {
          command: `npx tsx --tsconfig tsconfig.json scripts/stub-upstream.ts --port ${E2E_STUB_PORT}`,
          port: E2E_STUB_PORT,
          reuseExistingServer: !process.env.CI,
          timeout: 30_000,
        },
        {
          command: `node scripts/serve.mjs -p ${E2E_PORT}`,
          url: `${E2E_BASE_URL}/api/lookup?id=00000000-0000-4000-8000-000000000000`,
          env: e2eServerEnv,
          reuseExistingServer: !process.env.CI,
          timeout: 60_000,
        },
      ],
});
