/**
 * Operator CLI. Every command prints JSON on stdout; errors go to stderr with exit code 1.
 * Usage: USAGE below (`npm run cli -- --help` prints it).
 */
import { parseArgs } from "node:util";
import { loadDotEnv } from "./ensure-env";

loadDotEnv();

const { db } = await import("~/infra/db");
const { redis } = await import("~/infra/redis");
const { flushOnce, reconcile, reprice, purgeRequestLogs, listDeadLetters, replayDeadLetters, limitStatus } = await import("~/ledger");
const { LIMIT_COLUMNS, LIMIT_FLAGS, parseKeyLimitArgs } = await import("~/keys");
const keys = await import("~/keys/server");
const { writeAudit } = await import("~/audit");
const { MoneyFormatError, parseUsdToMicros } = await import("~/lib/money");

class UsageError extends Error {}

const USAGE = `Usage:
  npm run cli -- tenant create --name "Acme" [--slug acme]
  npm run cli -- tenant list
  npm run cli -- key create --tenant <id|slug> --name ci-bot
  npm run cli -- key list --tenant <id|slug>
  npm run cli -- key revoke --id <api-id>
  npm run cli -- key limits --id <api-id> [--rate-window-minutes N] [--rate-max-requests N]
       [--rate-max-tokens N] [--rate-max-cost-usd X] [--max-concurrency N] [--daily-usd X]
       [--weekly-usd X] [--monthly-usd X] [--total-usd X] [--total-tokens N] [--weekly-reset-day 0-6]
       [--weekly-reset-hour 0-23] [--expires-at ISO] [--expires-after-first-use-days N]
       [--allowed-models "claude-sonnet-*,gpt-4o"]          (value "none" clears a limit)
  npm run cli -- key status --id <api-id>                   (each limit: use, max, seconds to reset)
  npm run cli -- tenant budget --tenant <id|slug> --monthly-usd X|none [--time-zone Area/City]
  npm run cli -- tenant suspend|unsuspend --tenant <id|slug>
  npm run cli -- user set-admin --email a@b.c [--off]
  npm run cli -- flush
  npm run cli -- reconcile [--from ISO] [--to ISO]          (default: the last 24 hours)
  npm run cli -- reprice [--from ISO] [--to ISO] [--tenant ID] [--dry-run]   (default: all history of every tenant; --dry-run prints the per-model diff)
  npm run cli -- retention [--days N]                       (default: REQUEST_LOG_RETENTION_DAYS)
  npm run cli -- ledger dead-letter list [--all] [--limit N] (quarantined events; --all: replayed too)
  npm run cli -- ledger dead-letter replay --id <id> | --all (re-validate and store, exactly once)
  npm run cli -- webhook-secrets encrypt                    (legacy plaintext webhook secrets → encrypted)
`;

function parseCommandLine() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        help: { type: "boolean", short: "h" },
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
        "time-zone": { type: "string" },
        all: { type: "boolean" },
        limit: { type: "string" },
        ...Object.fromEntries(LIMIT_FLAGS.map((flag) => [flag, { type: "string" as const }])),
      },
    });
  } catch (error) {
    // An unknown or malformed option: say which, then how to call it.
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    process.exit(1);
  }
}

const { positionals, values } = parseCommandLine();
if (values.help || positionals.length === 0 || positionals[0] === "help") {
  process.stdout.write(USAGE);
  process.exit(0);
}

function need(name: string): string {
  const v: unknown = (values as Record<string, unknown>)[name];
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

const cli = keys.OPERATOR;

function usd(text: string, flag: string): bigint {
  try {
    return parseUsdToMicros(text);
  } catch (error) {
    throw error instanceof MoneyFormatError ? new UsageError(`--${flag}: ${error.message}`) : error;
  }
}

async function run(cmd: string): Promise<unknown> {
  switch (cmd) {
    case "tenant create": {
      const name = need("name");
      const tenant = await keys.createTenant(cli, { name, slug: values.slug ?? keys.slugFromName(name) });
      return { id: tenant.id, name: tenant.name, slug: tenant.slug };
    }
    case "tenant list":
      return db.tenant.findMany({ select: { id: true, name: true, slug: true, suspendedAt: true }, orderBy: { createdAt: "asc" } });
    case "key create": {
      const tenant = await keys.findTenant(need("tenant"));
      const key = await keys.createKey(cli, { tenantId: tenant.id, name: need("name") });
      return { id: key.id, key: key.secret };
    }
    case "key list": {
      const tenant = await keys.findTenant(need("tenant"));
      return db.apiKey.findMany({
        where: { tenantId: tenant.id },
        select: { id: true, name: true, keyPrefix: true, createdAt: true, lastUsedAt: true, revokedAt: true },
        orderBy: { createdAt: "asc" },
      });
    }
    case "key revoke": {
      // The operator outranks every tenant role: only an owner may reactivate it in the portal.
      const key = await keys.revokeKey(cli, need("id"));
      return { id: key.id, revokedAt: key.revokedAt };
    }
    case "key limits": {
      const id = need("id");
      const columns = parseKeyLimitArgs(values);
      if (Object.keys(columns).length === 0) throw new UsageError("no limit given; see `key limits` in README");
      // Limits set by the operator count as set by an owner: tenant admins and members may only tighten them.
      await keys.setKeyLimits(cli, id, { columns });
      const key = await db.apiKey.findUniqueOrThrow({ where: { id } });
      return { id: key.id, ...Object.fromEntries(LIMIT_COLUMNS.filter((c) => c in columns).map((c) => [c, key[c]])) };
    }
    case "key status": {
      const limits = await keys.loadKeyLimits(need("id"));
      if (!limits) throw new UsageError("no such key");
      return limitStatus(limits);
    }
    case "tenant budget": {
      const tenant = await keys.findTenant(need("tenant"));
      const monthly = need("monthly-usd");
      const tz = values["time-zone"];
      if (tz !== undefined && !Intl.supportedValuesOf("timeZone").includes(tz) && tz !== "UTC") {
        throw new UsageError(`unknown time zone "${tz}"`);
      }
      const updated = await keys.updateTenantSettings(cli, tenant.id, {
        monthlyBudgetMicros: monthly === "none" ? null : usd(monthly, "monthly-usd"),
        ...(tz ? { timeZone: tz } : {}),
      });
      return { id: updated.id, monthlyBudgetMicros: updated.monthlyBudgetMicros, timeZone: updated.timeZone };
    }
    case "tenant suspend":
    case "tenant unsuspend": {
      const tenant = await keys.findTenant(need("tenant"));
      return keys.setTenantSuspended(cli, tenant.id, cmd === "tenant suspend");
    }
    case "user set-admin": {
      const user = await db.user.update({
        where: { email: need("email").toLowerCase() },
        data: { platformRole: values.off ? "NONE" : "ADMIN" },
      });
      await writeAudit(db, { kind: "cli" }, { action: values.off ? "platform.admin.revoke" : "platform.admin.grant", tenantId: null, target: user.id });
      return { id: user.id, email: user.email, platformRole: user.platformRole };
    }
    case "flush":
      return flushOnce();
    case "reconcile":
      return reconcile(date("from", new Date(Date.now() - 86_400_000)), date("to", new Date()));
    case "reprice":
      if (values.tenant !== undefined && !(await db.tenant.findUnique({ where: { id: values.tenant }, select: { id: true } }))) {
        throw new UsageError("no such tenant");
      }
      // Default: all history kept in the request log (each row at the prices in effect when it was made).
      return reprice(date("from", new Date(0)), date("to", new Date(Date.now() + 3_600_000)), {
        dryRun: values["dry-run"] === true,
        ...(values.tenant === undefined ? {} : { tenantId: values.tenant }),
      });
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
      await writeAudit(db, { kind: "cli" }, {
        action: "ledger.dead_letter.replay",
        tenantId: null,
        target: values.id ?? "all",
        details: { replayed: report.replayed.length, failed: report.failed.length },
      });
      return report;
    }
    case "webhook-secrets encrypt": {
      const { encryptLegacyWebhookSecrets } = await import("~/alerts/secret");
      return { encrypted: await encryptLegacyWebhookSecrets(db) };
    }
    default:
      throw new UsageError(`unknown command "${cmd}". Run npm run cli -- --help for the list.`);
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
