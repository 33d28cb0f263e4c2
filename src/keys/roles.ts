/** Tenant roles, lowest to highest rights. Shared by the tRPC access rules and the key field rules. */
import type { MemberRole } from "~/generated/prisma/enums";

/** Higher number = more rights. */
export const ROLE_RANK: Readonly<Record<MemberRole, number>> = { VIEWER: 1, MEMBER: 2, ADMIN: 3, OWNER: 4 };

export function hasRole(role: MemberRole, minRole: MemberRole): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[minRole];
}
