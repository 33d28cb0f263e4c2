/**
 * Every page of the portal, with the data that makes each one show its tables, charts and forms:
 * a tenant owner (tenant, two keys with usage on two providers, limits, a served and a refused
 * request for the request detail page, a pending invitation),
 * a platform admin, and the public pages. Used by the accessibility / phone-width / 中文 tour.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type { Browser, Page } from "@playwright/test";
import { en } from "~/i18n/en";
import { zhCN } from "~/i18n/zh-CN";
import { E2E_BASE_URL, E2E_PORT } from "./e2e-env";
import { createKey, createTenant, expect, signUpAndSignIn, uniqueEmail } from "./helpers";
import { anthropicCall, anthropicRequest, cli, flush, openaiCall } from "./portal-helpers";

export type Role = "public" | "owner" | "admin";

export interface TourPage {
  name: string;
  path: string;
  /** Expected HTTP status of the document (404 page). */
  status?: number;
}

export interface Tour {
  /** Playwright storage state (cookies) per signed-in role. */
  state: Record<Exclude<Role, "public">, Awaited<ReturnType<import("@playwright/test").BrowserContext["storageState"]>>>;
  pages: Record<Role, TourPage[]>;
  tenantId: string;
  keyId: string;
}

const TOUR_FILE = `test-results/.page-tour-${E2E_PORT}.json`;

/**
 * The tour's data, made once per run: a worker that restarts after a failed test reuses it while
 * the owner's tenant still answers (scripts/e2e.sh makes a fresh database every run).
 */
export async function loadOrPrepareTour(browser: Browser): Promise<Tour> {
  if (existsSync(TOUR_FILE)) {
    const saved = JSON.parse(readFileSync(TOUR_FILE, "utf8")) as Tour;
    const context = await browser.newContext({ storageState: saved.state.owner });
    const res = await context.request.get(`${E2E_BASE_URL}/dashboard/${saved.tenantId}`, { maxRedirects: 0 });
    await context.close();
    if (res.status() === 200) return saved;
  }
  const tour = await prepareTour(browser);
  mkdirSync("test-results", { recursive: true });
  writeFileSync(TOUR_FILE, JSON.stringify(tour));
  return tour;
}

async function prepareTour(browser: Browser): Promise<Tour> {
  const ownerContext = await browser.newContext();
  const owner = await ownerContext.newPage();
  const ownerEmail = uniqueEmail("tour-owner");
  await signUpAndSignIn(owner, ownerEmail);
  const tenantUrl = await createTenant(owner, "Tour tenant");
  const tenantId = new URL(tenantUrl).pathname.split("/").pop()!;
  const first = await createKey(owner, "tour-anthropic");
  await owner.getByRole("button", { name: "I have saved it" }).click();
  const second = await createKey(owner, "tour-openai-with-a-long-name");
  await owner.getByRole("button", { name: "I have saved it" }).click();
  // A refusal for the request detail page: the second key may use only GPT models (set before its
  // first call, so the relay's key cache already holds the rule).
  cli("key", "limits", "--id", second.apiId, "--allowed-models", "gpt-*");
  const served = await anthropicRequest(first.secret);
  expect(served.status).toBe(200);
  expect(await anthropicCall(first.secret)).toBe(200);
  expect(await anthropicCall(first.secret, "claude-haiku-4-5")).toBe(200);
  expect(await openaiCall(second.secret)).toBe(200);
  const refused = await anthropicRequest(second.secret);
  expect(refused.status).toBe(403);
  cli("key", "limits", "--id", first.apiId, "--daily-usd", "20", "--rate-window-minutes", "5", "--rate-max-requests", "100");
  flush();
  await owner.getByLabel("Invite with role").selectOption("MEMBER");
  await owner.getByRole("button", { name: "Create invite link" }).click();
  const inviteLink = (await owner.getByTestId("invite-link").textContent())?.trim() ?? "";
  expect(inviteLink).toContain("/invite/");
  const ownerState = await ownerContext.storageState();
  await ownerContext.close();

  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  const adminEmail = uniqueEmail("tour-admin");
  await signUpAndSignIn(admin, adminEmail);
  cli("user", "set-admin", "--email", adminEmail);
  const adminState = await adminContext.storageState();
  await adminContext.close();

  const t = `/dashboard/${tenantId}`;
  return {
    state: { owner: ownerState, admin: adminState },
    tenantId,
    keyId: first.apiId,
    pages: {
      public: [
        { name: "landing", path: "/" },
        { name: "signin", path: "/signin" },
        { name: "signup", path: "/signup" },
        { name: "lookup", path: "/lookup" },
        { name: "lookup-key", path: `/lookup?id=${first.apiId}` },
        { name: "lookup-unknown", path: `/lookup?id=${randomUUID()}` },
        { name: "not-found", path: "/no-such-page", status: 404 },
      ],
      owner: [
        { name: "tenant-dashboard", path: t },
        { name: "new-tenant", path: "/dashboard?new=1" },
        { name: "key", path: `${t}/keys/${first.apiId}` },
        { name: "request", path: `${t}/requests/${served.requestId}` },
        { name: "request-refused", path: `${t}/requests/${refused.requestId}` },
        { name: "people", path: `${t}/people` },
        { name: "settings", path: `${t}/settings` },
        { name: "audit", path: `${t}/audit` },
        { name: "invite", path: new URL(inviteLink).pathname },
        { name: "invite-invalid", path: `/invite/${randomUUID()}` },
      ],
      admin: [
        { name: "admin", path: "/admin" },
        { name: "admin-tenant", path: `/admin/tenants/${tenantId}` },
      ],
    },
  };
}

/**
 * English strings of the reference dictionary that must not show on a 中文 page: every en.ts value
 * of at least 4 letters (matched case-sensitively, as whole words) that its zh-CN entry does not itself contain (brand names, units, model
 * names and the like are the same in both), split at placeholders into literal fragments.
 */
export function englishFragments(): string[] {
  const zh = zhCN as Record<string, string>;
  const out = new Set<string>();
  for (const [key, value] of Object.entries(en)) {
    const translated = zh[key] ?? "";
    for (const fragment of value.split(/\{\w+\}/)) {
      const text = fragment.trim().replace(/^[^A-Za-z]+|[^A-Za-z.!?)]+$/g, "");
      if ((text.match(/[A-Za-z]/g) ?? []).length < 4) continue;
      if (translated.includes(text)) continue;
      if (ENGLISH_ALLOWED.has(text)) continue;
      out.add(text);
    }
  }
  return [...out].sort((a, b) => b.length - a.length);
}

/** Words that stay English in the Chinese UI on purpose (product names, protocols, units). */
const ENGLISH_ALLOWED = new Set(["Metergate", "Anthropic", "OpenAI", "Claude Code", "Codex", "English", "Webhook"]);

/**
 * What users named themselves (tenant names: other journeys' tenants such as "Limits Lab" show in
 * the admin ranking) is no UI text: it is cut out before the check.
 */
const USER_CONTENT = ['[data-testid="admin-tenant-row"] th', '[data-testid="tenant-name"]', '[data-testid="admin-tenant-name"]'];

/** The visible text of the page, its title and its accessible names (aria-label, title, placeholder). */
export async function pageTexts(page: Page): Promise<string> {
  return page.evaluate((userContent) => {
    const names = [...document.querySelectorAll<HTMLElement>(userContent.join(","))]
      .flatMap((el) => el.innerText.split("\n"))
      .map((text) => text.trim())
      .filter(Boolean);
    const parts = [document.title, document.body.innerText];
    for (const el of document.querySelectorAll("[aria-label],[title],[placeholder],[alt]")) {
      for (const attr of ["aria-label", "title", "placeholder", "alt"]) {
        const v = el.getAttribute(attr);
        if (v) parts.push(v);
      }
    }
    return names.reduce((text, name) => text.split(name).join(" "), parts.join("\n"));
  }, USER_CONTENT);
}

/** The English fragments found in a text, as whole words. */
export function englishIn(text: string, fragments: readonly string[]): string[] {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return fragments.filter((f) => new RegExp(`(?<![A-Za-z])${escape(f)}(?![A-Za-z])`).test(text));
}
