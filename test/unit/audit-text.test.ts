/** The audit log in words (src/components/audit/audit-text.ts): dollars, labels, who; never raw JSON. */
import { describe, expect, it } from "vitest";
import { auditActionLabel, auditActorText, auditDetailLines } from "~/components/audit/audit-text";
import { createFormatters, createT } from "~/i18n";

const t = createT("en");
const f = createFormatters("en");

describe("audit entries in words", () => {
  it("key limits: each change by its label, dollars as dollars, null as no limit", () => {
    const details = {
      changes: {
        dailyCostMicros: { from: null, to: "20000000" },
        maxConcurrency: { from: 3, to: 4 },
        allowedModels: { from: [], to: ["claude-*", "gpt-4o"] },
        weeklyResetDay: { from: 1, to: 3 },
        active: { from: true, to: false },
      },
    };
    expect(auditDetailLines("apiKey.limits", details, t, f)).toEqual([
      "Daily cost: no limit → $20.0000",
      "Max requests in flight: 3 → 4",
      "Allowed models: every model → claude-*, gpt-4o",
      "Weekly reset day: Monday → Wednesday",
      "Active: yes → no",
    ]);
    expect(auditActionLabel("apiKey.limits", t)).toBe("Key limits changed");
  });

  it("settings, roles, invitations and alerts read as sentences", () => {
    expect(auditDetailLines("tenant.settings", { changes: { monthlyBudgetMicros: { from: null, to: "1000000000" } } }, t, f)).toEqual([
      "Monthly budget: no limit → $1,000.00",
    ]);
    // Older settings entries wrote "unchanged" for what they did not change.
    expect(auditDetailLines("tenant.settings", { timeZone: "Asia/Shanghai", monthlyBudgetMicros: "unchanged", webhookUrl: "unchanged" }, t, f)).toEqual([
      "Time zone: Asia/Shanghai",
    ]);
    expect(auditDetailLines("member.updateRole", { from: "VIEWER", to: "ADMIN" }, t, f)).toEqual(["Role: Viewer → Admin"]);
    expect(auditDetailLines("invitation.create", { role: "MEMBER", email: "ann@example.com" }, t, f)).toEqual([
      "Role: Member",
      "For email: ann@example.com",
    ]);
    expect(
      auditDetailLines("alert.cost_80", { alertId: "a", scope: "key", kind: "cost_daily", threshold: 80, periodId: "d1", spentMicros: 8_000_000, capMicros: 10_000_000 }, t, f),
    ).toEqual(["Spent $8.0000 of $10.0000 (80%)"]);
    expect(auditDetailLines("apiKey.create", null, t, f)).toEqual([]);
  });

  it("who: the member by name and email, the CLI operator, the flush job", () => {
    expect(auditActorText({ actorId: "u1", actorEmail: "a@example.com", actorName: "Ann", details: null }, t)).toBe("Ann (a@example.com)");
    expect(auditActorText({ actorId: null, actorEmail: null, actorName: null, details: { via: "cli" } }, t)).toBe("Operator (CLI)");
    expect(auditActorText({ actorId: null, actorEmail: null, actorName: null, details: { via: "flush" } }, t)).toBe("System (flush job)");
  });

  it("in 中文 too", () => {
    const zh = createT("zh-CN");
    expect(auditDetailLines("apiKey.limits", { changes: { dailyCostMicros: { from: null, to: 5_000_000 } } }, zh, createFormatters("zh-CN"))).toEqual([
      "每日费用：不限 → $5.0000",
    ]);
  });
});
