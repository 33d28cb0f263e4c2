/**
 * Who spent it: two developers on one shared key (Claude Code's request shape, both metadata
 * formats) and a Codex session, through the relay with the real SDKs; after a flush the People
 * view shows each developer's requests and cost, and the Sessions view each session's cost,
 * duration and requests, sorted on the server by a header click. The key page's request log filters
 * by end user.
 * Screenshots: e2e/screenshots/people-*.png.
 */
import { execFileSync } from "node:child_process";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { E2E_BASE_URL, e2eServerEnv } from "./e2e-env";
import { createKey, createTenant, shot, signUpAndSignIn, uniqueEmail, expect, test } from "./helpers";

function runFlush(): void {
  execFileSync("npm", ["run", "--silent", "cli", "--", "flush"], { env: { ...process.env, ...e2eServerEnv }, encoding: "utf8", timeout: 60_000 });
}

const ALICE = "0f4c2a1e-5b6d-4e7f-8091-a2b3c4d5e6f7";
const BOB_DEVICE = "b0b0b0b0c1c1c1c1d2d2d2d2e3e3e3e3f4f4f4f4a5a5a5a5b6b6b6b6c7c7c7c7";
const ALICE_SESSION = "aaaa1111-2222-4333-8444-555566667777";
const BOB_SESSION = "bbbb1111-2222-4333-8444-555566667777";
const CODEX_SESSION = "0199c0de-0000-7000-8000-000000000001";
// stream-basic on Sonnet 4.5: 472×3 + 89×15 + 1024×3.75 + 1024×6 + 10240×0.3 µ$ = $0.015807.
const SONNET_COST = 15_807;

test("People and Sessions show who spent what on a shared key", async ({ page }) => {
  await signUpAndSignIn(page, uniqueEmail("people"));
  const dashboardUrl = await createTenant(page, "Shared Key Team");
  const { secret, apiId } = await createKey(page, "team-shared");
  await page.getByRole("button", { name: "I have saved it" }).click();

  const claudeCode = (version: string, sessionHeader: string | null) =>
    new Anthropic({
      authToken: secret,
      apiKey: null,
      baseURL: E2E_BASE_URL,
      maxRetries: 0,
      defaultHeaders: { "x-app": "cli", "user-agent": `claude-cli/${version} (external, cli)`, ...(sessionHeader ? { "x-claude-code-session-id": sessionHeader } : {}) },
    });
  const turn = async (client: Anthropic, userId: string) => {
    const stream = await client.beta.messages.create(
      { model: "claude-sonnet-4-5", max_tokens: 1024, stream: true, betas: ["claude-code-20250219"], messages: [{ role: "user", content: "hi" }], metadata: { user_id: userId } },
      { query: { beta: "true" } },
    );
    for await (const _ of stream) void _;
  };
  // Alice on a current Claude Code (JSON metadata, session header): three turns.
  const alice = claudeCode("2.1.328", ALICE_SESSION);
  const aliceId = JSON.stringify({ device_id: "a1".repeat(32), account_uuid: ALICE, session_id: ALICE_SESSION });
  for (let i = 0; i < 3; i++) await turn(alice, aliceId);
  // Bob on an older one (legacy string, no account: the device stands for him): one turn.
  await turn(claudeCode("2.1.77", null), `user_${BOB_DEVICE}_account__session_${BOB_SESSION}`);
  // Codex: no user, a session header; tagged with Metergate's own header for the person.
  const codex = new OpenAI({
    apiKey: secret,
    baseURL: `${E2E_BASE_URL}/v1`,
    maxRetries: 0,
    defaultHeaders: { originator: "codex_cli_rs", "session-id": CODEX_SESSION, "x-metergate-user": "ci-bot" },
  });
  for (let i = 0; i < 2; i++) {
    const stream = await codex.responses.create({ model: "gpt-4.1-2025-04-14", input: "hi", stream: true, store: false });
    for await (const _ of stream) void _;
  }
  runFlush();

  await test.step("People: each developer's requests and cost", async () => {
    await page.goto(dashboardUrl);
    await page.getByTestId("people-link").click();
    await expect(page).toHaveURL(/\/people$/);
    const table = page.getByTestId("people-table");
    const alice = table.locator(`tr[data-person="${ALICE}"]`);
    await expect(alice.getByTestId("person-requests")).toHaveText("3");
    await expect(alice.getByTestId("person-cost")).toHaveText("$0.047421"); // 3 × $0.015807
    await expect(table.locator(`tr[data-person="${BOB_DEVICE}"]`).getByTestId("person-cost")).toHaveText(`$0.0${SONNET_COST}`);
    await expect(table.locator('tr[data-person="ci-bot"]').getByTestId("person-requests")).toHaveText("2");
    await shot(page, "people-01-people");
  });

  await test.step("Sessions: cost, duration, requests; narrowed to one person", async () => {
    const sessions = page.getByTestId("sessions-table");
    await expect(sessions.locator("tr[data-session]")).toHaveCount(3);
    const a = sessions.locator(`tr[data-session="${ALICE_SESSION}"]`);
    await expect(a.getByTestId("session-requests")).toHaveText("3");
    await expect(a.getByTestId("session-cost")).toHaveText("$0.047421");
    await expect(a.getByTestId("session-duration")).toHaveText(/\d+ s|\d+ min/);
    await expect(sessions.locator(`tr[data-session="${CODEX_SESSION}"]`).getByTestId("session-requests")).toHaveText("2");
    await shot(page, "people-02-sessions");
    await page.getByTestId("people-table").getByRole("button", { name: ALICE }).click();
    await expect(sessions.locator("tr[data-session]")).toHaveCount(1);
    await expect(page.getByRole("heading", { name: `Sessions of ${ALICE}` })).toBeVisible();
  });

  await test.step("period and person are in the URL: a reload shows the same view", async () => {
    // One default range everywhere: 7 days.
    await expect(page.getByLabel("Period")).toHaveValue("7");
    await page.getByLabel("Period").selectOption("30");
    await expect(page).toHaveURL(/[?&]days=30/);
    await expect(page).toHaveURL(/[?&]person=/);
    await page.reload();
    await expect(page.getByLabel("Period")).toHaveValue("30");
    await expect(page.getByRole("heading", { name: `Sessions of ${ALICE}` })).toBeVisible();
    await expect(page.getByTestId("sessions-table").locator("tr[data-session]")).toHaveCount(1);
    // The people table sorts by its headers (requests: most first).
    const table = page.getByTestId("people-table");
    await table.getByTestId("sort-requests").click();
    await expect(table.locator("th", { has: page.getByTestId("sort-requests") })).toHaveAttribute("aria-sort", "descending");
    await expect(table.locator("tbody tr").first()).toHaveAttribute("data-person", ALICE);
    await page.getByRole("button", { name: "All people" }).click();
    await expect(page).not.toHaveURL(/person=/);
  });

  await test.step("Sessions sort on the server by their headers; the order is in the URL", async () => {
    const sessions = page.getByTestId("sessions-table");
    await expect(sessions.locator("tr[data-session]")).toHaveCount(3);
    // Most recently active first by default.
    await expect(sessions.locator("th", { has: page.getByTestId("sort-lastSeen") })).toHaveAttribute("aria-sort", "descending");
    const requestsHeader = sessions.locator("th", { has: page.getByTestId("sort-requests") });
    await sessions.getByTestId("sort-requests").click();
    await expect(requestsHeader).toHaveAttribute("aria-sort", "descending");
    await expect(page).toHaveURL(/[?&]sessionSort=requests(&|$)/);
    await expect(sessions.locator("th", { has: page.getByTestId("sort-lastSeen") })).not.toHaveAttribute("aria-sort", /./);
    await expect(sessions.locator("tbody tr").first()).toHaveAttribute("data-session", ALICE_SESSION);
    await sessions.getByTestId("sort-requests").click();
    await expect(requestsHeader).toHaveAttribute("aria-sort", "ascending");
    await expect(page).toHaveURL(/[?&]sessionSort=requests\.asc/);
    await expect(sessions.locator("tbody tr").first()).toHaveAttribute("data-session", BOB_SESSION);
    await expect(sessions.locator("tbody tr").last()).toHaveAttribute("data-session", ALICE_SESSION);
    // A reload shows the same order (prefetched by the server page with the URL's sort).
    await page.reload();
    await expect(page.getByTestId("sessions-table").locator("th", { has: page.getByTestId("sort-requests") })).toHaveAttribute("aria-sort", "ascending");
    await expect(page.getByTestId("sessions-table").locator("tbody tr").first()).toHaveAttribute("data-session", BOB_SESSION);
    await page.getByTestId("sessions-table").getByTestId("sort-cost").click();
    await expect(page).toHaveURL(/[?&]sessionSort=cost(&|$)/);
    await expect(page.getByTestId("sessions-table").locator("th", { has: page.getByTestId("sort-cost") })).toHaveAttribute("aria-sort", "descending");
    const costs = (await page.getByTestId("sessions-table").getByTestId("session-cost").allTextContents()).map((c) => Number(c.replace(/[^0-9.]/g, "")));
    expect(costs).toEqual([...costs].sort((a, b) => b - a));
    await shot(page, "people-04-sessions-sorted");
  });

  await test.step("per key: the key page links to its people; its request log filters by end user", async () => {
    await page.goto(`${dashboardUrl}/keys/${apiId}`);
    await page.getByTestId("key-people-link").click();
    await expect(page).toHaveURL(new RegExp(`/people\\?key=${apiId}$`));
    await expect(page.getByRole("heading", { name: "People on key team-shared" })).toBeVisible();
    await page.goto(`${dashboardUrl}/keys/${apiId}`);
    await page.getByLabel("End user").fill(BOB_DEVICE);
    await page.getByRole("button", { name: "Apply" }).click();
    const rows = page.getByTestId("request-log-table").locator("tr[data-request-id]");
    await expect(rows).toHaveCount(1);
    await rows.first().getByTestId("log-why").click();
    await expect(page.getByTestId("log-attribution")).toContainText(BOB_SESSION);
    await shot(page, "people-03-request-log-filter");
  });
});
