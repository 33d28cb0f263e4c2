/**
 * Portal page timings against a production build with a large tenant (scripts/seed-large.ts:
 * 1,000,000 request-log rows, 100,000 rollup rows). For each page: time from navigation start to
 * the page's data being visible in Chromium (a time-to-interactive proxy: the client components
 * have hydrated and rendered the numbers), cold (first visit) and warm (median of the next runs).
 *
 *   npm run build && npm run bench:portal            # starts `next start` on :3500 itself
 *
 * Own database (BENCH_DB, default metergate_portal_bench) and Redis prefix (mgportal:); needs local
 * Postgres/Redis and /usr/bin/chromium (or CHROMIUM_PATH). BENCH_REUSE_SEED=1 keeps the database a
 * previous run seeded (its owner is in <BENCH_DB>.seed.json under os.tmpdir()), so two builds can be
 * timed back to back against the same rows (A/B runs).
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Page } from "@playwright/test";

const PORT = Number(process.env.BENCH_PORT ?? 3500);
const BASE = `http://localhost:${PORT}`;
const DB = process.env.BENCH_DB ?? "metergate_portal_bench";
const SEED_FILE = join(tmpdir(), `${DB}.seed.json`);
const RUNS = 6;

const env: NodeJS.ProcessEnv = {
  ...process.env,
  NODE_ENV: "production",
  DATABASE_URL: `postgresql://postgres@127.0.0.1:5432/${DB}`,
  REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
  REDIS_PREFIX: process.env.BENCH_DB ? `${DB}:` : "mgportal:",
  NEXTAUTH_SECRET: "portal-bench-secret-portal-bench-secret-01",
  NEXTAUTH_URL: BASE,
  ENCRYPTION_KEY: "0".repeat(64),
  FLUSH_IN_PROCESS: "false",
  LOG_LEVEL: "warn",
  NEXT_TELEMETRY_DISABLED: "1",
};
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { env, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });

interface Seed {
  tenantId: string;
  firstKeyId: string;
  email: string;
  password: string;
}

async function seedDatabase(): Promise<Seed> {
  if (process.env.BENCH_REUSE_SEED === "1" && existsSync(SEED_FILE)) {
    run("npx", ["prisma", "migrate", "deploy"]);
    return JSON.parse(readFileSync(SEED_FILE, "utf8")) as Seed;
  }
  run("psql", ["-q", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-c", `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`, "-c", `CREATE DATABASE ${DB}`]);
  run("npx", ["prisma", "migrate", "deploy"]);
  const seedStarted = performance.now();
  const seedOut = run("npx", ["tsx", "--tsconfig", "tsconfig.json", "scripts/seed-large.ts"]);
  const seeded = JSON.parse(seedOut.slice(seedOut.indexOf("{"))) as Seed;
  writeFileSync(SEED_FILE, JSON.stringify(seeded));
  console.error(`[bench] seeded in ${((performance.now() - seedStarted) / 1000).toFixed(0)} s`);
  return seeded;
}
const seed = await seedDatabase();

if (!existsSync(".next/BUILD_ID")) {
  console.error("[bench] no production build: running next build");
  run("npx", ["next", "build"]);
}
const server = spawn("node_modules/.bin/next", ["start", "-p", String(PORT)], { env, stdio: "ignore", detached: true });
const stop = () => {
  try {
    if (server.pid) process.kill(-server.pid);
  } catch {
    /* already gone */
  }
};
process.on("exit", stop);
for (let i = 0; i < 120; i++) {
  try {
    if ((await fetch(`${BASE}/api/health`)).ok) break;
  } catch {
    /* not yet */
  }
  await new Promise((r) => setTimeout(r, 500));
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
await page.goto(`${BASE}/signin`);
await page.getByLabel("Email").fill(seed.email);
await page.getByLabel("Password").fill(seed.password);
await page.getByRole("button", { name: "Sign in" }).click();
await page.waitForURL(/\/dashboard\//, { timeout: 60_000 });

async function timeVisit(p: Page, url: string, ready: (p: Page) => Promise<unknown>) {
  const t0 = performance.now();
  await p.goto(url, { waitUntil: "commit" });
  await ready(p);
  const visible = performance.now() - t0;
  const nav = await p.evaluate(() => {
    const n = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined;
    return n ? { ttfb: n.responseStart, domContentLoaded: n.domContentLoadedEventEnd } : null;
  });
  return { visible, ttfb: nav?.ttfb ?? NaN, dcl: nav?.domContentLoaded ?? NaN };
}

const notDash = (testId: string) => async (p: Page) =>
  p.waitForFunction((id) => {
    const el = document.querySelector(`[data-testid="${id}"]`);
    return el !== null && el.textContent !== "—" && el.textContent !== "";
  }, testId, { timeout: 30_000 });

const pages: { name: string; url: string; ready: (p: Page) => Promise<unknown> }[] = [
  {
    name: "tenant dashboard (7 days, charts + per-model table)",
    url: `${BASE}/dashboard/${seed.tenantId}`,
    ready: async (p) => {
      await notDash("stat-cost")(p);
      await p.getByTestId("model-cost-table").waitFor();
    },
  },
  {
    name: "per-key page",
    url: `${BASE}/dashboard/${seed.tenantId}/keys/${seed.firstKeyId}`,
    ready: async (p) => {
      await p.getByTestId("model-cost-table").first().waitFor({ timeout: 30_000 });
    },
  },
  {
    name: "public lookup by API ID",
    url: `${BASE}/lookup?id=${seed.firstKeyId}`,
    ready: async (p) => {
      await p.getByTestId("lookup-result").waitFor({ timeout: 30_000 });
    },
  },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rows: Record<string, Record<string, string>> = {};
for (const target of pages) {
  const results = [];
  for (let i = 0; i < RUNS; i++) results.push(await timeVisit(page, target.url, target.ready));
  const warm = results.slice(1);
  rows[target.name] = {
    "cold: data visible": `${results[0]!.visible.toFixed(0)} ms`,
    "warm: data visible (median)": `${median(warm.map((r) => r.visible)).toFixed(0)} ms`,
    "warm: TTFB (median)": `${median(warm.map((r) => r.ttfb)).toFixed(0)} ms`,
    "warm: DOMContentLoaded (median)": `${median(warm.map((r) => r.dcl)).toFixed(0)} ms`,
  };
}
await browser.close();
stop();
console.log(`Portal timings (${RUNS} visits per page; 1,000,000 request-log rows, 100,000 rollup rows in one tenant)`);
console.table(rows);
process.exit(0);
