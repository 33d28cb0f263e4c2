import path from "node:path";
import { defineConfig } from "vitest/config";

// One id per run, inherited by every worker: its own test database and Redis prefix.
process.env.TEST_RUN_ID ??= `${Date.now().toString(36)}${process.pid.toString(36)}`;

// "server-only" (db, redis, the server caller) is a bundler marker: Next checks it; in Node it is empty,
// as tsconfig.json's paths make it for tsx.
const alias = {
  "~": path.resolve(import.meta.dirname, "src"),
  "server-only": path.resolve(import.meta.dirname, "node_modules/server-only/empty.js"),
};

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: { name: "unit", include: ["test/unit/**/*.test.ts"], environment: "node" },
      },
      {
        resolve: { alias },
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/setup/global-setup.ts"],
          setupFiles: ["test/setup/env.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // Integration files share one database and one Redis prefix per run; run files one by one.
          fileParallelism: false,
        },
      },
    ],
  },
});
