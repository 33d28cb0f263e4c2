/**
 * CSV exports for the portal: a key's request log and usage (a key's or the whole tenant's) per
 * day and model, per end user or per session. Same access rule as the pages (a member of the tenant, any role; keys scoped to the
 * tenant) and the same numbers: request-log rows through requestLogPage, usage through usageRows,
 * cost always the ledger's costMicros (also given as exact dollars). Streamed page by page.
 */
import type { Session } from "next-auth";
import { z } from "zod";
import type { PrismaClient } from "~/generated/prisma/client";
import { usageRows } from "~/ledger";
import { cacheEconomics, cacheEconomicsQuery } from "~/server/api/lib/cache-economics";
import { explanationText } from "~/pricing/explanation-text";
import { loadPriceOverrides } from "~/keys/server";
import { microsToUsd } from "~/server/api/lib/lookup-json";
import { requestLogFilterSchema, requestLogPage } from "~/server/api/lib/request-log";
import { attributionIdSchema, PEOPLE_MAX, tenantPeople, tenantSessions } from "~/server/api/lib/people";
import { dayKey, lastDays, zoneOrUtc } from "~/lib/time";
import { emptyTotals, type UsageTotals } from "~/server/api/lib/usage-report";
import { db as defaultDb } from "~/infra/db";

const PAGE = 1000;

/** RFC 4180 field: quoted when it holds a comma, quote or line break; formula-leading cells defused. */
export function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return "";
  let s = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(values: readonly (string | number | boolean | null | undefined)[]): string {
  return `${values.map(csvField).join(",")}\r\n`;
}

function text(status: number, message: string): Response {
  return new Response(message, { status, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } });
}

/** The export's query string through its schema; the named optional filters count as absent when empty (a form's blank field). */
function parseQuery<S extends z.ZodType>(
  req: Request,
  schema: S,
  blankIsAbsent: readonly string[],
): { success: true; data: z.infer<S> } | { success: false; error: Response } {
  const params: Record<string, string | undefined> = Object.fromEntries(new URL(req.url).searchParams);
  for (const name of blankIsAbsent) params[name] = params[name] || undefined;
  const parsed = schema.safeParse(params);
  if (parsed.success) return { success: true, data: parsed.data };
  return { success: false, error: text(400, `Bad query: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`) };
}

async function tenantOf(db: PrismaClient, session: Session | null, tenantId: string) {
  if (!session?.user.id) return { error: text(401, "Sign in first") };
  const membership = await db.membership.findUnique({
    where: { userId_tenantId: { userId: session.user.id, tenantId } },
    select: { tenant: { select: { id: true, timeZone: true } } },
  });
  if (!membership) return { error: text(403, "You do not have access to this tenant") };
  return { tenant: membership.tenant };
}

function csvResponse(filename: string, lines: AsyncIterable<string>): Response {
  const encoder = new TextEncoder();
  const iterator = lines[Symbol.asyncIterator]();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      await iterator.return?.();
    },
  });
  return new Response(body, {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${filename}"`,
      "cache-control": "no-store",
    },
  });
}

const optionalDate = z
  .string()
  .trim()
  .optional()
  .transform((s, ctx) => {
    if (!s) return undefined;
    const d = new Date(s);
    if (Number.isNaN(d.getTime())) {
      ctx.addIssue({ code: "custom", message: "not a date" });
      return z.NEVER;
    }
    return d;
  });

const requestLogQuerySchema = z.object({
  keyId: z.uuid(),
  statusClass: requestLogFilterSchema.shape.statusClass,
  model: requestLogFilterSchema.shape.model,
  from: optionalDate,
  to: optionalDate,
  endUserId: requestLogFilterSchema.shape.endUserId,
  sessionId: requestLogFilterSchema.shape.sessionId,
});

export const REQUEST_LOG_COLUMNS = [
  "time",
  "request_id",
  "model",
  "endpoint",
  "stream",
  "status",
  "input_tokens",
  "output_tokens",
  "cache_write_5m_tokens",
  "cache_write_1h_tokens",
  "cache_read_tokens",
  "cost_micros",
  "cost_usd",
  "latency_ms",
  "ttfb_ms",
  "estimated",
  "error",
  "requested_model",
  "priced",
  "speed",
  "inference_geo",
  "service_tier",
  "web_search_requests",
  "web_fetch_requests",
  "reasoning_tokens",
  "cost_explanation",
  "end_user_id",
  "session_id",
] as const;

/** GET /api/export/<tenantId>/requests?keyId=&statusClass=&model=&from=&to=&endUserId=&sessionId= */
export async function exportRequestLog(
  req: Request,
  tenantId: string,
  session: Session | null,
  db: PrismaClient = defaultDb,
): Promise<Response> {
  const access = await tenantOf(db, session, tenantId);
  if (access.error) return access.error;
  const parsed = parseQuery(req, requestLogQuerySchema, ["statusClass", "model", "endUserId", "sessionId"]);
  if (!parsed.success) return parsed.error;
  const { keyId, ...filter } = parsed.data;
  const key = await db.apiKey.findFirst({ where: { id: keyId, tenantId: access.tenant.id }, select: { id: true } });
  if (!key) return text(404, "No such key in this tenant");

  async function* lines(): AsyncGenerator<string> {
    yield csvLine(REQUEST_LOG_COLUMNS);
    let cursor: string | null = null;
    do {
      const page = await requestLogPage(db, { tenantId: access.tenant!.id, apiKeyId: keyId, filter, cursor, limit: PAGE });
      for (const r of page.rows) {
        yield csvLine([
          r.createdAt.toISOString(),
          r.id,
          r.model,
          r.endpoint,
          r.stream,
          r.status,
          r.inputTokens,
          r.outputTokens,
          r.cacheWrite5mTokens,
          r.cacheWrite1hTokens,
          r.cacheReadTokens,
          r.costMicros,
          microsToUsd(r.costMicros),
          r.latencyMs,
          r.ttfbMs,
          r.estimated,
          r.error,
          r.requestedModel,
          r.priced,
          r.speed,
          r.inferenceGeo,
          r.serviceTier,
          r.webSearchRequests,
          r.webFetchRequests,
          r.reasoningTokens,
          explanationText(r.explanation),
          r.endUserId,
          r.sessionId,
        ]);
      }
      cursor = page.nextCursor;
    } while (cursor);
  }
  return csvResponse(`requests-${keyId}.csv`, lines());
}

const usageQuerySchema = z.object({
  keyId: z.uuid().optional(),
  days: z.coerce.number().int().min(1).max(366).default(30),
  /** day (default): per day and model; user: per end user; session: per session (UTC days). */
  by: z.enum(["day", "user", "session"]).default("day"),
  /** With by=session: only this end user's sessions, or this one session. */
  endUserId: attributionIdSchema.optional(),
  sessionId: attributionIdSchema.optional(),
});

/** The metric columns every usage export carries (per day and model, per user, per session), in this order after its own columns. */
const METRIC_COLUMNS = [
  "requests",
  "input_tokens",
  "output_tokens",
  "cache_write_5m_tokens",
  "cache_write_1h_tokens",
  "cache_read_tokens",
  "cost_micros",
  "cost_usd",
  "errors",
] as const;
export const PEOPLE_COLUMNS = ["end_user_id", "kind", "keys", "first_seen", "last_seen", ...METRIC_COLUMNS] as const;
export const SESSION_COLUMNS = ["session_id", "end_user_id", "key_id", "key_name", "first_seen", "last_seen", "duration_ms", ...METRIC_COLUMNS] as const;

function metricCells(m: UsageTotals): Array<string | number> {
  return [m.requests, m.inputTokens, m.outputTokens, m.cacheWrite5mTokens, m.cacheWrite1hTokens, m.cacheReadTokens, m.costMicros, microsToUsd(m.costMicros), m.errorCount];
}

export const USAGE_COLUMNS = [
  "day",
  "model",
  ...METRIC_COLUMNS,
  "estimated",
  "cache_hit_rate_bp",
  "cache_read_saved_micros",
  "cache_write_premium_micros",
  "cache_net_micros",
  "unpriced_requests",
] as const;

/** GET /api/export/<tenantId>/usage?days=30[&keyId=] — one row per day (tenant time zone) and model. */
export async function exportUsage(
  req: Request,
  tenantId: string,
  session: Session | null,
  db: PrismaClient = defaultDb,
): Promise<Response> {
  const access = await tenantOf(db, session, tenantId);
  if (access.error) return access.error;
  const parsed = parseQuery(req, usageQuerySchema, ["keyId", "by", "endUserId", "sessionId"]);
  if (!parsed.success) return parsed.error;
  const { keyId, days, by, endUserId, sessionId } = parsed.data;
  if (keyId) {
    const key = await db.apiKey.findFirst({ where: { id: keyId, tenantId: access.tenant.id }, select: { id: true } });
    if (!key) return text(404, "No such key in this tenant");
  }
  if (by !== "day" && days > 90) return text(400, "Bad query: days: at most 90 with by=user or by=session");
  if (by === "user") return exportPeople(access.tenant.id, keyId, days, db);
  if (by === "session") return exportSessions(access.tenant.id, keyId, { endUserId, sessionId }, days, db);
  const timeZone = zoneOrUtc(access.tenant.timeZone);
  const range = lastDays(days, timeZone);
  // One query for both: day rows split where a price changes sum per day like plain day rows.
  const [rows, overrides] = await Promise.all([
    usageRows(cacheEconomicsQuery({ tenantId: access.tenant.id, apiKeyId: keyId }, range, timeZone)),
    loadPriceOverrides(access.tenant.id),
  ]);
  const cache = new Map(cacheEconomics(rows, timeZone, { perKey: false, overrides }).map((c) => [`${c.day}\u0000${c.model}`, c]));
  const cells = new Map<string, UsageTotals & { day: string; model: string }>();
  for (const r of rows) {
    const day = dayKey(r.hourStart, timeZone);
    const k = `${day}\u0000${r.model}`;
    let c = cells.get(k);
    if (!c) cells.set(k, (c = { day, model: r.model, ...emptyTotals() }));
    for (const m of Object.keys(emptyTotals()) as (keyof UsageTotals)[]) c[m] += r[m];
  }
  const sorted = [...cells.values()].sort((a, b) => a.day.localeCompare(b.day) || a.model.localeCompare(b.model));
  async function* lines(): AsyncGenerator<string> {
    yield csvLine(USAGE_COLUMNS);
    for (const c of sorted) {
      const e = cache.get(`${c.day}\u0000${c.model}`);
      yield csvLine([
        c.day,
        c.model,
        ...metricCells(c),
        c.estimatedCount,
        e?.hitRateBp ?? 0,
        e?.savedMicros ?? 0,
        e?.writePremiumMicros ?? 0,
        e?.netMicros ?? 0,
        c.unpricedCount,
      ]);
    }
  }
  return csvResponse(`usage-${keyId ?? tenantId}-${days}d.csv`, lines());
}

/** by=user: the People view as CSV (the same rows: UTC days, per end user, by cost). */
async function exportPeople(tenantId: string, keyId: string | undefined, days: number, db: PrismaClient): Promise<Response> {
  const r = await tenantPeople(db, { tenantId, apiKeyId: keyId, days, limit: PEOPLE_MAX });
  async function* lines(): AsyncGenerator<string> {
    yield csvLine(PEOPLE_COLUMNS);
    for (const p of r.people) {
      yield csvLine([p.endUserId, p.kind, p.keys, p.firstSeenAt.toISOString(), p.lastSeenAt.toISOString(), ...metricCells(p)]);
    }
  }
  return csvResponse(`people-${keyId ?? tenantId}-${days}d.csv`, lines());
}

/** by=session: every session active in the period, most recent first, paged through the same query as the Sessions list. */
async function exportSessions(
  tenantId: string,
  keyId: string | undefined,
  filter: { endUserId?: string; sessionId?: string },
  days: number,
  db: PrismaClient,
): Promise<Response> {
  async function* lines(): AsyncGenerator<string> {
    yield csvLine(SESSION_COLUMNS);
    let cursor: string | null = null;
    do {
      const page = await tenantSessions(db, { tenantId, apiKeyId: keyId, ...filter, days, cursor, limit: PAGE });
      for (const s of page.sessions) {
        yield csvLine([
          s.sessionId, s.endUserId, s.apiKeyId, s.keyName, s.firstSeenAt.toISOString(), s.lastSeenAt.toISOString(), s.durationMs, ...metricCells(s),
        ]);
      }
      cursor = page.nextCursor;
    } while (cursor);
  }
  return csvResponse(`sessions-${keyId ?? tenantId}-${days}d.csv`, lines());
}
