/**
 * Every write to keys and tenants: the portal (tRPC) and the operator CLI call these, nothing
 * else writes ApiKey or Tenant rows. Each takes a typed actor, checks what that actor may do,
 * writes its audit entry through src/audit with the same action name whoever calls it, and
 * mirrors revocation, rotation and suspension into Redis (src/ledger/key-state.ts) so relays
 * serving cached keys while Postgres is away refuse them too.
 *
 * Ownership: a MEMBER manages the keys they created, ADMIN and OWNER every key of their tenant;
 * field-level rules on limits are in field-rules.ts. The operator (CLI) acts as an OWNER of every
 * tenant: what it sets or revokes only an owner may loosen or reactivate in the portal.
 */
import { writeAudit } from "~/audit";
import type { Prisma, PrismaClient } from "~/generated/prisma/client";
import { redactUrl } from "~/egress";
import { markKeyActive, markKeyRotated, markTenantSuspended } from "~/ledger/key-state";
import { db as defaultDb } from "~/infra/db";
import { auditActorOf, roleOf, type Actor, type KeyManager } from "./actor";
import { KeysError } from "./errors";
import { authorizeKeyChange, type KeyChange } from "./field-rules";
import { auditValue, type KeyLimitsColumns } from "./limits";
import { hasRole } from "./roles";
import { generateApiKey } from "./secret";

type Db = PrismaClient;

/**
 * The key, if the actor may manage it. NOT_FOUND for a key of another tenant (ids cannot be
 * probed), FORBIDDEN for a colleague's key when the actor is a MEMBER.
 */
async function manageableKey(db: Db, actor: KeyManager, keyId: string) {
  const key = await db.apiKey.findFirst({
    where: actor.kind === "member" ? { id: keyId, tenantId: actor.tenantId } : { id: keyId },
    select: { id: true, tenantId: true, createdById: true, revokedAt: true },
  });
  if (!key) throw new KeysError("NOT_FOUND", actor.kind === "member" ? "No such key in this tenant" : "no such key");
  if (actor.kind === "member" && !hasRole(actor.role, "ADMIN") && key.createdById !== actor.userId) {
    throw new KeysError("FORBIDDEN", "Members can manage only their own keys");
  }
  return key;
}

function tenantOf(actor: KeyManager, tenantId: string): string {
  if (actor.kind === "member" && actor.tenantId !== tenantId) throw new KeysError("FORBIDDEN", "You do not have access to this tenant");
  return tenantId;
}

/** Creates a key. The secret is in this result only; the database keeps its hash. */
export async function createKey(actor: KeyManager, input: { tenantId: string; name: string }, db: Db = defaultDb) {
  const tenantId = tenantOf(actor, input.tenantId);
  const generated = generateApiKey();
  const key = await db.$transaction(async (tx) => {
    const created = await tx.apiKey.create({
      data: {
        tenantId,
        createdById: actor.kind === "member" ? actor.userId : null,
        name: input.name,
        keyHash: generated.keyHash,
        keyPrefix: generated.keyPrefix,
      },
      select: { id: true, name: true, keyPrefix: true, createdAt: true },
    });
    await writeAudit(tx, auditActorOf(actor), { action: "apiKey.create", tenantId, target: created.id });
    return created;
  });
  return { ...key, tenantId, secret: generated.secret };
}

/** Revokes a key for good (idempotent: a retry writes the Redis marker a failed attempt missed). */
export async function revokeKey(actor: KeyManager, keyId: string, db: Db = defaultDb) {
  const key = await manageableKey(db, actor, keyId);
  if (key.revokedAt) {
    await markKeyActive({ apiKeyId: key.id, tenantId: key.tenantId }, false);
    return { id: key.id, tenantId: key.tenantId, revokedAt: key.revokedAt };
  }
  const revoked = await db.$transaction(async (tx) => {
    const row = await tx.apiKey.update({
      where: { id: key.id },
      data: { revokedAt: new Date(), revokedByRole: roleOf(actor) },
      select: { id: true, revokedAt: true },
    });
    await writeAudit(tx, auditActorOf(actor), { action: "apiKey.revoke", tenantId: key.tenantId, target: key.id });
    return row;
  });
  await markKeyActive({ apiKeyId: key.id, tenantId: key.tenantId }, false);
  return { ...revoked, tenantId: key.tenantId };
}

/** Audit details of a change: each changed field with its old and new (JSON-safe) value. */
type Changes = Record<string, { from: unknown; to: unknown }>;

/** Adds `field` to `changes` when its JSON-safe value differs. */
function noteChange(changes: Changes, field: string, from: unknown, to: unknown): void {
  const [a, b] = [auditValue(from), auditValue(to)];
  if (JSON.stringify(a) !== JSON.stringify(b)) changes[field] = { from: a, to: b };
}

const changesDetails = (changes: Changes) => JSON.parse(JSON.stringify({ changes })) as Prisma.InputJsonObject;

/** Renames a key, changes its description or tags. A save that changes nothing writes nothing. */
export async function updateKeyDetails(
  actor: KeyManager,
  keyId: string,
  input: { name?: string; description?: string; tags?: string[] },
  db: Db = defaultDb,
) {
  const key = await manageableKey(db, actor, keyId);
  const select = { id: true, name: true, description: true, tags: true } as const;
  return db.$transaction(async (tx) => {
    const before = await tx.apiKey.findUniqueOrThrow({ where: { id: key.id }, select });
    const data = {
      name: input.name,
      description: input.description === "" ? null : input.description,
      tags: input.tags ? [...new Set(input.tags)] : undefined,
    };
    const changes: Changes = {};
    for (const field of ["name", "description", "tags"] as const) {
      if (data[field] !== undefined) noteChange(changes, field, before[field], data[field]);
    }
    if (Object.keys(changes).length === 0) return before;
    const updated = await tx.apiKey.update({ where: { id: key.id }, data, select });
    await writeAudit(tx, auditActorOf(actor), {
      action: "apiKey.update",
      tenantId: key.tenantId,
      target: key.id,
      details: changesDetails(changes),
    });
    return updated;
  });
}

/**
 * Replaces the key's secret: same API ID, limits and history; the old secret stops working at
 * once (the admission script compares the presented secret's hash with the one marked in Redis).
 */
export async function rotateKey(actor: KeyManager, keyId: string, db: Db = defaultDb) {
  const key = await manageableKey(db, actor, keyId);
  if (key.revokedAt) throw new KeysError("BAD_REQUEST", "A revoked key cannot be rotated");
  const generated = generateApiKey();
  const rotated = await db.$transaction(async (tx) => {
    const row = await tx.apiKey.update({
      where: { id: key.id },
      data: { keyHash: generated.keyHash, keyPrefix: generated.keyPrefix },
      select: { id: true, name: true, keyPrefix: true },
    });
    await writeAudit(tx, auditActorOf(actor), { action: "apiKey.rotate", tenantId: key.tenantId, target: key.id });
    return row;
  });
  await markKeyRotated({ apiKeyId: key.id, tenantId: key.tenantId }, generated.keyHash);
  return { ...rotated, secret: generated.secret };
}

/**
 * Sets limits (absent = unchanged, null = no limit) and, with `active`, revokes (false) or
 * reactivates (true). One audit entry listing each changed field with its old and new value; a
 * save that changes nothing writes neither the key nor an entry.
 */
export async function setKeyLimits(
  actor: KeyManager,
  keyId: string,
  change: { columns: KeyLimitsColumns; active?: boolean },
  db: Db = defaultDb,
) {
  const key = await manageableKey(db, actor, keyId);
  const { columns } = change;
  if (columns.upstreamId) {
    const upstream = await db.upstream.findFirst({ where: { id: columns.upstreamId, tenantId: key.tenantId }, select: { id: true } });
    if (!upstream) throw new KeysError("BAD_REQUEST", "No such upstream in this tenant");
  }
  const before = await db.apiKey.findUniqueOrThrow({ where: { id: key.id } });
  const window = columns.rateWindowMinutes !== undefined ? columns.rateWindowMinutes : before.rateWindowMinutes;
  const rateMaxSet = (["rateMaxRequests", "rateMaxTokens", "rateMaxCostMicros"] as const).some((f) =>
    columns[f] !== undefined ? columns[f] !== null : before[f] !== null,
  );
  if (rateMaxSet && window === null) {
    throw new KeysError("BAD_REQUEST", "Set a rate window (minutes) for the rate limits");
  }
  const revokedAt = change.active === undefined ? undefined : change.active ? null : (before.revokedAt ?? new Date());
  const changes: Changes = {};
  const limitChanges: KeyChange["limits"] = {};
  for (const [field, value] of Object.entries(columns) as [keyof KeyLimitsColumns, KeyLimitsColumns[keyof KeyLimitsColumns]][]) {
    const from = auditValue(before[field]);
    const to = auditValue(value);
    if (JSON.stringify(from) === JSON.stringify(to)) continue;
    changes[field] = { from, to };
    if (field !== "upstreamId") limitChanges[field] = { from: before[field], to: value as never };
  }
  const activeChanged = revokedAt !== undefined && (revokedAt === null) !== (before.revokedAt === null);
  if (activeChanged) changes.active = { from: before.revokedAt === null, to: revokedAt === null };
  // Field-level role rules (field-rules.ts): refuses the whole change if any field is not the actor's to loosen.
  const roles = authorizeKeyChange(roleOf(actor), before, {
    limits: limitChanges,
    upstreamChanged: "upstreamId" in changes,
    activate: activeChanged ? revokedAt === null : undefined,
  });
  if (Object.keys(changes).length > 0) {
    await db.$transaction(async (tx) => {
      await tx.apiKey.update({ where: { id: key.id }, data: { ...columns, revokedAt, ...roles } });
      await writeAudit(tx, auditActorOf(actor), {
        action: "apiKey.limits",
        tenantId: key.tenantId,
        target: key.id,
        details: changesDetails(changes),
      });
    });
  }
  if (revokedAt !== undefined) await markKeyActive({ apiKeyId: key.id, tenantId: key.tenantId }, revokedAt === null);
  return { id: key.id, changed: Object.keys(changes) };
}

/** Reactivates a revoked key (needs at least the role that revoked it). */
export function reactivateKey(actor: KeyManager, keyId: string, db: Db = defaultDb) {
  return setKeyLimits(actor, keyId, { columns: {}, active: true }, db);
}

/** "Acme Corp" → "acme-corp": the readable part of a tenant slug. */
export function slugFromName(name: string): string {
  const base = name
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
  return base || "tenant";
}

/** Creates a tenant; a signed-in creator becomes its OWNER. */
export async function createTenant(actor: Extract<Actor, { kind: "user" | "operator" }>, input: { name: string; slug: string }, db: Db = defaultDb) {
  return db.$transaction(async (tx) => {
    const created = await tx.tenant.create({
      data: {
        name: input.name,
        slug: input.slug,
        ...(actor.kind === "user" ? { memberships: { create: { userId: actor.userId, role: "OWNER" as const } } } : {}),
      },
      select: { id: true, name: true, slug: true },
    });
    await writeAudit(tx, auditActorOf(actor), { action: "tenant.create", tenantId: created.id, target: created.id });
    return created;
  });
}

/** A tenant by id or slug (the CLI's --tenant). */
export async function findTenant(ref: string, db: Db = defaultDb) {
  const tenant = await db.tenant.findFirst({ where: { OR: [{ id: ref }, { slug: ref }] } });
  if (!tenant) throw new KeysError("NOT_FOUND", `no tenant with id or slug "${ref}"`);
  return tenant;
}

export interface TenantSettingsChange {
  timeZone?: string;
  /** null = no budget. */
  monthlyBudgetMicros?: bigint | null;
  webhookUrl?: string | null;
  unpricedModelPolicy?: string | null;
}

/**
 * Time zone, monthly budget, alert webhook URL, unpriced-model policy (absent = unchanged). One
 * audit entry with each changed setting's old and new value; a save that changes nothing writes nothing.
 */
export async function updateTenantSettings(
  actor: Extract<Actor, { kind: "member" | "operator" }>,
  tenantId: string,
  change: TenantSettingsChange,
  db: Db = defaultDb,
) {
  if (actor.kind === "member" && (actor.tenantId !== tenantId || !hasRole(actor.role, "ADMIN"))) {
    throw new KeysError("FORBIDDEN", "You do not have access to this tenant");
  }
  const select = { id: true, timeZone: true, monthlyBudgetMicros: true, webhookUrl: true, unpricedModelPolicy: true } as const;
  return db.$transaction(async (tx) => {
    const before = await tx.tenant.findUniqueOrThrow({ where: { id: tenantId }, select });
    const changes: Changes = {};
    if (change.timeZone !== undefined) noteChange(changes, "timeZone", before.timeZone, change.timeZone);
    if (change.monthlyBudgetMicros !== undefined) noteChange(changes, "monthlyBudgetMicros", before.monthlyBudgetMicros, change.monthlyBudgetMicros);
    if (change.unpricedModelPolicy !== undefined) noteChange(changes, "unpricedModelPolicy", before.unpricedModelPolicy, change.unpricedModelPolicy);
    if (change.webhookUrl !== undefined && change.webhookUrl !== before.webhookUrl) {
      // Query values may be receiver tokens: the audit log keeps only their names.
      const redacted = (url: string | null) => (url === null ? null : redactUrl(url));
      changes.webhookUrl = { from: redacted(before.webhookUrl), to: redacted(change.webhookUrl) };
    }
    if (Object.keys(changes).length === 0) return before;
    const updated = await tx.tenant.update({ where: { id: tenantId }, data: change, select });
    await writeAudit(tx, auditActorOf(actor), {
      action: "tenant.settings",
      tenantId,
      target: tenantId,
      details: changesDetails(changes),
    });
    return updated;
  });
}

/** Stores a new (already encrypted) webhook signing secret. */
export async function setWebhookSecret(actor: Extract<Actor, { kind: "member" }>, tenantId: string, secretEnc: string, db: Db = defaultDb) {
  if (actor.tenantId !== tenantId || !hasRole(actor.role, "ADMIN")) throw new KeysError("FORBIDDEN", "You do not have access to this tenant");
  await db.$transaction(async (tx) => {
    await tx.tenant.update({ where: { id: tenantId }, data: { webhookSecretEnc: secretEnc } });
    await writeAudit(tx, auditActorOf(actor), { action: "tenant.webhookSecret", tenantId, target: tenantId });
  });
}

/**
 * Suspends a tenant (its keys are then refused by the relay) or reinstates it. Audited when the
 * state changes; the Redis marker is written after the commit, every time (idempotent retry).
 */
export async function setTenantSuspended(
  actor: Extract<Actor, { kind: "platformAdmin" | "operator" }>,
  tenantId: string,
  suspended: boolean,
  db: Db = defaultDb,
) {
  const result = await db.$transaction(async (tx) => {
    const tenant = await tx.tenant.findUnique({ where: { id: tenantId }, select: { id: true, suspendedAt: true } });
    if (!tenant) throw new KeysError("NOT_FOUND", "No such tenant");
    const suspendedAt = suspended ? (tenant.suspendedAt ?? new Date()) : null;
    if ((tenant.suspendedAt === null) !== (suspendedAt === null)) {
      await tx.tenant.update({ where: { id: tenant.id }, data: { suspendedAt } });
      await writeAudit(tx, auditActorOf(actor), {
        action: suspended ? "tenant.suspend" : "tenant.unsuspend",
        tenantId: tenant.id,
        target: tenant.id,
        ...(actor.kind === "platformAdmin" ? { details: { byPlatformAdmin: true } } : {}),
      });
    }
    return { id: tenant.id, suspendedAt };
  });
  // After the commit: relays serving cached keys while Postgres is away read it from Redis.
  await markTenantSuspended(result.id, result.suspendedAt !== null);
  return result;
}
