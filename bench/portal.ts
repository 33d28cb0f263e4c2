/**
 * Portal page timings against a production build with a large tenant (scripts/seed-large.ts:
 * 1,000,000 request-log rows, 100,000 rollup rows). For each page: time from navigation start to
 * the page's data being in the document in Chromium (the numbers rendered, from the streamed HTML
 * or after hydration, whichever comes first; timed inside the page, from its navigation start, so
 * the harness's own overhead is not counted), cold (first visit) and warm (median of the next runs), the
 * warm first byte, the HTML size and the server's CPU time per visit; then whether the targets
 * (data visible ≤ 1,000 ms cold, ≤ 500 ms warm) are met. On the dashboard it also times the charts
 * (recharts, loaded after the numbers) being drawn.
 *
 *   npm run build && npm run bench:portal            # starts `next start` on :3500 itself
 *
 * Own database (BENCH_DB, default metergate_portal_bench) and Redis prefix (mgportal:); needs local
 * Postgres/Redis and /usr/bin/chromium (or CHROMIUM_PATH). BENCH_REUSE_SEED=1 keeps the database a
 * previous run seeded (its owner is in <BENCH_DB>.seed.json under os.tmpdir()), so two builds can be
 * timed back to back against the same rows (A/B runs: run this file from the other build's
 * directory). BENCH_RUNS visits per page (default 6).
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Page } from "@playwright/test";

const PORT = Number(process.env.BENCH_PORT ?? 3500);
const BASE = `http://localhost:${PORT}`;
const DB = process.env.BENCH_DB ?? "metergate_portal_bench";
const SEED_FILE = join(tmpdir(), `${DB}.seed.json`);
const RUNS = Number(process.env.BENCH_RUNS ?? 6);
const TARGET = { coldMs: 1000, warmMs: 500 };
/** A request-log row with a UUID id (the seed's ids are not), for the request detail page. */
const DETAIL_REQUEST_ID = "00000000-0000-4000-8000-00000000be9c";

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
const psql = (sql: string) => run("psql", ["-q", "-h", "127.0.0.1", "-U", "postgres", "-d", DB, "-c", sql]);

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
// The owner is a platform admin too (the admin pages), and one request has an id the detail page takes.
psql(`UPDATE "User" SET "platformRole" = 'ADMIN' WHERE email = '${seed.email}'`);
psql(`INSERT INTO "RequestLog" (id, "apiKeyId", "tenantId", "createdAt", model, provider, endpoint, stream, status,
    "inputTokens", "outputTokens", "cacheReadTokens", "costMicros", "latencyMs", "ttfbMs", "usageSource")
  SELECT '${DETAIL_REQUEST_ID}', "apiKeyId", "tenantId", now(), model, provider, endpoint, stream, 200,
    "inputTokens", "outputTokens", "cacheReadTokens", "costMicros", "latencyMs", "ttfbMs", "usageSource"
  FROM "RequestLog" WHERE "apiKeyId" = '${seed.firstKeyId}' LIMIT 1 ON CONFLICT DO NOTHING`);

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
// Interrupted: still stop the server (the exit handler runs on process.exit, not on a signal).
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(130));
for (let i = 0; i < 120; i++) {
  try {
    if ((await fetch(`${BASE}/api/health`)).ok) break;
  } catch {
    /* not yet */
  }
  await new Promise((r) => setTimeout(r, 500));
}

/** CPU time (ms) used so far by the server's process group (`next start` and any child it forks). */
function serverCpuMs(): number {
  const tick = 10; // USER_HZ is 100 on Linux
  let total = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // After the command: state ppid pgrp … utime (11) stime (12), counted from the state field.
      if (Number(fields[2]) === server.pid) total += (Number(fields[11]) + Number(fields[12])) * tick;
    } catch {
      /* exited meanwhile */
    }
  }
  return total;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
/**
 * What "data visible" waits for on each page: elements by CSS selector; `filled`: with text other
 * than the "—" placeholder. Every document records when each first appears (performance.now(),
 * i.e. ms from its navigation start), so the figure is the page's, without the harness's polling.
 */
interface Mark {
  selector: string;
  filled?: boolean;
}
const MARKS: Record<string, Mark> = {
  statCost: { selector: '[data-testid="stat-cost"]', filled: true },
  modelTable: { selector: '[data-testid="model-cost-table"]' },
  topKeys: { selector: '[data-testid="top-keys"]' },
  chart: { selector: ".recharts-surface" },
  logTime: { selector: '[data-testid="log-time"]' },
  requestTokens: { selector: '[data-testid="request-tokens"]' },
  people: { selector: '[data-testid="people-table"], [data-testid="sessions-table"], main p.py-6' },
  adminCost: { selector: '[data-testid="admin-tenant-cost"]' },
  lookup: { selector: '[data-testid="lookup-result"]' },
};
await context.addInitScript((marks: Record<string, Mark>) => {
  const seen: Record<string, number> = {};
  (window as unknown as { __benchMarks: Record<string, number> }).__benchMarks = seen;
  // No named inner functions: tsx would wrap them in a __name() helper the page does not have.
  new MutationObserver(() => {
    for (const [name, m] of Object.entries(marks)) {
      if (seen[name] !== undefined) continue;
      const el = document.querySelector(m.selector);
      if (el && (!m.filled || (el.textContent !== "" && el.textContent !== "—"))) seen[name] = performance.now();
    }
  }).observe(document, { subtree: true, childList: true, characterData: true });
}, MARKS);
const page = await context.newPage();
await page.goto(`${BASE}/signin`);
await page.getByLabel("Email").fill(seed.email);
await page.getByLabel("Password").fill(seed.password);
await page.getByRole("button", { name: "Sign in" }).click();
await page.waitForURL(/\/dashboard\//, { timeout: 60_000 });

interface Visit {
  /** ms from navigation start until every mark of the page was in the document. */
  visible: number;
  /** Extra mark (the dashboard's charts drawn), ms from navigation start; NaN when none. */
  extra: number;
  ttfb: number;
  htmlBytes: number;
  /** Scripts the page loaded (decoded), the charts' included. */
  jsBytes: number;
  cpuMs: number;
}

const benchMarks = (p: Page) => p.evaluate(() => (window as unknown as { __benchMarks?: Record<string, number> }).__benchMarks ?? {});

async function timeVisit(p: Page, url: string, marks: readonly string[], extra?: string): Promise<Visit> {
  const cpu0 = serverCpuMs();
  await p.goto(url, { waitUntil: "commit" });
  const wanted = extra ? [...marks, extra] : [...marks];
  await p.waitForFunction(
    (names) => {
      const seen = (window as unknown as { __benchMarks?: Record<string, number> }).__benchMarks ?? {};
      return names.every((n) => seen[n] !== undefined);
    },
    wanted,
    { timeout: 30_000, polling: 50 },
  );
  const seen = await benchMarks(p);
  // Let the page's own follow-up requests finish, so they count in this visit's CPU.
  await p.waitForLoadState("networkidle", { timeout: 10_000 }).catch(() => undefined);
  const nav = await p.evaluate(() => {
    const n = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined;
    const scripts = (performance.getEntriesByType("resource") as PerformanceResourceTiming[]).filter((r) => r.initiatorType === "script");
    return n ? { ttfb: n.responseStart, htmlBytes: n.encodedBodySize, jsBytes: scripts.reduce((sum, r) => sum + r.decodedBodySize, 0) } : null;
  });
  return {
    visible: Math.max(...marks.map((m) => seen[m] ?? NaN)),
    extra: extra ? (seen[extra] ?? NaN) : NaN,
    ttfb: nav?.ttfb ?? NaN,
    htmlBytes: nav?.htmlBytes ?? NaN,
    jsBytes: nav?.jsBytes ?? NaN,
    cpuMs: serverCpuMs() - cpu0,
  };
}

const tenantUrl = `${BASE}/dashboard/${seed.tenantId}`;
const keyUrl = `${tenantUrl}/keys/${seed.firstKeyId}`;
const pages: { name: string; url: string; marks: (keyof typeof MARKS)[]; extra?: { name: string; mark: keyof typeof MARKS } }[] = [
  { name: "tenant dashboard (7 days)", url: tenantUrl, marks: ["statCost", "modelTable", "topKeys"], extra: { name: "charts drawn", mark: "chart" } },
  { name: "per-key page (usage + request log)", url: keyUrl, marks: ["modelTable", "logTime"] },
  { name: "request detail", url: `${tenantUrl}/requests/${DETAIL_REQUEST_ID}`, marks: ["requestTokens"] },
  { name: "people & sessions (7 days)", url: `${tenantUrl}/people`, marks: ["people"] },
  { name: "admin ranking", url: `${BASE}/admin`, marks: ["adminCost"] },
  { name: "admin tenant", url: `${BASE}/admin/tenants/${seed.tenantId}`, marks: ["modelTable"] },
  { name: "public lookup by API ID", url: `${BASE}/lookup?id=${seed.firstKeyId}`, marks: ["lookup"] },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => (Number.isFinite(x) ? `${x.toFixed(0)} ms` : "–");
const load0 = loadavg();
const rows: Record<string, Record<string, string>> = {};
const verdicts: string[] = [];
for (const target of pages) {
  const results: Visit[] = [];
  for (let i = 0; i < RUNS; i++) results.push(await timeVisit(page, target.url, target.marks, target.extra?.mark));
  const cold = results[0]!;
  const warm = results.slice(1);
  const warmVisible = median(warm.map((r) => r.visible));
  rows[target.name] = {
    "cold: data visible": ms(cold.visible),
    "warm: data visible": ms(warmVisible),
    "warm: TTFB": ms(median(warm.map((r) => r.ttfb))),
    ...(target.extra ? { [`warm: ${target.extra.name}`]: ms(median(warm.map((r) => r.extra))) } : {}),
    "HTML KiB": (median(warm.map((r) => r.htmlBytes)) / 1024).toFixed(0),
    "JS KiB": (cold.jsBytes / 1024).toFixed(0),
    "server CPU / visit": ms(median(warm.map((r) => r.cpuMs))),
  };
  const met = cold.visible <= TARGET.coldMs && warmVisible <= TARGET.warmMs;
  verdicts.push(
    `${met ? "met    " : "NOT met"}  ${target.name}: cold ${ms(cold.visible)} (≤ ${TARGET.coldMs}), warm ${ms(warmVisible)} (≤ ${TARGET.warmMs})`,
  );
}
await browser.close();
stop();
const load1 = loadavg();
console.log(
  `Portal timings (${RUNS} visits per page, warm = median of the last ${RUNS - 1}; 1,000,000 request-log rows, 100,000 rollup rows in one tenant; ` +
    `load average ${load0.map((l) => l.toFixed(1)).join(" ")} → ${load1.map((l) => l.toFixed(1)).join(" ")})`,
);
console.table(rows);
console.log(`Targets: data visible ≤ ${TARGET.coldMs} ms cold and ≤ ${TARGET.warmMs} ms warm`);
for (const v of verdicts) console.log(`  ${v}`);
process.exit(0);
