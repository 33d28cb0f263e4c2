/** One expiry rule for the relay, the portal and the lookup: the fixed date or N days after first use, the earlier. */
import { describe, expect, it } from "vitest";
import { isKeyExpired, keyExpiresAt } from "~/keys";

const DAY = 86_400_000;
const t0 = Date.UTC(2026, 10, 1);

describe("key expiry", () => {
  it("no date and no first use: never", () => {
    expect(keyExpiresAt({ expiresAt: null, expiresAfterFirstUseDays: 3, firstUsedAt: null })).toBeNull();
    expect(isKeyExpired({ expiresAt: null, expiresAfterFirstUseDays: null, firstUsedAt: new Date(t0) }, t0 + 1000 * DAY)).toBe(false);
  });

  it("the earlier of the fixed date and first use + N days; expired from that instant on", () => {
    const firstUse = { expiresAfterFirstUseDays: 3, firstUsedAt: new Date(t0) };
    expect(keyExpiresAt({ ...firstUse, expiresAt: new Date(t0 + 10 * DAY) })).toEqual(new Date(t0 + 3 * DAY));
    expect(keyExpiresAt({ ...firstUse, expiresAt: new Date(t0 + DAY) })).toEqual(new Date(t0 + DAY));
    expect(keyExpiresAt({ expiresAt: new Date(t0), expiresAfterFirstUseDays: null, firstUsedAt: null })).toEqual(new Date(t0));
    expect(isKeyExpired({ ...firstUse, expiresAt: null }, t0 + 3 * DAY - 1)).toBe(false);
    expect(isKeyExpired({ ...firstUse, expiresAt: null }, t0 + 3 * DAY)).toBe(true);
  });
});
