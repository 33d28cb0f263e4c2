/**
 * Who may change what on an API key, field by field (server-side; the limits editor only mirrors it).
 *
 *  - Name, description, tags, rotate, revoke: whoever manages the key (its creator if a MEMBER,
 *    any ADMIN or OWNER), see operations.ts.
 *  - A limit (caps, rate window, concurrency, expiry, allowed models, weekly reset): anyone who
 *    manages the key may TIGHTEN it. LOOSENING it (raising, clearing, widening, moving the weekly
 *    reset) needs at least the role that last set it: a member cannot lift a cap an admin set on
 *    the member's own key, an admin cannot lift one an owner set. The role that set each limit is
 *    kept in ApiKey.limitsSetByRole; tightening under a higher role keeps that role as the setter,
 *    clearing a limit forgets its setter.
 *  - Reactivating a revoked key needs at least the role that revoked it (ApiKey.revokedByRole).
 *  - Binding the key to a tenant upstream (or unbinding it): ADMIN or OWNER only
 *    (KEY_LIMITS.upstreamId.changeBy).
 * Keys limited or revoked before these columns existed count as set by an ADMIN.
 */
import { z } from "zod";
import type { MemberRole } from "~/generated/prisma/enums";
import { KeysError } from "./errors";
import { KEY_LIMITS, type KeyLimitsColumns, type LimitField } from "./limits";
import { hasRole as atLeast } from "./roles";

/** The role assumed for a limit or revocation recorded before setters were kept. */
export const LEGACY_SETTER_ROLE: MemberRole = "ADMIN";

export type { LimitField };

const memberRoleSchema = z.enum(["OWNER", "ADMIN", "MEMBER", "VIEWER"]);
export const limitSettersSchema = z.record(z.string(), memberRoleSchema).catch({});
export type LimitSetters = Partial<Record<LimitField, MemberRole>>;

type Value = KeyLimitsColumns[LimitField] | bigint | number | null | undefined;

const WEEKLY_RESET_DEFAULTS: Partial<Record<LimitField, number>> = { weeklyResetDay: 1, weeklyResetHour: 0 };

function comparable(v: Value): bigint | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return BigInt(v.getTime());
  if (typeof v === "number" || typeof v === "bigint") return BigInt(v);
  return null;
}

/** True when the field holds no restriction (nothing to protect, so no setter to respect). */
export function isUnlimited(field: LimitField, v: Value): boolean {
  if (field in WEEKLY_RESET_DEFAULTS) return Number(v) === WEEKLY_RESET_DEFAULTS[field];
  if (Array.isArray(v)) return v.length === 0;
  return v === null || v === undefined;
}

/** Does changing `field` from `from` to `to` only restrict the key further? */
export function isTightening(field: LimitField, from: Value, to: Value): boolean {
  if (field === "weeklyResetDay" || field === "weeklyResetHour") return false; // moving the reset can free a cap early
  if (field === "allowedModels") {
    const next = (to as string[] | undefined) ?? [];
    const prev = (from as string[] | undefined) ?? [];
    return next.length > 0 && (prev.length === 0 || next.every((m) => prev.includes(m)));
  }
  const next = comparable(to);
  const prev = comparable(from);
  if (next === null) return false; // clearing a limit
  if (prev === null) return true; // adding one
  // A longer rate window with the same maxima admits less; every other field is a maximum or a deadline.
  return field === "rateWindowMinutes" ? next >= prev : next <= prev;
}

export interface KeyRoleState {
  revokedAt: Date | null;
  revokedByRole: MemberRole | null;
  limitsSetByRole: unknown;
  upstreamId: string | null;
}

export interface KeyChange {
  /** Only the fields whose value changes. */
  limits: Partial<Record<LimitField, { from: Value; to: Value }>>;
  upstreamChanged: boolean;
  /** true: reactivate a revoked key; false: revoke an active one; undefined: no change. */
  activate?: boolean;
}

export interface KeyChangeVerdict {
  limitsSetByRole: LimitSetters;
  revokedByRole?: MemberRole | null;
}

/**
 * Checks `change` against the rules above for an actor who manages the key; throws KeysError FORBIDDEN
 * naming every refused field (nothing is applied then), else returns the new setter columns.
 */
export function authorizeKeyChange(actorRole: MemberRole, key: KeyRoleState, change: KeyChange): KeyChangeVerdict {
  const setters: LimitSetters = limitSettersSchema.parse(key.limitsSetByRole ?? {});
  const refused: string[] = [];
  for (const [field, { from, to }] of Object.entries(change.limits) as [LimitField, { from: Value; to: Value }][]) {
    const setter = setters[field] ?? (isUnlimited(field, from) ? null : LEGACY_SETTER_ROLE);
    const tightening = isTightening(field, from, to);
    if (!tightening && setter && !atLeast(actorRole, setter)) {
      refused.push(field);
      continue;
    }
    if (isUnlimited(field, to)) delete setters[field];
    else setters[field] = setter && tightening && !atLeast(actorRole, setter) ? setter : actorRole;
  }
  if (change.upstreamChanged && !atLeast(actorRole, KEY_LIMITS.upstreamId.changeBy)) refused.push("upstreamId");
  let revokedByRole: MemberRole | null | undefined;
  if (change.activate === true) {
    const revoker = key.revokedByRole ?? LEGACY_SETTER_ROLE;
    if (!atLeast(actorRole, revoker)) refused.push("active");
    else revokedByRole = null;
  } else if (change.activate === false) {
    revokedByRole = actorRole;
  }
  if (refused.length > 0) {
    throw new KeysError("FORBIDDEN", `Your role may tighten these but not loosen or change them: ${refused.join(", ")}`);
  }
  return { limitsSetByRole: setters, ...(revokedByRole !== undefined ? { revokedByRole } : {}) };
}

/** The limit fields a role may only tighten on this key (for the editor). */
export function lockedLimitFields(actorRole: MemberRole, limitsSetByRole: unknown, current: Partial<Record<LimitField, Value>>): LimitField[] {
  const setters: LimitSetters = limitSettersSchema.parse(limitsSetByRole ?? {});
  return (Object.keys(current) as LimitField[]).filter((field) => {
    const setter = setters[field] ?? (isUnlimited(field, current[field]) ? null : LEGACY_SETTER_ROLE);
    return setter !== null && !atLeast(actorRole, setter);
  });
}
