/**
 * Keyboard only: every step below is a key press (Tab, Enter, Space, arrows, Escape, typing); the
 * mouse is never used. Skip link, the new-key dialog (modal, focus in and trapped, "Copied"
 * announced, focus back on the name field), range pickers as radio groups with one tab stop, a
 * focusable table scroller, the phone menu (focus trapped while open, Escape back to its button), client-side validation in a live region and focus kept
 * after a limits save and a language switch.
 */
import type { Page } from "@playwright/test";
import { createTenant, expect, shot, signUpAndSignIn, test, uniqueEmail } from "./helpers";
import { anthropicCall, flush } from "./portal-helpers";

/** Describes the focused element: tag#id[name] "text". */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return "body";
    const name = el.getAttribute("aria-label") ?? (el as HTMLElement).innerText?.trim().slice(0, 40) ?? "";
    return `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""} "${name}"`;
  });
}

/** Presses Tab until `matches` is true for the focused element; fails after `max` presses. */
async function tabTo(page: Page, matches: (el: Element) => boolean, max = 80, key = "Tab"): Promise<number> {
  const test = matches.toString();
  for (let i = 1; i <= max; i++) {
    await page.keyboard.press(key);
    const hit = await page.evaluate((src) => {
      const fn = new Function(`return (${src})`)() as (el: Element) => boolean;
      return document.activeElement ? fn(document.activeElement) : false;
    }, test);
    if (hit) return i;
  }
  throw new Error(`not reached in ${max} × ${key}; focus is on ${await focused(page)}`);
}

const insideDialog = () => document.activeElement?.closest("dialog[open]") !== null;

test("keyboard only: skip link, new-key dialog, range picker, table scroller, limits, language", async ({ page, context }) => {
  // Many single key presses, each followed by a look at the focus: slow on a loaded machine.
  test.setTimeout(300_000);
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await signUpAndSignIn(page, uniqueEmail("keyboard"));
  const dashboardUrl = await createTenant(page, "Keyboard tenant");
  await page.goto(dashboardUrl);

  await test.step("the first Tab reaches the skip link; Enter moves focus to the main content", async () => {
    await page.keyboard.press("Tab");
    await expect(page.getByRole("link", { name: "Skip to content" })).toBeFocused();
    await shot(page, "keyboard-01-skip-link");
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("main");
    // The next Tab stays in the main content, past the header.
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.closest("main") !== null)).toBe(true);
  });

  await test.step("range picker: one tab stop, arrow keys select", async () => {
    const group = page.getByRole("radiogroup", { name: "Period" }).first();
    await expect(group.locator('[tabindex="0"]')).toHaveCount(1);
    await tabTo(page, (el) => el.getAttribute("role") === "radio" && el.closest('[role="radiogroup"]')?.getAttribute("aria-label") === "Period");
    await expect(group.getByRole("radio", { name: "7 days" })).toBeFocused();
    await page.keyboard.press("ArrowRight");
    await expect(group.getByRole("radio", { name: "30 days" })).toBeFocused();
    await expect(group.getByRole("radio", { name: "30 days" })).toHaveAttribute("aria-checked", "true");
    await page.keyboard.press("ArrowLeft");
    await expect(group.getByRole("radio", { name: "7 days" })).toHaveAttribute("aria-checked", "true");
    // Tab leaves the group at once (the other options are not tab stops).
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.closest('[role="radiogroup"][aria-label="Period"]') === null)).toBe(true);
  });

  let apiId = "";
  let secret = "";
  await test.step("new key: the notice is a modal dialog; focus in, trapped, Copied announced, back to the name field", async () => {
    await tabTo(page, (el) => el.id === "keyName");
    await page.keyboard.type("keyboard-key");
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: /Key “keyboard-key” created/ });
    await expect(dialog).toBeVisible();
    expect(await dialog.evaluate((d) => (d as HTMLDialogElement).open && d.matches(":modal"))).toBe(true);
    expect(await page.evaluate(insideDialog)).toBe(true);
    apiId = (await page.getByTestId("new-key-id").textContent())?.trim() ?? "";
    secret = (await page.getByTestId("new-key-secret").textContent())?.trim() ?? "";
    // Trapped: twenty Tabs never leave the dialog.
    for (let i = 0; i < 20; i++) {
      await page.keyboard.press("Tab");
      expect(await page.evaluate(insideDialog), `Tab ${i + 1}: ${await focused(page)}`).toBe(true);
    }
    await tabTo(page, (el) => el.tagName === "BUTTON" && el.textContent?.trim() === "Copy");
    await page.keyboard.press("Enter");
    await expect(dialog.getByRole("status").filter({ hasText: "Copied" })).toHaveCount(1);
    expect(await page.evaluate(() => navigator.clipboard.readText())).toMatch(/^mg-/);
    await shot(page, "keyboard-02-new-key-dialog");
    await tabTo(page, (el) => el.textContent?.trim() === "I have saved it");
    await page.keyboard.press("Enter");
    await expect(dialog).toHaveCount(0);
    await expect(page.getByLabel("New key name")).toBeFocused();
  });

  await test.step("the new-key dialog also closes with Escape, focus back on the name field", async () => {
    await page.keyboard.type("second-key");
    await page.keyboard.press("Enter");
    await expect(page.getByRole("dialog")).toBeVisible();
    await page.keyboard.press("Escape");
    await expect(page.getByRole("dialog")).toHaveCount(0);
    await expect(page.getByLabel("New key name")).toBeFocused();
  });

  await test.step("phone: the header menu opens with Enter, traps Tab while open, closes with Escape; a table scroller takes focus and scrolls", async () => {
    expect(await anthropicCall(secret)).toBe(200);
    flush();
    await page.setViewportSize({ width: 360, height: 800 });
    await page.reload();
    await page.keyboard.press("Tab"); // skip link
    await page.keyboard.press("Tab"); // logo
    await page.keyboard.press("Tab");
    const menu = page.getByTestId("site-menu-button");
    await expect(menu).toBeFocused();
    await page.keyboard.press("Enter");
    await expect(menu).toHaveAttribute("aria-expanded", "true");
    await page.keyboard.press("Tab");
    await expect(page.getByRole("link", { name: "Lookup" })).toBeFocused();
    await shot(page, "keyboard-03-phone-menu");
    // Trapped while open: Tab walks the menu's items and comes back to the Menu button, never the page behind.
    const inMenu = () => {
      const el = document.activeElement;
      return el?.closest("#site-menu") !== null || el?.getAttribute("data-testid") === "site-menu-button";
    };
    const stops = await page.locator("#site-menu").evaluate(
      (panel) => panel.querySelectorAll("a[href], button, select, input").length,
    );
    for (let i = 0; i < stops * 2 + 2; i++) {
      await page.keyboard.press("Tab");
      expect(await page.evaluate(inMenu), `Tab ${i + 1}: ${await focused(page)}`).toBe(true);
    }
    await tabTo(page, (el) => el.getAttribute("data-testid") === "site-menu-button", stops + 1);
    // Shift+Tab from the button wraps to the menu's last control (the language switcher).
    await page.keyboard.press("Shift+Tab");
    await expect(page.getByTestId("language-switcher")).toBeFocused();
    await page.keyboard.press("Shift+Tab");
    expect(await page.evaluate(inMenu)).toBe(true);
    // Escape from inside the menu closes it and puts focus back on the Menu button.
    await page.keyboard.press("Escape");
    await expect(menu).toHaveAttribute("aria-expanded", "false");
    await expect(menu).toBeFocused();
    await expect(page.locator("#site-menu")).toBeHidden();
    // Closed, Tab goes on into the page again.
    await page.keyboard.press("Tab");
    expect(await page.evaluate(inMenu)).toBe(false);
    await page.keyboard.press("Shift+Tab");
    await expect(menu).toBeFocused();

    const scroller = page.getByRole("region", { name: "Cost by model" });
    await expect(scroller).toBeVisible();
    await tabTo(page, (el) => el.getAttribute("role") === "region" && el.getAttribute("aria-label") === "Cost by model");
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("ArrowRight");
    await expect.poll(() => scroller.evaluate((el) => el.scrollLeft)).toBeGreaterThan(0);
    // The cost column stays in view while the middle scrolls.
    const cost = scroller.getByTestId("model-cost").first();
    const box = await cost.boundingBox();
    expect(box && box.x + box.width).toBeLessThanOrEqual(360);
    await shot(page, "keyboard-04-phone-table");
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  await test.step("limits: an invalid value is announced and focused; a save keeps focus on Save", async () => {
    await page.goto(`${dashboardUrl}/keys/${apiId}`);
    await tabTo(page, (el) => el.id === "limit-rateMaxRequests", 120);
    await page.keyboard.type("abc");
    await tabTo(page, (el) => el.tagName === "BUTTON" && el.textContent?.trim() === "Save limits", 60);
    await page.keyboard.press("Enter");
    const error = page.getByRole("alert").filter({ hasText: "A whole number, or empty for no limit" });
    await expect(error).toBeVisible();
    await expect(page.locator("#limit-rateMaxRequests")).toBeFocused();
    await page.keyboard.press("Control+A");
    await page.keyboard.type("100");
    await tabTo(page, (el) => el.id === "limit-rateWindowMinutes", 20, "Shift+Tab");
    await page.keyboard.type("5");
    await tabTo(page, (el) => el.tagName === "BUTTON" && el.textContent?.trim() === "Save limits", 60);
    await page.keyboard.press("Enter");
    await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
    await expect(page.getByRole("button", { name: "Save limits" })).toBeFocused();
  });

  await test.step("language switch keeps focus on the switcher", async () => {
    await page.goto(dashboardUrl);
    await tabTo(page, (el) => el.id === "language-switcher", 20);
    await page.keyboard.press("ArrowDown");
    await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");
    await expect(page.getByRole("heading", { name: "用量" })).toBeVisible();
    await expect(page.getByTestId("language-switcher")).toBeFocused();
    await page.keyboard.press("ArrowUp");
    await expect(page.getByRole("heading", { name: "Usage" })).toBeVisible();
    await expect(page.getByTestId("language-switcher")).toBeFocused();
  });
});
