/**
 * Operator CLI. Every command prints JSON on stdout; errors go to stderr with exit code 1.
 *   npm run cli -- tenant create --name "Acme" [--slug acme]
 *   npm run cli -- tenant list
 *   npm run cli -- key create --tenant <id|slug> --name ci-bot
 *   npm run cli -- key list --tenant <id|slug>
 *   npm run cli -- key revoke --id <api-id>
 *   npm run cli -- key limits --id <api-id> [--rate-window-minutes N] [--rate-max-requests N]
 *        [--rate-max-tokens N] [--rate-max-cost-usd X] [--max-concurrency N] [--daily-usd X]
 *        [--weekly-usd X] [--monthly-usd X] [--total-usd X] [--total-tokens N] [--weekly-reset-day 0-6]
 *        [--weekly-reset-hour 0-23] [--expires-at ISO] [--expires-after-first-use-days N]
 *        [--allowed-models "claude-sonnet-*,gpt-4o"]          (value "none" clears a limit)
 *   npm run cli -- key status --id <api-id>                   (each limit: use, max, seconds to reset)
 *   npm run cli -- tenant budget --tenant <id|slug> --monthly-usd X|none [--time-zone Area/City]
 *   npm run cli -- tenant suspend|unsuspend --tenant <id|slug>
 *   npm run cli -- user set-admin --email a@b.c [--off]
 *   npm run cli -- flush
 *   npm run cli -- reconcile [--from ISO] [--to ISO]          (default: the last 24 hours)
 *   npm run cli -- reprice [--from ISO] [--to ISO] [--dry-run]   (default: all history; --dry-run prints the per-model diff)
 *   npm run cli -- retention [--days N]                       (default: REQUEST_LOG_RETENTION_DAYS)
 *   npm run cli -- ledger dead-letter list [--all] [--limit N] (quarantined events; --all: replayed too)
 *   npm run cli -- ledger dead-letter replay --id <id> | --all (re-validate and store, exactly once)
 *   npm run cli -- webhook-secrets encrypt                    (legacy plaintext webhook secrets → encrypted)
 */
import { parseArgs } from "node:util";
import { loadDotEnv } from "./ensure-env";

loadDotEnv();

const { db } = await import("~/infra/db");
const { redis } = await import("~/infra/redis");
const { flushOnce, reconcile, reprice, purgeRequestLogs, listDeadLetters, replayDeadLetters, markKeyActive, markTenantSuspended } = await import("~/ledger");
const { generateApiKey } = await import("~/keys");
const { limitStatus } = await import("~/ledger");
const { loadKeyLimits } = await import("~/server/key-limits");
const { parseKeyLimitArgs, parseUsdToMicros } = await import("./lib/limit-args");
const { limitSettersSchema } = await import("~/server/api/lib/key-field-rules");

class UsageError extends Error {}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    name: { type: "string" },
    slug: { type: "string" },
    tenant: { type: "string" },
    id: { type: "string" },
    email: { type: "string" },
    off: { type: "boolean" },
    from: { type: "string" },
    to: { type: "string" },
    days: { type: "string" },
    "dry-run": { type: "boolean" },
    "rate-window-minutes": { type: "string" },
    "rate-max-requests": { type: "string" },
    "rate-max-tokens": { type: "string" },
    "rate-max-cost-usd": { type: "string" },
    "max-concurrency": { type: "string" },
    "daily-usd": { type: "string" },
    "weekly-usd": { type: "string" },
    "monthly-usd": { type: "string" },
    "total-usd": { type: "string" },
    "total-tokens": { type: "string" },
    "weekly-reset-day": { type: "string" },
    "weekly-reset-hour": { type: "string" },
    "expires-at": { type: "string" },
    "expires-after-first-use-days": { type: "string" },
    "allowed-models": { type: "string" },
    "time-zone": { type: "string" },
    all: { type: "boolean" },
    limit: { type: "string" },
  },
});

function need(name: keyof typeof values): string {
  const v = values[name];
  if (typeof v !== "string" || v === "") throw new UsageError(`missing --${name}`);
  return v;
}

function date(name: "from" | "to", fallback?: Date): Date {
  const v = values[name];
  if (v === undefined) {
    if (fallback) return fallback;
    throw new UsageError(`missing --${name}`);
  }
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new UsageError(`--${name} is not a date: "${v}"`);
  return d;
}

function slugify(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 40) || "tenant";
}

async function findTenant(ref: string) {
  const t = await db.tenant.findFirst({ where: { OR: [{ id: ref }, { slug: ref }] } });
  if (!t) throw new UsageError(`no tenant with id or slug "${ref}"`);
  return t;
}

async function audit(tenantId: string | null, action: string, target: string | null, details?: object) {
  await db.auditLog.create({ data: { tenantId, actorId: null, action, target, details: { via: "cli", ...details } } });
}

async function run(cmd: string): Promise<unknown> {
  switch (cmd) {
    case "tenant create": {
      const name = need("name");
      const tenant = await db.tenant.create({ data: { name, slug: values.slug ?? slugify(name) } });
      await audit(tenant.id, "tenant.create", tenant.id);
      return { id: tenant.id, name: tenant.name, slug: tenant.slug };
    }
    case "tenant list":
      return db.tenant.findMany({ select: { id: true, name: true, slug: true, suspendedAt: true }, orderBy: { createdAt: "asc" } });
    case "key create": {
      const tenant = await findTenant(need("tenant"));
      const gen = generateApiKey();
      const key = await db.apiKey.create({
        data: { tenantId: tenant.id, name: need("name"), keyHash: gen.keyHash, keyPrefix: gen.keyPrefix },
      });
      await audit(tenant.id, "key.create", key.id);
      return { id: key.id, key: gen.secret };
    }
    case "key list": {
      const tenant = await findTenant(need("tenant"));
      return db.apiKey.findMany({
        where: { tenantId: tenant.id },
        select: { id: true, name: true, keyPrefix: true, createdAt: true, lastUsedAt: true, revokedAt: true },
        orderBy: { createdAt: "asc" },
      });
    }
    case "key revoke": {
      // The operator outranks every tenant role: only an owner may reactivate it in the portal.
      const key = await db.apiKey.update({ where: { id: need("id") }, data: { revokedAt: new Date(), revokedByRole: "OWNER" } });
      await markKeyActive({ apiKeyId: key.id, tenantId: key.tenantId }, false);
      await audit(key.tenantId, "key.revoke", key.id);
      return { id: key.id, revokedAt: key.revokedAt };
    }
    case "key limits": {
      const id = need("id");
      const data = parseKeyLimitArgs(values);
      if (Object.keys(data).length === 0) throw new UsageError("no limit given; see `key limits` in README");
      const current = await db.apiKey.findUnique({ where: { id }, select: { limitsSetByRole: true } });
      if (!current) throw new UsageError("no such key");
      // Limits set by the operator count as set by an owner: tenant admins and members may only tighten them.
      const limitsSetByRole = { ...limitSettersSchema.parse(current.limitsSetByRole), ...Object.fromEntries(Object.keys(data).map((f) => [f, "OWNER"])) };
      const key = await db.apiKey.update({ where: { id }, data: { ...data, limitsSetByRole } });
      await audit(key.tenantId, "key.limits", key.id, { changed: Object.keys(data) });
      return { id: key.id, ...Object.fromEntries(Object.keys(data).map((k) => [k, key[k as keyof typeof key]])) };
    }
    case "key status": {
      const limits = await loadKeyLimits(need("id"));
      if (!limits) throw new UsageError("no such key");
      return limitStatus(limits);
    }
    case "tenant budget": {
      const tenant = await findTenant(need("tenant"));
      const monthly = need("monthly-usd");
      const tz = values["time-zone"];
      if (tz !== undefined && !Intl.supportedValuesOf("timeZone").includes(tz) && tz !== "UTC") {
        throw new UsageError(`unknown time zone "${tz}"`);
      }
      const updated = await db.tenant.update({
        where: { id: tenant.id },
        data: { monthlyBudgetMicros: monthly === "none" ? null : parseUsdToMicros(monthly), ...(tz ? { timeZone: tz } : {}) },
      });
      await audit(tenant.id, "tenant.budget", tenant.id, { monthlyBudgetMicros: updated.monthlyBudgetMicros?.toString() ?? null });
      return { id: updated.id, monthlyBudgetMicros: updated.monthlyBudgetMicros, timeZone: updated.timeZone };
    }
    case "tenant suspend":
    case "tenant unsuspend": {
      const tenant = await findTenant(need("tenant"));
      const suspend = cmd === "tenant suspend";
      const updated = await db.tenant.update({ where: { id: tenant.id }, data: { suspendedAt: suspend ? new Date() : null } });
      await markTenantSuspended(tenant.id, suspend);
      await audit(tenant.id, suspend ? "tenant.suspend" : "tenant.unsuspend", tenant.id);
      return { id: updated.id, suspendedAt: updated.suspendedAt };
    }
    case "user set-admin": {
      const user = await db.user.update({
        where: { email: need("email").toLowerCase() },
        data: { platformRole: values.off ? "NONE" : "ADMIN" },
      });
      await audit(null, values.off ? "platform.admin.revoke" : "platform.admin.grant", user.id);
      return { id: user.id, email: user.email, platformRole: user.platformRole };
    }
    case "flush":
      return flushOnce();
    case "reconcile":
      return reconcile(date("from", new Date(Date.now() - 86_400_000)), date("to", new Date()));
    case "reprice":
      // Default: all history kept in the request log (each row at the prices in effect when it was made).
      return reprice(date("from", new Date(0)), date("to", new Date(Date.now() + 3_600_000)), { dryRun: values["dry-run"] === true });
    case "retention": {
      const days = values.days === undefined ? undefined : Number(values.days);
      if (days !== undefined && !(Number.isInteger(days) && days >= 0)) throw new UsageError("--days must be a whole number ≥ 0");
      return { deleted: await purgeRequestLogs(days) };
    }
    case "ledger dead-letter list": {
      const limit = values.limit === undefined ? 100 : Number(values.limit);
      if (!(Number.isInteger(limit) && limit > 0)) throw new UsageError("--limit must be a whole number > 0");
      return listDeadLetters({ includeReplayed: values.all === true, limit });
    }
    case "ledger dead-letter replay": {
      if (values.all === true && values.id !== undefined) throw new UsageError("give either --id or --all");
      const report = await replayDeadLetters(values.all === true ? { all: true } : { id: need("id") });
      await audit(null, "ledger.dead_letter.replay", values.id ?? "all", { replayed: report.replayed.length, failed: report.failed.length });
      return report;
    }
    case "webhook-secrets encrypt": {
      const { encryptLegacyWebhookSecrets } = await import("~/alerts/secret");
      return { encrypted: await encryptLegacyWebhookSecrets(db) };
    }
    default:
      throw new UsageError(`unknown command "${cmd}". See the header of scripts/cli.ts or README.md.`);
  }
}

let code = 0;
try {
  const single = new Set(["flush", "reconcile", "reprice", "retention"]);
  const words = positionals[0] === "ledger" ? 3 : 2;
  const cmd = single.has(positionals[0] ?? "") ? positionals[0]! : positionals.slice(0, words).join(" ");
  const result = await run(cmd);
  process.stdout.write(
    JSON.stringify(result, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2) + "\n",
  );
} catch (err) {
  code = 1;
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
} finally {
  await db.$disconnect();
  redis.disconnect();
}
process.exit(code);
