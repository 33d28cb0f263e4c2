/**
 * Simplified Chinese: the header's language switcher sets the mg-locale cookie; the dashboard and
 * the public lookup render in Chinese with <html lang="zh-CN">; a zh browser gets Chinese by default;
 * the new-key dialog, Copy / Copied, server validation messages and the 404 page are Chinese too.
 */
import { createKey, createTenant, shot, signUpAndSignIn, uniqueEmail, expect, test } from "./helpers";
import { E2E_BASE_URL } from "./e2e-env";
import { englishFragments, englishIn } from "./page-tour";
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

test("中文: the new-key dialog, Copy / Copied, server validation messages, the 404 page", async ({ browser }) => {
  const fragments = englishFragments();
  const visitor = await browser.newContext({ locale: "zh-CN" });
  const signUp = await visitor.newPage();
  await test.step("sign-up: the server's validation message comes in 中文", async () => {
    await signUp.goto("/signup");
    await signUp.getByLabel("邮箱").fill(uniqueEmail("zh-validation"));
    await signUp.getByLabel("密码").fill("short");
    await signUp.getByRole("button", { name: "创建账户" }).click();
    await expect(signUp.getByRole("alert").filter({ hasText: "密码至少需要 10 个字符" })).toBeVisible();
  });
  await test.step("the 404 page", async () => {
    const res = await signUp.goto("/no-such-page");
    expect(res?.status()).toBe(404);
    await expect(signUp.getByRole("heading", { name: "页面不存在" })).toBeVisible();
    await expect(signUp).toHaveTitle(/页面不存在/);
    expect(englishIn(await signUp.locator("body").innerText(), fragments)).toEqual([]);
  });
  await visitor.close();

  const context = await browser.newContext();
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  const page = await context.newPage();
  await signUpAndSignIn(page, uniqueEmail("zh-dialog"));
  const dashboardUrl = await createTenant(page, "中文租户");
  await context.addCookies([{ name: "mg-locale", value: "zh-CN", url: E2E_BASE_URL }]);
  await page.goto(dashboardUrl);
  await test.step("the new-key dialog", async () => {
    await page.locator("#keyName").fill("zh-dialog-key");
    await page.locator("#keyName").press("Enter");
    const dialog = page.getByRole("dialog", { name: "密钥“zh-dialog-key”已创建" });
    await expect(dialog).toBeVisible();
    await dialog.getByRole("button", { name: "复制" }).first().click();
    await expect(dialog.getByRole("status").filter({ hasText: "已复制" })).toHaveCount(1);
    expect(englishIn(await dialog.innerText(), fragments)).toEqual([]);
    await shot(page, "locale-04-new-key-dialog-zh");
    await dialog.getByRole("button", { name: "我已保存" }).click();
    await expect(dialog).toHaveCount(0);
  });
  await context.close();
});
