/**
 * Teams: an owner invites a viewer by link, the viewer joins and cannot create keys; the owner
 * rotates a key (same API ID, new secret) and revokes it. Screenshots: e2e/screenshots/team-*.
 */
import { createKey, createTenant, shot, signUpAndSignIn, uniqueEmail, expect, test } from "./helpers";

test("invitation, role limits, key rotation and revocation", async ({ browser }) => {
  const ownerContext = await browser.newContext();
  const owner = await ownerContext.newPage();
  const viewerContext = await browser.newContext();
  const viewer = await viewerContext.newPage();

  let dashboardUrl = "";
  let inviteLink = "";
  await test.step("owner creates a tenant and an invitation for a viewer", async () => {
    await signUpAndSignIn(owner, uniqueEmail("owner"));
    dashboardUrl = await createTenant(owner, "Team Tenant");
    await owner.getByLabel("Invite with role").selectOption("VIEWER");
    await owner.getByRole("button", { name: "Create invite link" }).click();
    inviteLink = (await owner.getByTestId("invite-link").textContent())?.trim() ?? "";
    expect(inviteLink).toContain("/invite/");
    await expect(owner.getByText("Pending invitations")).toBeVisible();
    await owner.getByRole("heading", { name: "Members" }).scrollIntoViewIfNeeded();
    await shot(owner, "team-01-invite-created");
  });

  const viewerEmail = uniqueEmail("viewer");
  await test.step("the invitee signs up from the link and joins as viewer", async () => {
    await signUpAndSignIn(viewer, viewerEmail, inviteLink);
    await expect(viewer).toHaveURL(/\/invite\//);
    await shot(viewer, "team-02-accept");
    await viewer.getByRole("button", { name: "Accept invitation" }).click();
    await expect(viewer).toHaveURL(dashboardUrl);
    await expect(viewer.getByText("your role: viewer")).toBeVisible();
    await expect(viewer.getByLabel("New key name")).toHaveCount(0);
    await expect(viewer.getByRole("button", { name: "Create invite link" })).toHaveCount(0);
    await shot(viewer, "team-03-viewer-dashboard");
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
