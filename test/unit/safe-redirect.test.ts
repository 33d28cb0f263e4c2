/** The post-sign-in target: only paths on this site (the browser journey checks the same tricks end to end). */
import { describe, expect, it } from "vitest";
import { safeCallbackPath } from "~/lib/safe-redirect";

describe("safeCallbackPath", () => {
  it.each([
    "/\\evil.example/pwn",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    "//evil.example/pwn",
    "/\\\\evil.example",
    "\\\\evil.example",
    "https://evil.example/pwn",
    "javascript:alert(document.domain)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "",
  ])("refuses %j", (raw) => {
    expect(safeCallbackPath(raw)).toBe("/dashboard");
  });

  it.each([
    ["/dashboard/t1/keys/abc?x=1#limits", "/dashboard/t1/keys/abc?x=1#limits"],
    ["/invite/tok", "/invite/tok"],
    // Encoded slashes stay encoded: a path segment on this site, not a host.
    ["/%2F%2Fevil.example", "/%2F%2Fevil.example"],
    ["/%5Cevil.example", "/%5Cevil.example"],
  ])("keeps %j", (raw, expected) => {
    expect(safeCallbackPath(raw)).toBe(expected);
  });
});
