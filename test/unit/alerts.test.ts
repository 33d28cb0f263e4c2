import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { BACKOFF_CAP_MS, backoffMs } from "~/alerts/backoff";
import { generateWebhookSecret, signWebhookBody, verifyWebhookSignature } from "~/alerts/signature";
import { alertAction, alertPeriodId, webhookUrlSchema } from "~/alerts/types";

describe("webhook signature", () => {
  const secret = "whsec_test";
  const body = JSON.stringify({ id: "a1", type: "metergate.alert", spentMicros: 80_000, note: "é ✓" });

  it("is sha256=<hex HMAC-SHA256 of the exact body bytes>", () => {
    const hex = createHmac("sha256", secret).update(Buffer.from(body, "utf8")).digest("hex");
    expect(signWebhookBody(body, secret)).toBe(`sha256=${hex}`);
    expect(signWebhookBody(Buffer.from(body, "utf8"), secret)).toBe(`sha256=${hex}`);
  });

  it("verifies the right signature and rejects tampering, other secrets and malformed headers", () => {
    const sig = signWebhookBody(body, secret);
    expect(verifyWebhookSignature(body, secret, sig)).toBe(true);
    expect(verifyWebhookSignature(body, secret, sig.toUpperCase().replace("SHA256=", "sha256="))).toBe(true);
    expect(verifyWebhookSignature(`${body} `, secret, sig)).toBe(false);
    expect(verifyWebhookSignature(body, "other", sig)).toBe(false);
    expect(verifyWebhookSignature(body, secret, sig.slice(7))).toBe(false);
    expect(verifyWebhookSignature(body, secret, `${sig}00`)).toBe(false);
    expect(verifyWebhookSignature(body, secret, null)).toBe(false);
    expect(verifyWebhookSignature(body, secret, "")).toBe(false);
  });

  it("generates distinct secrets", () => {
    const a = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(generateWebhookSecret()).not.toBe(a);
  });
});

describe("webhook retry backoff", () => {
  it("doubles from 10 s with ±25 % jitter and caps at 1 h", () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(n, () => 0.5))).toEqual([10_000, 20_000, 40_000, 80_000]);
    expect(backoffMs(1, () => 0)).toBe(7_500);
    expect(backoffMs(1, () => 0.999_999)).toBeLessThanOrEqual(12_500);
    expect(backoffMs(9, () => 0.5)).toBe(2_560_000);
    expect(backoffMs(10, () => 0.5)).toBe(BACKOFF_CAP_MS);
    expect(backoffMs(30, () => 0.999)).toBe(BACKOFF_CAP_MS);
    expect(backoffMs(30, () => 0)).toBe(BACKOFF_CAP_MS * 0.75);
  });
});

describe("alert helpers", () => {
  it("accepts only absolute http(s) webhook URLs", () => {
    for (const ok of ["https://hooks.example.com/metergate", "http://127.0.0.1:8080/x?y=1"]) {
      expect(webhookUrlSchema.safeParse(ok).success).toBe(true);
    }
    for (const bad of ["ftp://example.com", "javascript:alert(1)", "file:///etc/passwd", "example.com/x", ""]) {
      expect(webhookUrlSchema.safeParse(bad).success).toBe(false);
    }
  });

  it("names audit actions and periods", () => {
    expect(alertAction("cost_daily", 80)).toBe("alert.cost_80");
    expect(alertAction("cost_total", 100)).toBe("alert.cost_100");
    expect(alertAction("tenant_budget", 100)).toBe("alert.budget_100");
    expect(alertPeriodId("cost_daily", "d20261124", 5)).toBe("d20261124");
    expect(alertPeriodId("cost_total", "all", 5_000_000)).toBe("all@5000000");
  });
});
