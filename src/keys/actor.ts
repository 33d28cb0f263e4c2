/** Who acts on keys and tenants, and how that shows in the audit log. */
import type { AuditActor } from "~/audit";
import type { MemberRole } from "~/generated/prisma/enums";

/** Who acts. */
export type Actor =
  /** A member acting in one of their tenants (the portal; the procedure checked the membership). */
  | { kind: "member"; userId: string; tenantId: string; role: MemberRole }
  /** A signed-in user outside any tenant (creating one). */
  | { kind: "user"; userId: string }
  /** A platform administrator (admin pages). */
  | { kind: "platformAdmin"; userId: string }
  /** The operator CLI: every tenant, with an owner's rights. */
  | { kind: "operator" };

export type KeyManager = Extract<Actor, { kind: "member" | "operator" }>;
export const OPERATOR: Extract<Actor, { kind: "operator" }> = { kind: "operator" };

/** The role the actor's changes are recorded under (field rules, revokedByRole). */
export function roleOf(actor: KeyManager): MemberRole {
  return actor.kind === "operator" ? "OWNER" : actor.role;
}

export function auditActorOf(actor: Actor): AuditActor {
  return actor.kind === "operator" ? { kind: "cli" } : { kind: "user", userId: actor.userId };
}

