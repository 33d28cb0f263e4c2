/**
 * Every surface that shows a cost, read for one key: the dashboard (tRPC usage.overview and
 * usage.cacheEconomics), the public lookup JSON, the usage CSV, the request-log CSV and the
 * request-log detail (tRPC apiKey.requestLog). Tests compare them with what the pricing module says.
 */
import { randomUUID } from "node:crypto";
import type { Session } from "next-auth";
import { lookupKeyUsage } from "~/server/api/lib/key-lookup";
import { toLookupJson } from "~/server/api/lib/lookup-json";
import type { RequestLogRow } from "~/server/api/lib/request-log";
import { createCaller } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";
import { db } from "~/infra/db";
import { exportRequestLog, exportUsage } from "~/server/export/csv";

/** RFC 4180 parser (quoted fields may hold commas, quotes and line breaks): rows of fields. */
export function parseCsvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") row.push(field), (field = "");
    else if (c === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += c;
  }
  return rows;
}

/** The same, as one record per data row keyed by the header. */
export function parseCsv(text: string): Array<Record<string, string>> {
  const [header, ...data] = parseCsvRows(text);
  return data.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i] ?? ""])));
}

export async function ownerSession(tenantId: string): Promise<Session> {
  const owner = await db.user.create({ data: { email: `o-${randomUUID()}@example.com`, passwordHash: "x" } });
  await db.membership.create({ data: { userId: owner.id, tenantId, role: "OWNER" } });
  return { user: { id: owner.id, email: owner.email }, expires: new Date(Date.now() + 3_600_000).toISOString() };
}

export async function costSurfaces(tenantId: string, keyId: string, session: Session) {
  const caller = createCaller(createTRPCContext({ headers: new Headers(), session }));
  const dashboard = await caller.usage.overview({ tenantId, range: { kind: "30d" } });
  const dashboardCache = await caller.usage.cacheEconomics({ tenantId, range: { kind: "30d" } });
  const lookup = toLookupJson(await lookupKeyUsage(keyId));
  const usageCsv = parseCsv(await (await exportUsage(new Request(`http://x/api/export/${tenantId}/usage?days=30&keyId=${keyId}`), tenantId, session)).text());
  const logCsv = parseCsv(
    await (await exportRequestLog(new Request(`http://x/api/export/${tenantId}/requests?keyId=${keyId}`), tenantId, session)).text(),
  );
  const detail: RequestLogRow[] = [];
  let cursor: string | null = null;
  do {
    const page = await caller.apiKey.requestLog({ tenantId, keyId, cursor, limit: 200 });
    detail.push(...page.rows);
    cursor = page.nextCursor;
  } while (cursor);
  const keyUsage = await caller.apiKey.usage({ tenantId, keyId, days: 30 });
  return { dashboard, dashboardCache, lookup, usageCsv, logCsv, detail, keyUsage };
}
