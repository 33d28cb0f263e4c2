/**
 * Teams: an owner invites a viewer by a link bound to the viewer's email, copies the pending link
 * again, a stranger with the link is turned away, the viewer sees the tenant, role, inviter and
 * expiry and joins, cannot create keys; a used and an unknown link show the same "not valid" page;
 * the audit log tells it in words; the owner rotates a key (same API ID, new secret) and revokes it.
 * Screenshots: e2e/screenshots/team-*.
 */
import { createKey, createTenant, shot, signUpAndSignIn, uniqueEmail, expect, test } from "./helpers";

test("invitation, role limits, key rotation and revocation", async ({ browser }) => {
  const ownerContext = await browser.newContext();
  const owner = await ownerContext.newPage();
  const viewerContext = await browser.newContext();
  const viewer = await viewerContext.newPage();

  let dashboardUrl = "";
  let inviteLink = "";
  const ownerEmail = uniqueEmail("owner");
  const viewerEmail = uniqueEmail("viewer");
  await test.step("owner creates a tenant and an invitation for a viewer, bound to the viewer's email", async () => {
    await signUpAndSignIn(owner, ownerEmail);
    dashboardUrl = await createTenant(owner, "Team Tenant");
    await owner.getByLabel("Invite with role").selectOption("VIEWER");
    // Any case: the binding is case-insensitive.
    await owner.getByLabel("Only for this email (optional)").fill(viewerEmail.toUpperCase());
    await owner.getByRole("button", { name: "Create invite link" }).click();
    inviteLink = (await owner.getByTestId("invite-link").textContent())?.trim() ?? "";
    expect(inviteLink).toContain("/invite/");
    await expect(owner.getByText("Pending invitations")).toBeVisible();
    await expect(owner.getByTestId("pending-invitations")).toContainText(`for ${viewerEmail}`);
    await expect(owner.getByTestId("pending-invitations")).toContainText(`invited by ${ownerEmail}`);
    await owner.getByRole("heading", { name: "Members" }).scrollIntoViewIfNeeded();
    await shot(owner, "team-01-invite-created");
  });

  await test.step("after a reload the pending invitation's link can be shown and copied again", async () => {
    await owner.reload();
    await expect(owner.getByTestId("invite-link")).toHaveCount(0);
    await owner.getByTestId("pending-invitations").getByRole("button", { name: "Show link" }).click();
    await expect(owner.getByTestId("pending-invite-link")).toHaveText(inviteLink);
    await expect(owner.getByTestId("pending-invitations").getByRole("button", { name: "Copy" })).toBeVisible();
    await owner.getByRole("heading", { name: "Members" }).scrollIntoViewIfNeeded();
    await shot(owner, "team-01b-invite-link-again");
  });

  await test.step("someone else signed in with the link is told it is for another address, nothing more", async () => {
    const strangerContext = await browser.newContext();
    const stranger = await strangerContext.newPage();
    await signUpAndSignIn(stranger, uniqueEmail("stranger"), inviteLink);
    await expect(stranger.getByTestId("invitation-other-email")).toBeVisible();
    await expect(stranger.getByRole("heading", { level: 1 })).toHaveText("This invitation is for another email address");
    await expect(stranger.getByText("Team Tenant")).toHaveCount(0);
    await expect(stranger.getByRole("button", { name: "Accept invitation" })).toHaveCount(0);
    await shot(stranger, "team-02a-other-email");
    await strangerContext.close();
  });

  await test.step("the invitee signs up from the link, sees tenant, role, inviter and expiry, and joins as viewer", async () => {
    await signUpAndSignIn(viewer, viewerEmail, inviteLink);
    await expect(viewer).toHaveURL(/\/invite\//);
    await expect(viewer.getByRole("heading", { level: 1 })).toHaveText("Join Team Tenant");
    const details = viewer.getByTestId("invitation-details");
    await expect(details).toContainText("Team Tenant");
    await expect(details).toContainText("Viewer");
    await expect(details).toContainText(ownerEmail);
    await expect(details).toContainText("Expires");
    await expect(details).toContainText(viewerEmail);
    await shot(viewer, "team-02-accept");
    await viewer.getByRole("button", { name: "Accept invitation" }).click();
    await expect(viewer).toHaveURL(dashboardUrl);
    await expect(viewer.getByText("your role: viewer")).toBeVisible();
    await expect(viewer.getByLabel("New key name")).toHaveCount(0);
    await expect(viewer.getByRole("button", { name: "Create invite link" })).toHaveCount(0);
    await shot(viewer, "team-03-viewer-dashboard");
  });

  await test.step("a used link and an unknown one show the same 'not valid' page", async () => {
    const pageText = async (url: string) => {
      const response = await viewer.goto(url);
      await expect(viewer.getByTestId("invitation-invalid")).toBeVisible();
      return { status: response?.status(), text: await viewer.locator("main").innerText() };
    };
    const used = await pageText(inviteLink);
    await shot(viewer, "team-03b-invitation-not-valid");
    const unknown = await pageText(`/invite/${"x".repeat(32)}`);
    expect(used).toEqual(unknown);
    expect(used.text).toContain("This invitation is not valid");
    await viewer.goto(dashboardUrl);
  });

  await test.step("the audit log tells the invitation's story in words", async () => {
    await owner.goto(`${dashboardUrl}/audit`);
    const table = owner.getByTestId("audit-table");
    await expect(table.locator('[data-action="invitation.create"]')).toContainText("Invitation created");
    await expect(table.locator('[data-action="invitation.create"]')).toContainText(`For email: ${viewerEmail}`);
    await expect(table.locator('[data-action="invitation.copy"]')).toContainText("Invitation link shown again");
    await expect(table.locator('[data-action="invitation.accept"]')).toContainText(viewerEmail);
    await expect(table.locator('[data-action="invitation.accept"]')).toContainText("Role: Viewer");
    await expect(table).not.toContainText('{"');
    await shot(owner, "team-03c-audit");
    await owner.goto(dashboardUrl);
  });

  await test.step("the owner sees the new member and promotes them to member", async () => {
    await owner.reload();
    const row = owner.locator(`[data-member-email="${viewerEmail}"]`);
    await expect(row).toBeVisible();
    await row.getByLabel(`Role of ${viewerEmail}`).selectOption("MEMBER");
    await expect(row.getByLabel(`Role of ${viewerEmail}`)).toHaveValue("MEMBER");
    await viewer.reload();
    await expect(viewer.getByText("your role: member")).toBeVisible();
    await expect(viewer.getByLabel("New key name")).toBeVisible();
  });

  await test.step("the owner rotates a key: same API ID, new secret", async () => {
    await owner.reload();
    const first = await createKey(owner, "rotating-key");
    await owner.getByRole("button", { name: "I have saved it" }).click();
    const row = owner.locator(`[data-key-id="${first.apiId}"]`);
    owner.once("dialog", (d) => void d.accept());
    await row.getByRole("button", { name: "Rotate" }).click();
    await expect(owner.getByText("Key “rotating-key” rotated")).toBeVisible();
    const newSecret = (await owner.getByTestId("new-key-secret").textContent())?.trim() ?? "";
    expect(newSecret).toMatch(/^mg-/);
    expect(newSecret).not.toBe(first.secret);
    await expect(owner.getByTestId("new-key-id")).toHaveText(first.apiId);
    await shot(owner, "team-04-key-rotated");
    // The notice is modal: close it, focus goes back to the rotated key's row.
    await owner.getByRole("button", { name: "I have saved it" }).click();
    await expect(row.getByRole("link", { name: "rotating-key" })).toBeFocused();

    owner.once("dialog", (d) => void d.accept());
    await row.getByRole("button", { name: "Revoke" }).click();
    await expect(row.getByText("Revoked")).toBeVisible();
    await expect(row.getByRole("button", { name: "Rotate" })).toHaveCount(0);
    await shot(owner, "team-05-key-revoked");
  });

  await ownerContext.close();
  await viewerContext.close();
});
