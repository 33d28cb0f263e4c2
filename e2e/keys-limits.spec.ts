/**
 * Per-key limits, end to end: set "1 request per 1-minute window" in the key page's limits editor,
 * make two real @anthropic-ai/sdk calls through the relay (the second gets 429), then the public
 * lookup shows the limit at 1 / 1 with a reset countdown and the key page lists both requests in
 * its request log. Also: settings page with an upstream, key list search. Screenshots: e2e/screenshots/.
 */
import { execFileSync } from "node:child_process";
import Anthropic from "@anthropic-ai/sdk";
import { E2E_BASE_URL, e2eServerEnv } from "./e2e-env";
import { createKey, createTenant, shot, signUpAndSignIn, uniqueEmail, expect, test } from "./helpers";

const MODEL = "claude-sonnet-4-5-20250929";

function runFlush(): void {
  execFileSync("npm", ["run", "--silent", "cli", "--", "flush"], {
    env: { ...process.env, ...e2eServerEnv },
    encoding: "utf8",
    timeout: 60_000,
  });
}

test("limits editor → 429 from the relay → lookup shows use and reset → request log", async ({ page, request }) => {
  await signUpAndSignIn(page, uniqueEmail("limits"));
  const dashboardUrl = await createTenant(page, "Limits Lab");
  const { secret, apiId } = await createKey(page, "rate-limited");
  await page.getByRole("button", { name: "I have saved it" }).click();
  await createKey(page, "other-key");
  await page.getByRole("button", { name: "I have saved it" }).click();

  await test.step("key list: search by name and by API ID", async () => {
    const list = page.getByTestId("api-key-list");
    await expect(list.locator("li")).toHaveCount(2);
    await page.getByPlaceholder("Search by name, prefix or API ID").fill("rate");
    await expect(list.locator("li")).toHaveCount(1);
    await page.getByPlaceholder("Search by name, prefix or API ID").fill(apiId.slice(0, 13));
    await expect(list.locator(`[data-key-id="${apiId}"]`)).toBeVisible();
    await expect(list.locator("li")).toHaveCount(1);
    await list.getByRole("link", { name: "rate-limited" }).click();
    await expect(page).toHaveURL(new RegExp(`/dashboard/[^/]+/keys/${apiId}$`));
    await expect(page.getByTestId("key-name")).toHaveText("rate-limited");
  });

  await test.step("edit tags and set a rate limit of 1 request per minute", async () => {
    await page.getByRole("button", { name: "Edit", exact: true }).click();
    await page.getByLabel("Tags (comma or space separated)").fill("e2e, ci");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await expect(page.getByRole("list", { name: "Tags" }).first()).toContainText("ci");
    await page.getByLabel("Window", { exact: true }).fill("1");
    await page.getByLabel("Max requests per window").fill("1");
    await page.getByLabel("Daily cost").fill("2.50");
    await page.getByRole("button", { name: "Save limits" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Saved" })).toBeVisible();
    await expect(page.locator('[data-limit="rate_requests"]')).toContainText("0 / 1");
    await expect(page.locator('[data-limit="cost_daily"]')).toContainText("$2.50");
    await shot(page, "keys-01-limits-set");
  });

  await test.step("validation: a bad dollar amount is refused in the form", async () => {
    await page.getByLabel("Monthly cost").fill("12.3456789");
    await page.getByRole("button", { name: "Save limits" }).click();
    await expect(page.getByText("A dollar amount such as 12.50")).toBeVisible();
    await page.getByLabel("Monthly cost").fill("");
  });

  await test.step("two SDK calls: the second is refused with 429", async () => {
    const client = new Anthropic({ apiKey: secret, baseURL: E2E_BASE_URL, maxRetries: 0 });
    const first = await client.messages.create({ model: MODEL, max_tokens: 64, messages: [{ role: "user", content: "hi" }] });
    expect(first.usage.input_tokens).toBeGreaterThan(0);
    let status = 0;
    let retryAfter: string | null = null;
    try {
      await client.messages.create({ model: MODEL, max_tokens: 64, messages: [{ role: "user", content: "again" }] });
    } catch (error) {
      if (!(error instanceof Anthropic.APIError)) throw error;
      status = error.status ?? 0;
      retryAfter = error.headers?.get("retry-after") ?? null;
    }
    expect(status).toBe(429);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });

  await test.step("public lookup by API ID: the limit at 1 / 1 with a countdown", async () => {
    await page.goto(`/lookup?id=${apiId}`);
    const rate = page.locator('[data-limit="rate_requests"]');
    await expect(rate.getByTestId("limit-use")).toHaveText("1 / 1");
    await expect(rate.getByTestId("limit-reset")).toHaveText(/Resets in \d+ s|Resets in 1 min/);
    const before = await rate.getByTestId("limit-reset").textContent();
    await page.waitForTimeout(2100);
    expect(await rate.getByTestId("limit-reset").textContent()).not.toBe(before);
    await shot(page, "keys-02-lookup-limits");
    const json = (await (await request.get(`/api/lookup?id=${apiId}`)).json()) as {
      limits: { name: string; used: number; max: number; resetsInSec: number }[];
    };
    expect(json.limits.find((l) => l.name === "rate_requests")).toMatchObject({ used: 1, max: 1 });
  });

  await test.step("public lookup by pasting the key finds the API ID (key never in the URL)", async () => {
    await page.goto("/lookup");
    await page.getByLabel("API ID or key").fill(secret);
    await page.getByRole("button", { name: "Look up" }).click();
    await expect(page).toHaveURL(new RegExp(`/lookup\\?id=${apiId}$`));
    expect(page.url()).not.toContain("mg-");
    await expect(page.getByTestId("lookup-api-id")).toHaveText(apiId);
  });

  await test.step("key page: request log lists the request and the refusal", async () => {
    runFlush();
    await page.goto(`${dashboardUrl}/keys/${apiId}`);
    const rows = page.getByTestId("request-log-table").locator("tbody tr");
    await expect(rows).toHaveCount(2);
    await expect(rows.nth(0).getByTestId("log-status")).toHaveText("429");
    await expect(rows.nth(1).getByTestId("log-status")).toHaveText("200");
    await page.getByLabel("Status", { exact: true }).selectOption("refused");
    await page.getByRole("button", { name: "Apply" }).click();
    await expect(rows).toHaveCount(1);
    await expect(page.getByTestId("key-stat-requests")).toHaveText("2");
    const exportUrl = `/api/export/${dashboardUrl.split("/").pop()}/requests?keyId=${apiId}`;
    expect((await request.get(exportUrl)).status()).toBe(401); // no session cookie
    const csv = await page.request.get(exportUrl); // the signed-in browser's cookies
    expect(csv.status()).toBe(200);
    expect((await csv.text()).trim().split("\r\n")).toHaveLength(3);
    await page.getByLabel("Status", { exact: true }).selectOption("");
    await page.getByRole("button", { name: "Apply" }).click();
    await expect(rows).toHaveCount(2);
    await shot(page, "keys-03-key-page");
  });

  await test.step("settings: time zone, budget and an upstream (credential write-only)", async () => {
    await page.goto(`${dashboardUrl}/settings`);
    await page.getByLabel("Time zone", { exact: true }).fill("Europe/Berlin");
    await page.getByLabel("Monthly budget over all keys (USD, empty = none)").fill("100");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await expect(page.getByRole("status").filter({ hasText: "Saved" })).toBeVisible();
    await page.getByRole("button", { name: "Add upstream" }).click();
    await page.getByLabel("Name", { exact: true }).fill("anthropic-backup");
    await page.getByLabel("Credential (provider API key)").fill("sk-e2e-secret-credential");
    await page.getByLabel("Models (empty = all; * wildcard)").fill("claude-opus-*");
    await page.getByLabel("Priority (lower is tried first)").fill("10");
    await page.getByRole("button", { name: "Add upstream" }).last().click();
    await expect(page.getByTestId("upstream-list")).toContainText("anthropic-backup");
    expect(await page.content()).not.toContain("sk-e2e-secret-credential");
    await page.getByLabel("Model", { exact: true }).fill("claude-sonnet-4-5");
    await page.getByLabel("Input $/M").fill("2.5");
    await page.getByLabel("Output $/M").fill("12");
    await page.getByRole("button", { name: "Save override" }).click();
    await expect(page.getByTestId("price-override-table")).toContainText("$2.5");
    await page.getByRole("button", { name: "Generate secret" }).click();
    await expect(page.getByTestId("webhook-secret")).toHaveText(/^whsec_/);
    await expect(page.getByTestId("webhook-secret-state")).toHaveText("set");
    await shot(page, "keys-04-settings");
  });
});
