/** A tenant's own model prices (PriceOverride rows): read in the shape the pricing module takes, and written (audited). */
import { writeAudit } from "~/audit";
import type { PrismaClient } from "~/generated/prisma/client";
import type { ModelPrice, PriceOverrides } from "~/pricing";
import { db } from "~/infra/db";
import { KeysError } from "./errors";
import { auditActorOf, type Actor } from "./actor";
import { hasRole } from "./roles";

interface OverrideRow {
  model: string;
  input: number;
  output: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
}

export function toPriceOverrides(rows: readonly OverrideRow[]): PriceOverrides {
  const out: Record<string, ModelPrice> = {};
  for (const r of rows) {
    out[r.model] = {
      provider: r.model.startsWith("claude") ? "anthropic" : "openai",
      input: r.input,
      output: r.output,
      cacheWrite5m: r.cacheWrite5m,
      cacheWrite1h: r.cacheWrite1h,
      cacheRead: r.cacheRead,
    };
  }
  return out;
}

export async function loadPriceOverrides(tenantId: string): Promise<PriceOverrides> {
  return toPriceOverrides(await db.priceOverride.findMany({ where: { tenantId } }));
}

export interface OverridePrices {
  input: number;
  output: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
}

type PriceAdmin = Extract<Actor, { kind: "member" }>;

function assertTenantAdmin(actor: PriceAdmin, tenantId: string): void {
  if (actor.tenantId !== tenantId || !hasRole(actor.role, "ADMIN")) throw new KeysError("FORBIDDEN", "You do not have access to this tenant");
}

/** Sets the tenant's price for a model (µ$ per million tokens); applies to requests recorded from now on. */
export async function setPriceOverride(actor: PriceAdmin, tenantId: string, model: string, prices: OverridePrices, client: PrismaClient = db) {
  assertTenantAdmin(actor, tenantId);
  await client.$transaction(async (tx) => {
    await tx.priceOverride.upsert({
      where: { tenantId_model: { tenantId, model } },
      create: { tenantId, model, ...prices },
      update: prices,
    });
    await writeAudit(tx, auditActorOf(actor), { action: "priceOverride.set", tenantId, target: model, details: { ...prices } });
  });
  return { model, ...prices };
}

export async function deletePriceOverride(actor: PriceAdmin, tenantId: string, model: string, client: PrismaClient = db) {
  assertTenantAdmin(actor, tenantId);
  await client.$transaction(async (tx) => {
    const { count } = await tx.priceOverride.deleteMany({ where: { tenantId, model } });
    if (count === 0) throw new KeysError("NOT_FOUND", "No override for this model");
    await writeAudit(tx, auditActorOf(actor), { action: "priceOverride.delete", tenantId, target: model });
  });
  return { model };
}
