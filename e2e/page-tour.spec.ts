/**
 * Every page × English and 中文 × light and dark × desktop 1280×800 and phone 390×844, as the
 * public, a tenant owner and a platform admin:
 *  - axe-core finds no serious or critical violation (in dark mode: the colour rules);
 *  - the page never scrolls sideways (phone: at 390 and at 360 px);
 *  - a 中文 page shows no English string of the reference dictionary (src/i18n/en.ts).
 * One browser context per combination, signed in once (storage state); phone screenshots at 360 px
 * (English light, 中文 dark) in e2e/screenshots/tour-*.
 */
import AxeBuilder from "@axe-core/playwright";
import type { Browser, Page } from "@playwright/test";
import { E2E_BASE_URL } from "./e2e-env";
import { expect, test } from "./helpers";
import { englishFragments, englishIn, pageTexts, loadOrPrepareTour, type Role, type Tour, type TourPage } from "./page-tour";

const LOCALES = ["en", "zh-CN"] as const;
const SCHEMES = ["light", "dark"] as const;
const DEVICES = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const;
const ROLES: Role[] = ["public", "owner", "admin"];
/** Phone screenshots at 360 px (each costs a second or two): English light and 中文 dark. */
const SCREENSHOT_COMBOS = new Set(["en-light", "zh-CN-dark"]);

let tour: Tour;
const fragments = englishFragments();

test.beforeAll(async ({ browser }) => {
  test.setTimeout(300_000);
  tour = await loadOrPrepareTour(browser);
});

/** Loads a page and waits until it is hydrated and its client queries have answered. */
async function open(page: Page, entry: TourPage): Promise<void> {
  const response = await page.goto(entry.path);
  expect(response?.status(), entry.path).toBe(entry.status ?? 200);
  await page.waitForFunction(() => document.documentElement.dataset.hydrated === "true");
  await page.waitForLoadState("networkidle");
  // Loading placeholders pulse (their opacity changes): scan the page once its data is in.
  await page.waitForFunction(() => document.querySelector(".animate-pulse") === null, undefined, { timeout: 30_000 });
}

async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

/** The outermost elements that stick out of the viewport (not inside a scroller), to say what overflows. */
async function overflowCulprits(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const vw = window.innerWidth;
    const clipped = (el: Element) => {
      for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
        if (getComputedStyle(a).overflowX !== "visible") return true;
      }
      return false;
    };
    const out: string[] = [];
    for (const el of document.querySelectorAll("body *")) {
      const r = el.getBoundingClientRect();
      if (r.right <= vw + 1 || r.width === 0 || clipped(el)) continue;
      const parentSticks = el.parentElement && el.parentElement.getBoundingClientRect().right > vw + 1;
      if (!parentSticks) out.push(`${el.tagName.toLowerCase()}.${String(el.className).slice(0, 60)} right=${Math.round(r.right)}`);
    }
    return out.slice(0, 5);
  });
}

/**
 * Serious and critical axe-core violations. In dark mode only the rules that depend on colours run:
 * the DOM and ARIA are the same as in light mode, which runs every rule.
 */
async function axeProblems(page: Page, scheme: (typeof SCHEMES)[number]): Promise<string[]> {
  let builder = new AxeBuilder({ page });
  if (scheme === "dark") builder = builder.withRules(["color-contrast", "link-in-text-block"]);
  // label-content-name-mismatch is "experimental" in axe: on, as reviewers run it.
  else builder = builder.options({ rules: { "label-content-name-mismatch": { enabled: true } } });
  const results = await builder.analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.length}× e.g. ${v.nodes[0]?.target.join(" ")} — ${v.nodes[0]?.failureSummary?.split("\n").slice(0, 2).join(" ")}`);
}

async function tourCombination(
  browser: Browser,
  role: Role,
  locale: (typeof LOCALES)[number],
  scheme: (typeof SCHEMES)[number],
  device: keyof typeof DEVICES,
): Promise<void> {
  const context = await browser.newContext({
    baseURL: E2E_BASE_URL,
    viewport: DEVICES[device],
    colorScheme: scheme,
    reducedMotion: "reduce",
    locale,
    storageState: role === "public" ? undefined : tour.state[role],
  });
  await context.addCookies([{ name: "mg-locale", value: locale, url: E2E_BASE_URL }]);
  const page = await context.newPage();
  const problems: string[] = [];
  try {
    for (const entry of tour.pages[role]) {
      await open(page, entry);
      const where = `${entry.name} (${entry.path})`;
      for (const p of await axeProblems(page, scheme)) problems.push(`${where} axe ${p}`);
      const widths = device === "phone" ? [390, 360] : [DEVICES.desktop.width];
      for (const width of widths) {
        if (width !== page.viewportSize()?.width) {
          await page.setViewportSize({ width, height: DEVICES[device].height });
          await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
        }
        const overflow = await horizontalOverflow(page);
        if (overflow > 0) problems.push(`${where} is ${overflow}px wider than ${width}px: ${(await overflowCulprits(page)).join("; ")}`);
      }
      if (locale === "zh-CN") {
        const english = englishIn(await pageTexts(page), fragments);
        if (english.length) problems.push(`${where} shows English: ${english.map((e) => JSON.stringify(e)).join(", ")}`);
      }
      if (device === "phone" && SCREENSHOT_COMBOS.has(`${locale}-${scheme}`)) {
        await page.screenshot({ path: `e2e/screenshots/tour-${role}-${entry.name}-${locale}-${scheme}-360.png`, fullPage: true });
      }
      if (device === "phone") await page.setViewportSize(DEVICES.phone);
    }
  } finally {
    await context.close();
  }
  expect(problems, problems.join("\n")).toEqual([]);
}

for (const role of ROLES) {
  for (const locale of LOCALES) {
    for (const scheme of SCHEMES) {
      for (const device of Object.keys(DEVICES) as (keyof typeof DEVICES)[]) {
        test(`${role} · ${locale} · ${scheme} · ${device}`, async ({ browser }) => {
          // Up to nine pages, each loaded and scanned: minutes on a loaded 2-core machine.
          test.setTimeout(300_000);
          await tourCombination(browser, role, locale, scheme, device);
        });
      }
    }
  }
}
