/**
 * Things a team looks for (issue 17): a request found by the id the client got in
 * `x-metergate-request-id`, its detail (time to the second, status and a readable refusal, user
 * agent, client IP, tokens by kind, the cost explanation); live views that show a new call without a
 * reload within their stated refresh; range, filters and the log's sort kept in the URL across a reload.
 * Real @anthropic-ai/sdk calls through the relay and the stub upstream. Screenshots:
 * e2e/screenshots/requests-*.png.
 */
import Anthropic from "@anthropic-ai/sdk";
import { E2E_BASE_URL } from "./e2e-env";
import { createKey, createTenant, shot, signUpAndSignIn, uniqueEmail, expect, test } from "./helpers";
import { cli, flush } from "./portal-helpers";

test("a request by its x-metergate-request-id: detail, readable refusal, live views, URL state", async ({ page }) => {
  test.setTimeout(180_000);
  await signUpAndSignIn(page, uniqueEmail("requests"));
  const dashboardUrl = await createTenant(page, "Request Detail");
  const { secret, apiId } = await createKey(page, "detail-bot");
  await page.getByRole("button", { name: "I have saved it" }).click();
  cli("key", "limits", "--id", apiId, "--rate-window-minutes", "1", "--rate-max-requests", "1");

  const keyUrl = `${dashboardUrl}/keys/${apiId}`;
  await page.goto(keyUrl);
  await expect(page.getByTestId("key-stat-requests")).toHaveText("0");
  await expect(page.getByTestId("key-last-used")).toHaveText("—");
  await expect(page.getByTestId("key-usage-live")).toContainText("Updates every 5 s");

  const client = new Anthropic({ apiKey: secret, baseURL: E2E_BASE_URL, maxRetries: 0 });
  const ask = () => client.messages.create({ model: "claude-sonnet-4-5", max_tokens: 64, messages: [{ role: "user", content: "hi" }] });
  const ok = await ask().withResponse();
  const okId = ok.response.headers.get("x-metergate-request-id") ?? "";
  expect(okId).toMatch(/^[0-9a-f-]{36}$/);
  const refused = await ask().catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(Anthropic.APIError);
  const refusedId = (refused as InstanceType<typeof Anthropic.APIError>).headers?.get("x-metergate-request-id") ?? "";
  expect((refused as InstanceType<typeof Anthropic.APIError>).status).toBe(429);

  await test.step("usage shows the calls without a reload, within the stated 5 s (+ one refresh of slack)", async () => {
    await expect(page.getByTestId("key-stat-requests")).toHaveText("2", { timeout: 10_000 });
  });

  await test.step("the request log shows them once flushed, times to the second, refusals readable", async () => {
    flush();
    const table = page.getByTestId("request-log-table");
    await expect(table.locator("tbody tr")).toHaveCount(2, { timeout: 10_000 });
    await expect(page.getByTestId("log-time").first()).toHaveText(/\d{2}:\d{2}:\d{2}/);
    await expect(table.getByTestId("log-error")).toHaveText("Refused: the limit “Requests in window” was reached");
    // "Last used" is set by the flush: it follows without a reload too.
    await expect(page.getByTestId("key-last-used")).not.toHaveText("—", { timeout: 10_000 });
    await shot(page, "requests-01-key-page-log");
  });

  await test.step("the request log sorts on the server by a column header; the order is in the URL and survives a reload", async () => {
    const table = page.getByTestId("request-log-table");
    const order = () => table.locator("tbody tr[data-request-id]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-request-id")));
    const costHeader = table.locator("th", { has: page.getByTestId("sort-cost") });
    const timeHeader = table.locator("th", { has: page.getByTestId("sort-time") });
    // Newest first: the refusal came second.
    await expect(timeHeader).toHaveAttribute("aria-sort", "descending");
    await expect(costHeader).not.toHaveAttribute("aria-sort", /.+/);
    expect(await order()).toEqual([refusedId, okId]);
    await table.getByTestId("sort-cost").click();
    await expect(page).toHaveURL(/[?&]logSort=cost(&|$)/);
    await expect(costHeader).toHaveAttribute("aria-sort", "descending");
    await expect(timeHeader).not.toHaveAttribute("aria-sort", /.+/);
    await expect.poll(order).toEqual([okId, refusedId]);
    await table.getByTestId("sort-cost").click();
    await expect(page).toHaveURL(/[?&]logSort=cost\.asc/);
    await expect(costHeader).toHaveAttribute("aria-sort", "ascending");
    await expect.poll(order).toEqual([refusedId, okId]);
    await page.reload();
    await expect(costHeader).toHaveAttribute("aria-sort", "ascending");
    expect(await order()).toEqual([refusedId, okId]);
    await shot(page, "requests-01b-log-sorted-by-cost");
    // The header is a button: Enter on it sorts too (status: highest first).
    await table.getByTestId("sort-status").focus();
    await page.keyboard.press("Enter");
    await expect(page).toHaveURL(/[?&]logSort=status(&|$)/);
    await expect(table.locator("th", { has: page.getByTestId("sort-status") })).toHaveAttribute("aria-sort", "descending");
    await expect.poll(order).toEqual([refusedId, okId]);
    await expect(table.getByTestId("sort-status")).toBeFocused();
    // Back to newest first: the parameter leaves the URL.
    await table.getByTestId("sort-time").click();
    await expect(page).not.toHaveURL(/logSort=/);
    await expect(timeHeader).toHaveAttribute("aria-sort", "descending");
  });

  await test.step("search by the request id opens its detail", async () => {
    await page.getByLabel("Find a request by id").first().fill(okId);
    await page.getByRole("button", { name: "Find" }).first().click();
    await expect(page).toHaveURL(new RegExp(`/requests/${okId}$`));
    const detail = page.getByTestId("request-detail");
    await expect(detail.getByTestId("request-id")).toHaveText(okId);
    await expect(detail.getByTestId("request-time")).toHaveText(/\d{2}:\d{2}:\d{2}.*UTC/);
    await expect(detail.getByTestId("request-status")).toHaveText("200");
    await expect(detail.getByTestId("request-user-agent")).toContainText("Anthropic/JS");
    await expect(detail.getByTestId("request-client-ip")).not.toHaveText("—");
    await expect(detail.getByTestId("request-tokens")).toContainText("Cache read");
    await expect(detail.getByTestId("cost-explanation")).toContainText("total");
    await shot(page, "requests-02-detail");
  });

  await test.step("the refused request reads as a refusal, with the code kept", async () => {
    await page.goto(`${dashboardUrl}/requests/${refusedId}`);
    await expect(page.getByTestId("request-status")).toHaveText("429");
    await expect(page.getByTestId("request-error")).toContainText("Refused: the limit “Requests in window” was reached");
    await expect(page.getByTestId("request-error")).toContainText("quota: rate_requests");
    await expect(page.getByTestId("request-usage-source")).toHaveText("none: refused before any upstream call");
    await shot(page, "requests-03-refused");
  });

  await test.step("an id the tenant does not have says so", async () => {
    await page.goto(`${dashboardUrl}/requests/00000000-0000-4000-8000-000000000000`);
    await expect(page.getByTestId("request-not-found")).toContainText("no request with id");
  });

  await test.step("range and the request-log filter survive a reload", async () => {
    await page.goto(dashboardUrl);
    await page.getByRole("radio", { name: "30 days" }).click();
    await expect(page).toHaveURL(/[?&]range=30d/);
    await page.reload();
    await expect(page.getByRole("radio", { name: "30 days" })).toHaveAttribute("aria-checked", "true");
    await expect(page.getByTestId("key-spend").first()).toHaveText(/^\$0\.0\d{5}$/);
    await shot(page, "requests-04-dashboard-30d");

    await page.goto(keyUrl);
    await page.getByLabel("Status", { exact: true }).selectOption("refused");
    await page.getByRole("button", { name: "Apply" }).click();
    await expect(page).toHaveURL(/[?&]log=/);
    await expect(page.getByTestId("request-log-table").locator("tbody tr")).toHaveCount(1);
    await page.reload();
    await expect(page.getByLabel("Status", { exact: true })).toHaveValue("refused");
    await expect(page.getByTestId("request-log-table").locator("tbody tr")).toHaveCount(1);
  });
});
