/**
 * Cost truth in the portal: a model without a price is served to a key without a cap, recorded at
 * $0 and flagged, and the tenant dashboard shows the banner naming it; a fast-mode Opus 5.5 request
 * shows its explanation (rates × the 2× speed factor, the total) in the key page's request log.
 * Real @anthropic-ai/sdk calls through the relay; the stub upstream answers with the served model and
 * the usage chosen in the model suffix. Screenshots: e2e/screenshots/costs-*.png.
 */
import { execFileSync } from "node:child_process";
import Anthropic from "@anthropic-ai/sdk";
import { E2E_BASE_URL, e2eServerEnv } from "./e2e-env";
import { createKey, createTenant, shot, signUpAndSignIn, uniqueEmail, expect, test } from "./helpers";

function runFlush(): void {
  execFileSync("npm", ["run", "--silent", "cli", "--", "flush"], { env: { ...process.env, ...e2eServerEnv }, encoding: "utf8", timeout: 60_000 });
}

/**
 * Stub knobs travel in the model id after "@" (see stub/upstream.ts), within the relay's
 * model-name rule (letters, digits and . _ : / @ + = , -), so no JSON: `speed=fast` is a shorthand.
 */
const knobs = (served: string, extra?: string) => `${served}@served=${served}${extra ? `,${extra}` : ""}`;

test("unpriced model: allowed without a cap, flagged, banner; a fast request explains its cost", async ({ page }) => {
  const unpriced = `mystery-model-${Date.now().toString(36)}`;
  await signUpAndSignIn(page, uniqueEmail("costs"));
  const dashboardUrl = await createTenant(page, "Cost Truth");
  const { secret, apiId } = await createKey(page, "uncapped");
  await page.getByRole("button", { name: "I have saved it" }).click();
  await expect(page.getByTestId("unpriced-banner")).toHaveCount(0);

  const client = new Anthropic({ apiKey: secret, baseURL: E2E_BASE_URL, maxRetries: 0 });
  const ask = (model: string) => client.messages.create({ model, max_tokens: 64, messages: [{ role: "user", content: "hi" }] });
  const first = await ask(knobs(unpriced));
  expect(first.model).toBe(unpriced);
  await ask(knobs(unpriced));
  const fast = await ask(knobs("claude-opus-5-5", "speed=fast"));
  expect(fast.usage.speed).toBe("fast");
  runFlush();

  await test.step("the dashboard's banner names the unpriced model", async () => {
    await page.goto(dashboardUrl);
    const banner = page.getByTestId("unpriced-banner");
    await expect(banner).toBeVisible();
    await expect(banner).toContainText(unpriced);
    await expect(banner).toContainText("2 requests");
    await shot(page, "costs-01-unpriced-banner");
  });

  await test.step("the key page explains the fast request's cost", async () => {
    await page.goto(`${dashboardUrl}/keys/${apiId}`);
    const table = page.getByTestId("request-log-table");
    const fastRow = table.locator("tr[data-request-id]").filter({ hasText: "claude-opus-5-5" });
    await expect(fastRow).toHaveCount(1);
    // 472×$4 + 89×$20 + 1024×$5 + 1024×$8 + 10240×$0.20 per MTok = $0.019028, × 2 for fast mode.
    await expect(fastRow).toContainText("$0.038056");
    await fastRow.getByTestId("log-why").click();
    const detail = table.getByTestId("log-detail");
    await expect(detail).toContainText("speed: fast");
    await expect(detail.getByTestId("cost-explanation")).toContainText("472 × $4/MTok × 2 = $0.003776");
    await expect(detail.getByTestId("cost-explanation")).toContainText("total");
    await expect(detail.getByTestId("cost-explanation")).toContainText("$0.038056");
    const unpricedRow = table.locator("tr[data-request-id]").filter({ hasText: unpriced }).first();
    await unpricedRow.getByTestId("log-why").click();
    await expect(table.getByTestId("log-detail").filter({ hasText: unpriced })).toContainText("Not priced");
    await shot(page, "costs-02-request-explained");
  });
});
