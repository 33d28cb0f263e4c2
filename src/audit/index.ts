/**
 * The audit log's one writer. Every AuditLog row is written through `writeAudit` (or built by
 * `auditRow` for a batch), with an action from AUDIT_ACTIONS, so the portal, the CLI, the flush
 * job and alert evaluation name the same event the same way. Imports only Prisma's types: any
 * module may use it, inside its own transaction.
 */
import type { Prisma } from "~/generated/prisma/client";

/** Every audit action. The portal's names are the canonical ones (the CLI writes the same). */
export const AUDIT_ACTIONS = [
  "apiKey.create",
  "apiKey.update",
  "apiKey.rotate",
  "apiKey.revoke",
  "apiKey.limits",
  "tenant.create",
  "tenant.settings",
  "tenant.webhookSecret",
  "tenant.suspend",
  "tenant.unsuspend",
  "priceOverride.set",
  "priceOverride.delete",
  "upstream.create",
  "upstream.update",
  "upstream.delete",
  "member.updateRole",
  "member.remove",
  "invitation.create",
  "invitation.copy",
  "invitation.revoke",
  "invitation.accept",
  "platform.admin.grant",
  "platform.admin.revoke",
  "auth.lockout",
  "ledger.dead_letter",
  "ledger.dead_letter.replay",
  "alert.cost_80",
  "alert.cost_100",
  "alert.budget_80",
  "alert.budget_100",
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/**
 * Who did it. A signed-in user is the row's actorId; anyone else has no actorId and, when it is
 * a command or job, says which in `details.via` ("cli", "flush").
 */
export type AuditActor = { kind: "user"; userId: string } | { kind: "cli" } | { kind: "system"; via?: "flush" };

export interface AuditEntry {
  action: AuditAction;
  /** null: a platform-level entry (platform admins see it). */
  tenantId: string | null;
  target: string | null;
  details?: Prisma.InputJsonObject;
}

/** Anything with the AuditLog delegate: the client or an interactive transaction. */
export interface AuditWriter {
  auditLog: Pick<Prisma.TransactionClient["auditLog"], "create" | "createMany">;
}

/** The row for one entry (for createMany batches; single entries use writeAudit). */
export function auditRow(actor: AuditActor, entry: AuditEntry): Prisma.AuditLogCreateManyInput {
  const via = actor.kind === "cli" ? "cli" : actor.kind === "system" ? actor.via : undefined;
  const details = via ? { via, ...entry.details } : entry.details;
  return {
    tenantId: entry.tenantId,
    actorId: actor.kind === "user" ? actor.userId : null,
    action: entry.action,
    target: entry.target,
    ...(details !== undefined ? { details } : {}),
  };
}

export async function writeAudit(client: AuditWriter, actor: AuditActor, entry: AuditEntry): Promise<void> {
  await client.auditLog.create({ data: auditRow(actor, entry) });
}

export async function writeAudits(client: AuditWriter, actor: AuditActor, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length > 0) await client.auditLog.createMany({ data: entries.map((e) => auditRow(actor, e)) });
}
