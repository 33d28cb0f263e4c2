import { expect, test as base, type Page } from "@playwright/test";

/**
 * Every spec's `test`: its page waits, after each goto/reload, until React has hydrated
 * (<html data-hydrated>, set by HydrationMarker), so typing is never lost to hydration.
 */
export const test = base.extend({
  page: async ({ page }, use) => {
    const waitHydrated = () => page.waitForFunction(() => document.documentElement.dataset.hydrated === "true");
    const goto = page.goto.bind(page);
    page.goto = async (...args: Parameters<Page["goto"]>) => {
      const response = await goto(...args);
      await waitHydrated();
      return response;
    };
    const reload = page.reload.bind(page);
    page.reload = async (...args: Parameters<Page["reload"]>) => {
      const response = await reload(...args);
      await waitHydrated();
      return response;
    };
    await use(page);
  },
});
export { expect };

export const PASSWORD = "correct horse battery staple";

export function uniqueEmail(label: string): string {
  return `${label}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

export function shot(page: Page, name: string) {
  return page.screenshot({ path: `e2e/screenshots/${name}.png`, fullPage: true });
}

/** Signs up and signs in through the UI; starts from `startUrl` (e.g. an invitation link). */
export async function signUpAndSignIn(page: Page, email: string, startUrl = "/signup"): Promise<void> {
  await page.goto(startUrl);
  if (!page.url().includes("/signup")) {
    // Follow the link with a full load, so the form is hydrated (and stays put) before typing.
    const href = await page.getByRole("link", { name: "Create an account" }).getAttribute("href");
    expect(href).toContain("/signup");
    await page.goto(href!);
  }
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await expect(page.getByLabel("Email")).toHaveValue(email);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/signin\?/);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).not.toHaveURL(/\/signin/);
}

/** Creates a tenant from /dashboard and returns its dashboard URL. */
export async function createTenant(page: Page, name: string): Promise<string> {
  await page.goto("/dashboard?new=1");
  await page.getByLabel("Tenant name").fill(name);
  await page.getByRole("button", { name: "Create tenant" }).click();
  await expect(page.getByTestId("tenant-name")).toHaveText(name);
  return page.url();
}

export async function createKey(page: Page, name: string): Promise<{ secret: string; apiId: string }> {
  await page.getByLabel("New key name").fill(name);
  await page.getByRole("button", { name: "Create key" }).click();
  const secret = (await page.getByTestId("new-key-secret").textContent())?.trim() ?? "";
  const apiId = (await page.getByTestId("new-key-id").textContent())?.trim() ?? "";
  expect(secret).toMatch(/^mg-/);
  return { secret, apiId };
}
