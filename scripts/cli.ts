/**
 * Operator CLI. Every command prints JSON on stdout; errors go to stderr with exit code 1.
 *   npm run cli -- tenant create --name "Acme" [--slug acme]
 *   npm run cli -- tenant list
 *   npm run cli -- key create --tenant <id|slug> --name ci-bot
 *   npm run cli -- key list --tenant <id|slug>
 *   npm run cli -- key revoke --id <api-id>
 *   npm run cli -- user set-admin --email a@b.c [--off]
 *   npm run cli -- flush
 *   npm run cli -- reconcile [--from ISO] [--to ISO]          (default: the last 24 hours)
 *   npm run cli -- reprice --from ISO --to ISO [--dry-run]
 *   npm run cli -- retention [--days N]                       (default: REQUEST_LOG_RETENTION_DAYS)
 */
import { parseArgs } from "node:util";
import { loadDotEnv } from "./ensure-env";

loadDotEnv();

const { db } = await import("~/server/db");
const { redis } = await import("~/server/redis");
const { flushOnce, reconcile, reprice, purgeRequestLogs } = await import("~/ledger");
const { generateApiKey } = await import("~/keys");

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
      const key = await db.apiKey.update({ where: { id: need("id") }, data: { revokedAt: new Date() } });
      await audit(key.tenantId, "key.revoke", key.id);
      return { id: key.id, revokedAt: key.revokedAt };
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
      return reprice(date("from"), date("to"), { dryRun: values["dry-run"] === true });
    case "retention": {
      const days = values.days === undefined ? undefined : Number(values.days);
      if (days !== undefined && !(Number.isInteger(days) && days >= 0)) throw new UsageError("--days must be a whole number ≥ 0");
      return { deleted: await purgeRequestLogs(days) };
    }
    default:
      throw new UsageError(`unknown command "${cmd}". See the header of scripts/cli.ts or README.md.`);
  }
}

let code = 0;
try {
  const single = new Set(["flush", "reconcile", "reprice", "retention"]);
  const cmd = single.has(positionals[0] ?? "") ? positionals[0]! : positionals.slice(0, 2).join(" ");
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
