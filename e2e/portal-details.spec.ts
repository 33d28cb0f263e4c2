/**
 * What a team notices on the portal's edges: an icon (no favicon.ico 404), failed mutations stay
 * out of the browser console, every limit explains itself and "too large" says the maximum, the
 * audit log reads as words (and a save that changed nothing adds no row), and the public lookup of
 * an unknown and of a revoked API ID is one "no data" page. Screenshots: e2e/screenshots/details-*.
 */
import { randomUUID } from "node:crypto";
import type { ConsoleMessage } from "@playwright/test";
import { createKey, createTenant, expect, shot, signUpAndSignIn, test, uniqueEmail } from "./helpers";
import { cli } from "./portal-helpers";

test("icon, console, limit help, audit in words, lookup of unknown and revoked ids", async ({ page, request }) => {
  const consoleMessages: string[] = [];
  page.on("console", (m: ConsoleMessage) => {
    if (m.type() === "error" || m.type() === "log" || m.type() === "warning") consoleMessages.push(`${m.type()}: ${m.text()}`);
  });
  const ownerEmail = uniqueEmail("details");

  await test.step("the portal has an icon: /favicon.ico and the page's icon link answer 200", async () => {
    const ico = await request.get("/favicon.ico");
    expect(ico.status()).toBe(200);
    expect(ico.headers()["content-type"]).toContain("image/");
    await page.goto("/");
    const icons = await page.locator('link[rel="icon"]').evaluateAll((links) => links.map((l) => (l as HTMLLinkElement).href));
    expect(icons.length).toBeGreaterThan(0);
    for (const href of icons) expect((await request.get(href)).status(), href).toBe(200);
  });

  let apiId = "";
  let tenantUrl = "";
  await test.step("a mutation the server refuses shows its error on the page, not in the console", async () => {
    await signUpAndSignIn(page, ownerEmail);
    tenantUrl = await createTenant(page, "Details Lab");
    consoleMessages.length = 0;
    await page.getByLabel("Only for this email (optional)").fill("not-an-email");
    await page.getByRole("button", { name: "Create invite link" }).click();
    await expect(page.getByText("Enter a valid email address")).toBeVisible();
    // Browsers report a failed HTTP response themselves ("Failed to load resource"); the app logs nothing.
    expect(consoleMessages.filter((m) => !m.includes("Failed to load resource"))).toEqual([]);
    expect(consoleMessages.join("\n")).not.toContain("invitation.create");
    await page.getByLabel("Only for this email (optional)").fill("");
    ({ apiId } = await createKey(page, "details-key"));
    await page.getByRole("button", { name: "I have saved it" }).click();
  });

  await test.step("every limit has help text; too large says the maximum", async () => {
    await page.goto(`${tenantUrl}/keys/${apiId}`);
    const form = page.getByRole("form", { name: "Key limits" });
    for (const id of ["expiresAt", "expiresAfterFirstUseDays", "allowedModels", "rateWindowMinutes", "rateMaxRequests", "rateMaxTokens", "rateMaxCostUsd", "maxConcurrency", "dailyCostUsd", "weeklyCostUsd", "monthlyCostUsd", "totalCostUsd", "totalTokens"]) {
      await expect(form.locator(`#limit-${id}-hint`), id).toBeVisible();
    }
    await expect(page.getByLabel("Daily cost")).toHaveAccessibleDescription(/Resets at midnight\. At most \$1,000,000,000\./);
    await expect(form.locator("#limit-maxConcurrency-hint")).toHaveText(/1 to 10,000/);
    await expect(form.locator("#limit-totalCostUsd-hint")).toContainText("Never resets");
    await page.getByLabel("Daily cost").fill("2000000000");
    await page.getByLabel("Max requests in flight").fill("20000");
    await page.getByRole("button", { name: "Save limits" }).click();
    await expect(form.locator("#limit-dailyCostUsd-error")).toHaveText("At most $1,000,000,000");
    await expect(form.locator("#limit-maxConcurrency-error")).toHaveText("At most 10,000");
    await page.getByLabel("Max requests in flight").scrollIntoViewIfNeeded();
    await shot(page, "details-01-limit-help");
    await page.getByLabel("Daily cost").fill("20");
    await page.getByLabel("Max requests in flight").fill("");
    await page.getByRole("button", { name: "Save limits" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Saved" })).toBeVisible();
  });

  await test.step("the audit log in words; a save that changed nothing adds no row", async () => {
    await page.getByRole("button", { name: "Save limits" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Saved" })).toBeVisible();
    await page.goto(`${tenantUrl}/audit`);
    const table = page.getByTestId("audit-table");
    const limitsRows = table.locator('[data-action="apiKey.limits"]');
    await expect(limitsRows).toHaveCount(1);
    await expect(limitsRows).toContainText("Key limits changed");
    await expect(limitsRows).toContainText("Daily cost: no limit → $20.0000");
    await expect(limitsRows).toContainText("details-key");
    await expect(limitsRows.getByTestId("audit-actor")).toHaveText(ownerEmail);
    await expect(table).not.toContainText('{"');
    await shot(page, "details-02-audit");
  });

  await test.step("lookup: an unknown and a revoked API ID are one 'no data' page", async () => {
    const live = await page.goto(`/lookup?id=${apiId}`);
    expect(live?.status()).toBe(200);
    await expect(page.getByTestId("lookup-result")).toBeVisible();
    cli("key", "revoke", "--id", apiId);
    const view = async (id: string) => {
      const response = await page.goto(`/lookup?id=${id}`);
      await expect(page.getByTestId("lookup-no-data")).toBeVisible();
      await expect(page.getByText("No limits on this key")).toHaveCount(0);
      await expect(page.getByTestId("lookup-expires")).toHaveCount(0);
      const text = (await page.locator("main").innerText()).split(id).join("<id>");
      return { status: response?.status(), text };
    };
    const revoked = await view(apiId);
    await shot(page, "details-03-lookup-revoked");
    const unknown = await view(randomUUID());
    expect(revoked).toEqual(unknown);
    expect(revoked.text).toContain("No data for this API ID");
  });
});
