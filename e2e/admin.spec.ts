/**
 * Platform admin and rich tenant dashboard:
 *  - a tenant owner's dashboard shows per-model costs (two providers), charts, top keys; the owner
 *    sees the audit log;
 *  - a platform admin (set with the CLI) reviews spend: tenants ranked by cost, a tenant's trend,
 *    keys and models; suspends a tenant (its keys are refused: Anthropic answers 400, "disabled") and reinstates it;
 *  - everyone else gets a 404 at /admin and no Admin link;
 *  - a ledger event the flush had to quarantine is announced on /admin until it is replayed.
 */
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { e2eServerEnv } from "./e2e-env";
import { createKey, createTenant, shot, signUpAndSignIn, uniqueEmail, expect, test } from "./helpers";
import { anthropicCall, cli, flush, openaiCall } from "./portal-helpers";

test.describe.configure({ mode: "serial" });

const stamp = Date.now().toString(36);
const ownerEmail = uniqueEmail("owner");
let ownerTenantUrl = "";

test("dashboard: per-model costs, charts, top keys, audit log", async ({ page }) => {
  await signUpAndSignIn(page, ownerEmail);
  ownerTenantUrl = await createTenant(page, `Models ${stamp}`);
  const { secret } = await createKey(page, "two-providers");
  expect(await anthropicCall(secret, "claude-sonnet-4-5")).toBe(200);
  expect(await anthropicCall(secret, "claude-sonnet-4-5")).toBe(200);
  expect(await openaiCall(secret, "gpt-4o")).toBe(200);

  // Live: before any flush, the unflushed Redis deltas already show (refetch every 5 s).
  await expect(page.getByTestId("stat-requests")).toHaveText("3", { timeout: 20_000 });
  flush();
  await page.reload();
  await expect(page.getByTestId("stat-requests")).toHaveText("3");
  const rows = page.getByTestId("model-cost-table").locator("tbody tr");
  await expect(rows).toHaveCount(2);
  for (const cost of await rows.getByTestId("model-cost").allTextContents()) {
    expect(cost).toMatch(/^\$\d/);
    expect(cost).not.toBe("$0.00");
  }
  await expect(page.getByTestId("model-share-chart")).toBeVisible();
  await expect(page.getByTestId("trend-chart")).toBeVisible();
  await expect(page.getByTestId("top-keys")).toContainText("two-providers");
  // Hour buckets for today.
  await page.getByRole("radio", { name: "Today" }).click();
  await expect(page.getByText(/^Per hour,/)).toBeVisible();
  await shot(page, "admin-01-dashboard-models");

  // Custom range: yesterday..today still includes today's requests.
  await page.getByRole("radio", { name: "Custom" }).click();
  const today = new Date().toISOString().slice(0, 10);
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  await page.getByLabel("From").fill(yesterday);
  await page.getByLabel("To").fill(today);
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByTestId("stat-requests")).toHaveText("3");

  await page.getByTestId("audit-link").click();
  await expect(page.getByRole("heading", { name: "Audit log", level: 1 })).toBeVisible();
  await expect(page.getByTestId("audit-table")).toContainText("apiKey.create");
  await expect(page.getByTestId("audit-table")).toContainText(ownerEmail);
  await shot(page, "admin-02-audit-log");

  // Dark mode at phone width: the dashboard stays readable, nothing overflows the viewport.
  await page.emulateMedia({ colorScheme: "dark" });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(ownerTenantUrl);
  await expect(page.getByTestId("stat-requests")).toHaveText("3");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await shot(page, "admin-07-dashboard-phone-dark");
});

test("platform admin: spend ranking, tenant detail, suspend and reinstate", async ({ page, browser }) => {
  // Two tenants made by the operator CLI; "big" spends more than "small".
  const big = cli<{ id: string; slug: string }>("tenant", "create", "--name", `Big spender ${stamp}`, "--slug", `big-${stamp}`);
  const small = cli<{ id: string; slug: string }>("tenant", "create", "--name", `Small spender ${stamp}`, "--slug", `small-${stamp}`);
  const bigKey = cli<{ key: string }>("key", "create", "--tenant", big.slug, "--name", "big-key");
  const smallKey = cli<{ key: string }>("key", "create", "--tenant", small.slug, "--name", "small-key");
  for (let i = 0; i < 4; i++) expect(await anthropicCall(bigKey.key)).toBe(200);
  expect(await anthropicCall(smallKey.key)).toBe(200);
  flush();

  // A tenant owner is no platform admin: no link, and /admin is a 404.
  const stranger = await browser.newContext();
  const strangerPage = await stranger.newPage();
  await signUpAndSignIn(strangerPage, uniqueEmail("not-admin"));
  await expect(strangerPage.getByTestId("nav-admin")).toHaveCount(0);
  const denied = await strangerPage.goto("/admin");
  expect(denied?.status()).toBe(404);
  const deniedDetail = await strangerPage.goto(`/admin/tenants/${big.id}`);
  expect(deniedDetail?.status()).toBe(404);
  await shot(strangerPage, "admin-03-non-admin-404");
  await stranger.close();

  // Promote the owner from the first test with the CLI; the header then shows Admin.
  const promoted = cli<{ platformRole: string }>("user", "set-admin", "--email", ownerEmail);
  expect(promoted.platformRole).toBe("ADMIN");
  await signUpAndSignInAgain(page);
  await page.getByTestId("nav-admin").click();
  await expect(page).toHaveURL(/\/admin$/);
  const ranking = page.getByTestId("admin-ranking");
  await expect(ranking).toBeVisible();
  // The ranking loads on the client: wait for both tenants' rows before reading the order.
  await expect(ranking.locator(`[data-tenant-name="Big spender ${stamp}"]`)).toBeVisible();
  await expect(ranking.locator(`[data-tenant-name="Small spender ${stamp}"]`)).toBeVisible();
  const names = await ranking.locator("[data-testid=admin-tenant-row]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-tenant-name")));
  const bigRank = names.indexOf(`Big spender ${stamp}`);
  const smallRank = names.indexOf(`Small spender ${stamp}`);
  expect(bigRank).toBeGreaterThanOrEqual(0);
  expect(smallRank).toBeGreaterThan(bigRank);
  const costs = await ranking.getByTestId("admin-tenant-cost").allTextContents();
  const dollars = costs.map((c) => Number(c.replace(/[$,]/g, "")));
  expect([...dollars].sort((a, b) => b - a)).toEqual(dollars);
  await shot(page, "admin-04-spend-ranking");

  // Search, sort and page run on the server; all three are in the URL and survive a reload.
  const search = page.getByTestId("admin-tenant-search");
  await search.fill(`spender ${stamp}`);
  await expect(page).toHaveURL(new RegExp(`[?&]q=spender(\\+|%20)${stamp}`));
  await expect(ranking.getByTestId("admin-tenant-row")).toHaveCount(2);
  await expect(page.getByTestId("admin-page-status")).toHaveText("Page 1 of 1 · 2 tenants");
  await page.getByTestId("sort-name").click();
  await expect(page).toHaveURL(/[?&]sort=name\.asc/);
  await expect(ranking.locator("th", { has: page.getByTestId("sort-name") })).toHaveAttribute("aria-sort", "ascending");
  await page.getByTestId("sort-name").click();
  await expect(page).toHaveURL(/[?&]sort=name(&|$)/);
  await expect.poll(() => ranking.getByTestId("admin-tenant-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-tenant-name")))).toEqual([
    `Small spender ${stamp}`,
    `Big spender ${stamp}`,
  ]);
  await page.reload();
  await expect(search).toHaveValue(`spender ${stamp}`);
  await expect(ranking.locator("th", { has: page.getByTestId("sort-name") })).toHaveAttribute("aria-sort", "descending");
  await expect(ranking.getByTestId("admin-tenant-row").first()).toHaveAttribute("data-tenant-name", `Small spender ${stamp}`);
  // The rank stays the place by spend, whatever the order shown.
  const ranks = await ranking.getByTestId("admin-tenant-row").evaluateAll((rows) => rows.map((r) => Number(r.querySelector("td")?.textContent)));
  expect(ranks[0]).toBeGreaterThan(ranks[1]!);
  await search.fill(`Small spender ${stamp}`);
  await expect(ranking.getByTestId("admin-tenant-row")).toHaveCount(1);
  await search.fill(`nobody ${stamp}`);
  await expect(page.getByText("No tenant matches.")).toBeVisible();
  await shot(page, "admin-04b-search-no-match");
  await search.fill(`spender ${stamp}`);
  await expect(ranking.getByTestId("admin-tenant-row")).toHaveCount(2);

  // A tenant's trend, models and keys.
  await ranking.getByRole("link", { name: `Big spender ${stamp}` }).click();
  await expect(page.getByTestId("admin-tenant-name")).toHaveText(`Big spender ${stamp}`);
  await expect(page.getByTestId("stat-requests")).toHaveText("4");
  await expect(page.getByTestId("admin-keys")).toContainText("big-key");
  await expect(page.getByTestId("model-cost-table").locator("tbody tr")).toHaveCount(1);
  await shot(page, "admin-05-tenant-detail");

  // Suspend: its keys are refused, 400 on the Anthropic protocol like a disabled Anthropic
  // organization (the relay's key cache lives 5 s); reinstate: 200 again.
  page.once("dialog", (d) => void d.accept());
  await page.getByTestId(`suspend-${big.id}`).click();
  await expect(page.getByTestId(`suspend-${big.id}`)).toHaveText("Unsuspend");
  await expect.poll(() => anthropicCall(bigKey.key), { timeout: 15_000, intervals: [1000] }).toBe(400);
  await shot(page, "admin-06-tenant-suspended");
  await page.getByTestId(`suspend-${big.id}`).click();
  await expect(page.getByTestId(`suspend-${big.id}`)).toHaveText("Suspend");
  await expect.poll(() => anthropicCall(bigKey.key), { timeout: 15_000, intervals: [1000] }).toBe(200);
});

test("platform admin: a quarantined ledger event is announced until it is replayed", async ({ page }) => {
  // What an older relay could have recorded: a NUL byte in the model name, straight into a ledger stream.
  const event = {
    id: randomUUID(), apiKeyId: randomUUID(), tenantId: `e2e-dead-letter-${stamp}`, model: "claude-sonnet-4-5\u0000x",
    provider: "ANTHROPIC", endpoint: "/v1/messages", stream: false, status: 200,
    usage: { input: 10, output: 5, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 }, usageSource: "UPSTREAM",
    startedAt: Date.now(), latencyMs: 20, ttfbMs: 5, clientIp: null, userAgent: null, error: null, flags: [], costMicros: 105, priced: true,
  };
  const redis = new Redis(e2eServerEnv.REDIS_URL!);
  await redis.xadd(`${e2eServerEnv.REDIS_PREFIX}{s0}:events`, "*", "e", JSON.stringify(event));
  await redis.quit();
  expect(cli<{ refused: number }>("flush").refused).toBe(1);

  await signUpAndSignInAgain(page);
  await page.goto("/admin");
  await expect(page.getByTestId("admin-dead-letters")).toContainText("dead letters): 1,");
  await shot(page, "admin-08-dead-letters");
  const listed = cli<Array<{ eventId: string | null; error: string }>>("ledger", "dead-letter", "list");
  expect(listed.find((d) => d.eventId === event.id)?.error).toContain("22P05");

  const report = cli<{ replayed: Array<{ eventId: string; flags: string[] }> }>("ledger", "dead-letter", "replay", "--all");
  expect(report.replayed.find((r) => r.eventId === event.id)?.flags).toEqual(["suspicious"]);
  await page.reload();
  await expect(page.getByTestId("admin-ranking")).toBeVisible();
  await expect(page.getByTestId("admin-dead-letters")).toHaveCount(0);
});

/** Signs the owner in again in a fresh session (the platform role is read per request anyway). */
async function signUpAndSignInAgain(page: import("@playwright/test").Page) {
  await page.context().clearCookies();
  await page.goto("/signin");
  await page.getByLabel("Email").fill(ownerEmail);
  await page.getByLabel("Password").fill("correct horse battery staple");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/dashboard/);
}
