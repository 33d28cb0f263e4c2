/**
 * Security journeys against the real `next start` build: security headers with a CSP under which
 * pages still hydrate, no open redirect after sign-in (every known trick), sessions that end on
 * sign-out (a copied cookie stops working), sign-in throttling in the UI, and a client address
 * that spoofed X-Forwarded-For cannot change.
 */
import http from "node:http";
import { randomUUID } from "node:crypto";
import type { Browser, Page } from "@playwright/test";
import { E2E_BASE_URL } from "./e2e-env";
import { PASSWORD, signUpAndSignIn, uniqueEmail, expect, test } from "./helpers";

const ORIGIN = new URL(E2E_BASE_URL).origin;

async function hydrated(page: Page): Promise<void> {
  await page.waitForFunction(() => document.documentElement.dataset.hydrated === "true");
}

/** Collects CSP violations the page reports (console errors and securitypolicyviolation events). */
function watchCsp(page: Page): string[] {
  const violations: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error" && /Content Security Policy/i.test(msg.text())) violations.push(msg.text());
  });
  return violations;
}

test("portal pages carry the security headers and still hydrate under the CSP", async ({ page }) => {
  const violations = watchCsp(page);
  for (const path of ["/", "/signin", "/signup", "/lookup"]) {
    const response = await page.goto(path);
    const headers = response!.headers();
    const csp = headers["content-security-policy"] ?? "";
    expect(csp, path).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
    expect(csp, path).toContain("frame-ancestors 'none'");
    expect(csp, path).toContain("object-src 'none'");
    expect(headers["x-content-type-options"], path).toBe("nosniff");
    expect(headers["referrer-policy"], path).toBe("same-origin");
    expect(headers["x-frame-options"], path).toBe("DENY");
    // A fresh nonce per view.
    const again = (await page.request.get(path)).headers()["content-security-policy"];
    expect(again, path).not.toBe(csp);
    await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
  }
  expect(violations).toEqual([]);
});

test("the relay answers without portal headers (byte-for-byte provider behaviour)", async ({ request }) => {
  const res = await request.get("/v1/models", { headers: { "x-api-key": "mg-not-a-key" } });
  expect(res.headers()["content-security-policy"]).toBeUndefined();
  expect(res.headers()["x-frame-options"]).toBeUndefined();
});

// callbackUrl values as they appear in the query string.
const REDIRECT_TRICKS = [
  "/%5Cevil.example/pwn",
  "/%09/evil.example",
  "//evil.example/pwn",
  "%2F%2Fevil.example",
  "/%5C%5Cevil.example",
  "%5C%5Cevil.example",
  "https://evil.example/pwn",
  "https:evil.example",
  "javascript:alert(document.domain)",
  "/%0A/evil.example",
  "/%0D%0A/evil.example",
  "%09//evil.example",
  "/%2F/evil.example",
];

async function signInAt(browser: Browser, url: string, email: string): Promise<{ landed: string; dialogs: number }> {
  const context = await browser.newContext({ baseURL: E2E_BASE_URL });
  const page = await context.newPage();
  let dialogs = 0;
  page.on("dialog", (d) => {
    dialogs++;
    void d.dismiss();
  });
  await page.goto(url);
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((u) => !u.pathname.startsWith("/signin"), { timeout: 15_000 }).catch(() => {});
  await page.waitForLoadState("load");
  const landed = page.url();
  await context.close();
  return { landed, dialogs };
}

test("after sign-in, only same-origin paths are followed", async ({ page, browser }) => {
  const email = uniqueEmail("redirect");
  await signUpAndSignIn(page, email);
  for (const trick of REDIRECT_TRICKS) {
    const { landed, dialogs } = await signInAt(browser, `/signin?callbackUrl=${trick}`, email);
    expect({ trick, origin: new URL(landed).origin, path: new URL(landed).pathname, dialogs }).toEqual({
      trick,
      origin: ORIGIN,
      path: "/dashboard",
      dialogs: 0,
    });
  }
  // A legitimate target still works.
  const { landed } = await signInAt(browser, `/signin?callbackUrl=${encodeURIComponent("/dashboard?new=1")}`, email);
  expect(landed).toBe(`${ORIGIN}/dashboard?new=1`);
});

test("sign-out ends the session: a copy of the old cookie no longer works", async ({ page, browser }) => {
  await signUpAndSignIn(page, uniqueEmail("signout"));
  const saved = await page.context().storageState();
  expect(saved.cookies.some((c) => c.name.includes("next-auth.session-token"))).toBe(true);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(`${ORIGIN}/`);

  const replay = await browser.newContext({ baseURL: E2E_BASE_URL, storageState: saved });
  const session = await replay.request.get("/api/auth/session");
  expect(await session.json()).toEqual({});
  const trpc = await replay.request.get(`/api/trpc/tenant.mine?input=${encodeURIComponent(JSON.stringify({ json: null }))}`);
  expect(trpc.status()).toBe(401);
  const replayPage = await replay.newPage();
  await replayPage.goto("/dashboard");
  await expect(replayPage).toHaveURL(/\/signin\?callbackUrl=/);
  await replay.close();
});

test("wrong passwords lock the account for a while, and the form says so", async ({ page }) => {
  const email = uniqueEmail("throttle");
  await signUpAndSignIn(page, email);
  const context = await page.context().browser()!.newContext({ baseURL: E2E_BASE_URL });
  const other = await context.newPage();
  await other.goto(`/signin?email=${encodeURIComponent(email)}`);
  await hydrated(other);
  for (let i = 0; i < 5; i++) {
    await other.getByLabel("Password").fill(`wrong password ${i}`);
    await other.getByRole("button", { name: "Sign in" }).click();
    await expect(other.getByText("Wrong email or password.")).toBeVisible();
  }
  await other.getByLabel("Password").fill(PASSWORD);
  await other.getByRole("button", { name: "Sign in" }).click();
  await expect(other.getByText("Too many sign-in attempts. Wait a little and try again.")).toBeVisible();
  await expect(other).toHaveURL(/\/signin/);
  await context.close();
});

/** GET over plain node:http from a chosen loopback source address (the whole 127/8 is local). */
function getFrom(localAddress: string, path: string, headers: Record<string, string>): Promise<number> {
  const url = new URL(path, E2E_BASE_URL);
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port: url.port, path: url.pathname + url.search, localAddress, headers }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
  });
}

test("the lookup limit follows the socket address: 35 spoofed X-Forwarded-For requests do not all pass", async () => {
  // A source address of its own, so no other journey shares this limit window.
  const source = `127.0.${Math.floor(Math.random() * 200) + 20}.${Math.floor(Math.random() * 200) + 20}`;
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 50_000) await new Promise((r) => setTimeout(r, 61_000 - intoMinute));
  const statuses: number[] = [];
  for (let i = 0; i < 35; i++) {
    statuses.push(
      await getFrom(source, `/api/lookup?id=${randomUUID()}`, { "x-forwarded-for": `203.0.113.${i + 1}`, "x-real-ip": `198.51.100.${i + 1}` }),
    );
  }
  expect(statuses.filter((s) => s === 200)).toHaveLength(30);
  expect(statuses.slice(30)).toEqual([429, 429, 429, 429, 429]);
});
