/**
 * Walking skeleton, end to end: sign up → sign in → tenant → key (secret read off the page) →
 * real @anthropic-ai/sdk calls through the relay to the stub upstream → one flush (CLI) →
 * the dashboard and the public lookup show exactly those numbers. Screenshots: e2e/screenshots/.
 */
import { execFileSync } from "node:child_process";
import Anthropic from "@anthropic-ai/sdk";
import { type Page } from "@playwright/test";
import { formatCost, formatCount } from "~/components/format";
import { E2E_BASE_URL, e2eServerEnv } from "./e2e-env";
import { shot, expect, test } from "./helpers";

const MODEL = "claude-sonnet-4-5-20250929";

interface Expected {
  requests: number;
  input: number;
  output: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
  costMicros: number;
}


function runFlush(): unknown {
  const out = execFileSync("npm", ["run", "--silent", "cli", "--", "flush"], {
    env: { ...process.env, ...e2eServerEnv },
    encoding: "utf8",
    timeout: 60_000,
  });
  return JSON.parse(out) as unknown;
}

interface PricedUsage {
  model: string;
  usage: { input: number; output: number; cacheWrite5m: number; cacheWrite1h: number; cacheRead: number };
}

/** The app's own cost function (src/pricing), run by tsx in a child process. */
function costOfAll(items: PricedUsage[]): number {
  const out = execFileSync("npx", ["tsx", "--tsconfig", "tsconfig.json", "e2e/cost-of.ts", JSON.stringify(items)], {
    encoding: "utf8",
    timeout: 60_000,
  });
  return (JSON.parse(out) as { costMicros: number }).costMicros;
}

function addUsage(total: Expected, priced: PricedUsage[], usage: Anthropic.Usage): void {
  const split = usage.cache_creation;
  const write5m = split ? split.ephemeral_5m_input_tokens : (usage.cache_creation_input_tokens ?? 0);
  const write1h = split ? split.ephemeral_1h_input_tokens : 0;
  const tokens = {
    input: usage.input_tokens,
    output: usage.output_tokens,
    cacheWrite5m: write5m,
    cacheWrite1h: write1h,
    cacheRead: usage.cache_read_input_tokens ?? 0,
  };
  total.requests += 1;
  total.input += tokens.input;
  total.output += tokens.output;
  total.cacheWrite5m += tokens.cacheWrite5m;
  total.cacheWrite1h += tokens.cacheWrite1h;
  total.cacheRead += tokens.cacheRead;
  priced.push({ model: MODEL, usage: tokens });
}

async function expectStats(page: Page, e: Expected) {
  await expect(page.getByTestId("stat-requests")).toHaveText(formatCount(e.requests));
  await expect(page.getByTestId("stat-input")).toHaveText(formatCount(e.input));
  await expect(page.getByTestId("stat-output")).toHaveText(formatCount(e.output));
  await expect(page.getByTestId("stat-cache-write")).toHaveText(formatCount(e.cacheWrite5m + e.cacheWrite1h));
  await expect(page.getByTestId("stat-cache-read")).toHaveText(formatCount(e.cacheRead));
  await expect(page.getByTestId("stat-cost")).toHaveText(formatCost(e.costMicros));
  const modelRow = page.getByTestId("model-cost-table").locator("tbody tr");
  await expect(modelRow).toHaveCount(1);
  await expect(modelRow.getByTestId("model-cost")).toHaveText(formatCost(e.costMicros));
}

test("sign-up → key → SDK call → flush → dashboard and lookup show the numbers", async ({ page, request }) => {
  const email = `e2e-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  const password = "correct horse battery staple";

  await test.step("landing", async () => {
    await page.goto("/");
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    await shot(page, "01-landing");
  });

  await test.step("sign up", async () => {
    await page.getByRole("link", { name: "Create an account" }).click();
    await expect(page).toHaveURL(/\/signup$/);
    await page.getByLabel("Name (optional)").fill("E2E User");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(password);
    await shot(page, "02-signup");
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page).toHaveURL(/\/signin\?registered=1/);
  });

  await test.step("sign in", async () => {
    await expect(page.getByLabel("Email")).toHaveValue(email);
    await page.getByLabel("Password").fill(password);
    await shot(page, "03-signin");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/dashboard$/);
  });

  let dashboardUrl = "";
  await test.step("create tenant", async () => {
    await expect(page.getByRole("heading", { name: "Create your first tenant" })).toBeVisible();
    await page.getByLabel("Tenant name").fill("E2E Research");
    await shot(page, "04-create-tenant");
    await page.getByRole("button", { name: "Create tenant" }).click();
    await expect(page).toHaveURL(/\/dashboard\/[^/]+$/);
    await expect(page.getByTestId("tenant-name")).toHaveText("E2E Research");
    dashboardUrl = page.url();
    await expect(page.getByTestId("stat-requests")).toHaveText("0");
    await shot(page, "05-tenant-empty");
  });

  let secret = "";
  let apiId = "";
  await test.step("create key", async () => {
    await page.getByLabel("New key name").fill("e2e-key");
    await page.getByRole("button", { name: "Create key" }).click();
    secret = (await page.getByTestId("new-key-secret").textContent())?.trim() ?? "";
    apiId = (await page.getByTestId("new-key-id").textContent())?.trim() ?? "";
    expect(secret).toMatch(/^mg-/);
    expect(apiId).toMatch(/^[0-9a-f-]{36}$/);
    await expect(page.getByTestId("api-key-list").locator(`[data-key-id="${apiId}"]`)).toBeVisible();
    await shot(page, "06-key-created");
  });

  const expected: Expected = { requests: 0, input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, costMicros: 0 };
  const priced: PricedUsage[] = [];
  await test.step("SDK calls through the relay", async () => {
    // x-api-key, not streaming.
    const viaApiKey = new Anthropic({ apiKey: secret, baseURL: E2E_BASE_URL, maxRetries: 0 });
    const message = await viaApiKey.messages.create({
      model: MODEL,
      max_tokens: 256,
      messages: [{ role: "user", content: "Say hello" }],
    });
    addUsage(expected, priced, message.usage);
    // Authorization: Bearer (as Claude Code sends it), streaming.
    const viaBearer = new Anthropic({ apiKey: null, authToken: secret, baseURL: E2E_BASE_URL, maxRetries: 0 });
    const stream = viaBearer.messages.stream({
      model: MODEL,
      max_tokens: 256,
      messages: [{ role: "user", content: "Say hello" }],
    });
    const final = await stream.finalMessage();
    addUsage(expected, priced, final.usage);
    expect(expected.requests).toBe(2);
    expect(expected.input).toBeGreaterThan(0);
    expected.costMicros = costOfAll(priced);
    expect(expected.costMicros).toBeGreaterThan(0);
  });

  await test.step("flush", async () => {
    runFlush();
  });

  await test.step("dashboard shows the numbers", async () => {
    await page.reload();
    await expectStats(page, expected);
    await expect(page.getByTestId("model-cost-table")).toContainText(MODEL.replace(/-\d{8}$/, ""));
    await shot(page, "07-dashboard-usage");
  });

  await test.step("public lookup shows the numbers", async () => {
    await page.goto("/lookup");
    await page.getByLabel("API ID").fill(apiId);
    await page.getByRole("button", { name: "Look up" }).click();
    await expect(page).toHaveURL(new RegExp(`/lookup\\?id=${apiId}$`));
    await expectStats(page, expected);
    await shot(page, "08-lookup");

    const json = (await (await request.get(`/api/lookup?id=${apiId}`)).json()) as {
      totals: { requests: number; inputTokens: number; outputTokens: number; costMicros: number };
    };
    expect(json.totals).toMatchObject({
      requests: expected.requests,
      inputTokens: expected.input,
      outputTokens: expected.output,
      costMicros: expected.costMicros,
    });
  });

  await test.step("dark mode and phone width", async () => {
    await page.emulateMedia({ colorScheme: "dark" });
    await page.goto(dashboardUrl);
    await expectStats(page, expected);
    await shot(page, "09-dashboard-dark");
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`/lookup?id=${apiId}`);
    await expectStats(page, expected);
    await shot(page, "10-lookup-phone-dark");
  });
});
