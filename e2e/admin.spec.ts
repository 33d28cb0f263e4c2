/**
 * Platform admin and rich tenant dashboard:
 *  - a tenant owner's dashboard shows per-model costs (two providers), charts, top keys; the owner
 *    sees the audit log;
 *  - a platform admin (set with the CLI) reviews spend: tenants ranked by cost, a tenant's trend,
 *    keys and models; suspends a tenant (its keys are refused: Anthropic answers 400, "disabled") and reinstates it;
 *  - everyone else gets a 404 at /admin and no Admin link.
 */
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

/** Signs the owner in again in a fresh session (the platform role is read per request anyway). */
async function signUpAndSignInAgain(page: import("@playwright/test").Page) {
  await page.context().clearCookies();
  await page.goto("/signin");
  await page.getByLabel("Email").fill(ownerEmail);
  await page.getByLabel("Password").fill("correct horse battery staple");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/dashboard/);
}
