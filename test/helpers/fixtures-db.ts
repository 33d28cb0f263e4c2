/** Creates tenants and keys straight in Postgres for tests. */
import { generateApiKey } from "~/keys";
import { db } from "~/infra/db";

let counter = 0;

export async function createTenantWithKey(name = "t") {
  counter++;
  const slug = `${name}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 6)}`;
  const tenant = await db.tenant.create({ data: { name, slug } });
  const gen = generateApiKey();
  const key = await db.apiKey.create({
    data: { tenantId: tenant.id, name: `${name}-key`, keyHash: gen.keyHash, keyPrefix: gen.keyPrefix },
  });
  return { tenant, key, secret: gen.secret };
}
