/**
 * The audit log in words: an entry's action, actor and details as a reader wants them (dollars,
 * names, limits by their labels, "from → to"), from the JSON the writers store (src/audit). Older
 * entries keep their older shapes (a key's details with every field, settings with "unchanged"),
 * so each shape is read; what no rule knows is shown as "field: value".
 */
import type { Formatters, MessageKey, TFunction } from "~/i18n";
import { KEY_LIMITS, type LimitColumn } from "~/keys/limits";
import { columnCostDecimals } from "~/lib/money";

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

const ACTION_LABELS: Partial<Record<string, MessageKey>> = {
  "apiKey.create": "audit.action.apiKey.create",
  "apiKey.update": "audit.action.apiKey.update",
  "apiKey.rotate": "audit.action.apiKey.rotate",
  "apiKey.revoke": "audit.action.apiKey.revoke",
  "apiKey.limits": "audit.action.apiKey.limits",
  "tenant.create": "audit.action.tenant.create",
  "tenant.settings": "audit.action.tenant.settings",
  "tenant.webhookSecret": "audit.action.tenant.webhookSecret",
  "tenant.suspend": "audit.action.tenant.suspend",
  "tenant.unsuspend": "audit.action.tenant.unsuspend",
  "priceOverride.set": "audit.action.priceOverride.set",
  "priceOverride.delete": "audit.action.priceOverride.delete",
  "upstream.create": "audit.action.upstream.create",
  "upstream.update": "audit.action.upstream.update",
  "upstream.delete": "audit.action.upstream.delete",
  "member.updateRole": "audit.action.member.updateRole",
  "member.remove": "audit.action.member.remove",
  "invitation.create": "audit.action.invitation.create",
  "invitation.copy": "audit.action.invitation.copy",
  "invitation.revoke": "audit.action.invitation.revoke",
  "invitation.accept": "audit.action.invitation.accept",
  "alert.cost_80": "audit.action.alert.cost_80",
  "alert.cost_100": "audit.action.alert.cost_100",
  "alert.budget_80": "audit.action.alert.budget_80",
  "alert.budget_100": "audit.action.alert.budget_100",
};

/** "Key limits changed" for apiKey.limits; the code itself for an action without a label. */
export function auditActionLabel(action: string, t: TFunction): string {
  const key = ACTION_LABELS[action];
  return key ? t(key) : action;
}

/** Who did it: the member's name or email, else the CLI operator or the system job named in details.via. */
export function auditActorText(
  entry: { actorId: string | null; actorEmail: string | null; actorName: string | null; details: unknown },
  t: TFunction,
): string {
  if (entry.actorId) return entry.actorName ? `${entry.actorName} (${entry.actorEmail ?? ""})` : (entry.actorEmail ?? entry.actorId);
  const via = isObject(entry.details) ? entry.details.via : undefined;
  if (via === "cli") return t("audit.actor.cli");
  if (via === "flush") return t("audit.actor.flush");
  return t("audit.system");
}

/** Settings and key fields that are not limits. */
const FIELD_LABELS: Partial<Record<string, MessageKey>> = {
  active: "audit.field.active",
  name: "audit.field.name",
  description: "audit.field.description",
  tags: "audit.field.tags",
  timeZone: "audit.field.timeZone",
  monthlyBudgetMicros: "audit.field.monthlyBudget",
  webhookUrl: "audit.field.webhookUrl",
  unpricedModelPolicy: "audit.field.unpricedModelPolicy",
  role: "audit.field.role",
  email: "audit.field.email",
  expiresAt: "audit.field.expiresAt",
  provider: "audit.field.provider",
  baseUrl: "audit.field.baseUrl",
  models: "audit.field.models",
  priority: "audit.field.priority",
  enabled: "audit.field.enabled",
  credentialReplaced: "audit.field.credentialReplaced",
  input: "audit.field.priceInput",
  output: "audit.field.priceOutput",
  cacheWrite5m: "audit.field.priceCacheWrite5m",
  cacheWrite1h: "audit.field.priceCacheWrite1h",
  cacheRead: "audit.field.priceCacheRead",
};

const PRICE_FIELDS = new Set(["input", "output", "cacheWrite5m", "cacheWrite1h", "cacheRead"]);
const ROLES = new Set(["OWNER", "ADMIN", "MEMBER", "VIEWER"]);

function weekdayName(day: number, locale: string): string {
  // 2023-01-01 was a Sunday (weeklyResetDay 0).
  return new Intl.DateTimeFormat(locale, { weekday: "long", timeZone: "UTC" }).format(new Date(Date.UTC(2023, 0, 1 + day)));
}

/** A field of a key-limits entry that is a limit (other entries' fields of the same name are not). */
function isLimit(action: string, field: string): field is LimitColumn {
  return action === "apiKey.limits" && field in KEY_LIMITS;
}

/** One value in words: dollars for µ$ fields (`digits` decimals), counts grouped, dates in full, roles by name. */
function valueText(action: string, field: string, value: Json | undefined, t: TFunction, f: Formatters, digits?: number): string {
  if (value === null || value === undefined) {
    if (isLimit(action, field) || field === "monthlyBudgetMicros") return t("audit.value.noLimit");
    return t("audit.value.none");
  }
  if (typeof value === "boolean") return value ? t("audit.value.yes") : t("audit.value.no");
  const number = typeof value === "number" ? value : typeof value === "string" && /^\d+$/.test(value) ? Number(value) : null;
  if (isLimit(action, field)) {
    const d = KEY_LIMITS[field];
    if (d.kind === "usd" && number !== null) return f.cost(number, digits);
    if ((d.kind === "count" || d.kind === "bigCount") && number !== null) return f.count(number);
    if (d.kind === "date" && typeof value === "string") return f.dateTime(new Date(value));
    if (d.kind === "models" && Array.isArray(value)) return value.length ? value.join(", ") : t("audit.value.allModels");
    if (d.unit === "weekday" && number !== null) return weekdayName(number, f.locale);
    if (d.unit === "hour" && number !== null) return `${String(number).padStart(2, "0")}:00`;
  }
  if (field === "monthlyBudgetMicros" && number !== null) return f.cost(number, digits);
  if (PRICE_FIELDS.has(field) && action.startsWith("priceOverride.") && number !== null) {
    return t("audit.value.perMillion", { price: f.cost(number) });
  }
  if ((field === "expiresAt" || field.endsWith("At")) && typeof value === "string" && !Number.isNaN(Date.parse(value))) {
    return f.dateTime(new Date(value));
  }
  if (typeof value === "string" && ROLES.has(value) && (field === "role" || field === "from" || field === "to")) {
    return t(`role.${value as "OWNER"}`);
  }
  if (Array.isArray(value)) return value.length ? value.map(String).join(", ") : t("audit.value.none");
  if (typeof value === "number") return f.count(value);
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

function fieldLabel(action: string, field: string, t: TFunction): string {
  if (isLimit(action, field)) return t(KEY_LIMITS[field].label);
  const key = FIELD_LABELS[field];
  return key ? t(key) : field;
}

/** Fields of details that say how, not what (shown elsewhere or not at all). */
const NOT_SHOWN = new Set(["via", "alertId", "periodId", "tenantId"]);

/**
 * The details of an entry as short lines: "Daily cost: No limit → $20.00", "Role: Member",
 * "Spent $8.00 of $10.00 (80%)". Empty when the entry has nothing more to say than its action.
 */
export function auditDetailLines(action: string, details: unknown, t: TFunction, f: Formatters): string[] {
  if (!isObject(details)) return [];
  const value = (field: string, v: Json | undefined, digits?: number) => valueText(action, field, v, t, f, digits);
  if (isObject(details.changes)) {
    return Object.entries(details.changes).flatMap(([field, change]) => {
      if (!isObject(change)) return [];
      // Both sides of a dollar change with the same decimals.
      const amounts = [change.from, change.to].flatMap((v) => (typeof v === "number" || (typeof v === "string" && /^\d+$/.test(v)) ? [Number(v)] : []));
      const digits = columnCostDecimals(amounts);
      return [t("audit.change", { field: fieldLabel(action, field, t), from: value(field, change.from, digits), to: value(field, change.to, digits) })];
    });
  }
  if (action === "member.updateRole" && "from" in details && "to" in details) {
    return [t("audit.change", { field: t("audit.field.role"), from: value("role", details.from), to: value("role", details.to) })];
  }
  if (action.startsWith("alert.") && typeof details.spentMicros === "number" && typeof details.capMicros === "number") {
    const share = details.capMicros > 0 ? f.percent(details.spentMicros / details.capMicros, 0) : "—";
    return [t("audit.alertSpent", { spent: f.cost(details.spentMicros), cap: f.cost(details.capMicros), share })];
  }
  const lines: string[] = [];
  for (const [field, v] of Object.entries(details)) {
    if (NOT_SHOWN.has(field)) continue;
    // Older entries: "unchanged" settings and absent key fields (null) said nothing.
    if (v === "unchanged") continue;
    if (v === null && (action === "apiKey.update" || action === "tenant.settings")) continue;
    if (field === "byPlatformAdmin") {
      if (v === true) lines.push(t("audit.byPlatformAdmin"));
      continue;
    }
    lines.push(t("audit.fieldValue", { field: fieldLabel(action, field, t), value: value(field, v) }));
  }
  return lines;
}
