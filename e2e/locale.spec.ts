/**
 * Simplified Chinese: the header's language switcher sets the mg-locale cookie; the dashboard and
 * the public lookup render in Chinese with <html lang="zh-CN">; a zh browser gets Chinese by default.
 */
import { createKey, createTenant, shot, signUpAndSignIn, uniqueEmail, expect, test } from "./helpers";
import { anthropicCall, flush } from "./portal-helpers";

test("switch to 中文: dashboard and lookup in Chinese", async ({ page }) => {
  await signUpAndSignIn(page, uniqueEmail("zh"));
  await createTenant(page, "多语言租户");
  const { secret, apiId } = await createKey(page, "zh-key");
  await page.getByRole("button", { name: "I have saved it" }).click();
  expect(await anthropicCall(secret)).toBe(200);
  flush();

  await page.getByTestId("language-switcher").selectOption("zh-CN");
  await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");
  await expect(page.getByRole("heading", { name: "用量" })).toBeVisible();
  await expect(page.getByRole("link", { name: "控制台" })).toBeVisible();
  await expect(page.getByRole("radio", { name: "本月" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "按模型统计费用" })).toBeVisible();
  await expect(page.getByTestId("model-cost-table")).toContainText("费用");
  await expect(page.getByTestId("stat-requests")).toHaveText("1");
  // The choice sticks: a reload stays Chinese.
  await page.reload();
  await expect(page.getByRole("heading", { name: "用量" })).toBeVisible();
  await shot(page, "locale-01-dashboard-zh");

  await page.goto(`/lookup?id=${apiId}`);
  await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");
  await expect(page.getByRole("link", { name: "查询", exact: true })).toBeVisible();
  await expect(page.getByTestId("model-cost-table")).toContainText("模型");
  await shot(page, "locale-02-lookup-zh");

  // Back to English.
  await page.getByTestId("language-switcher").selectOption("en");
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  await expect(page.getByRole("link", { name: "Dashboard" })).toBeVisible();
});

test("a Chinese browser gets Chinese without choosing", async ({ browser }) => {
  const context = await browser.newContext({ locale: "zh-CN" });
  const page = await context.newPage();
  await page.goto("/");
  await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("清楚每个 API 密钥花了多少钱。");
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, "locale-03-landing-zh-phone");
  await context.close();
});
