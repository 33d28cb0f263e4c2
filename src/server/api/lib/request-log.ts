/**
 * A key's request log (filterable by status, model, time, end user and session), newest first, paged by a keyset cursor (createdAt, id) so a page costs the
 * same at row 10 and at row 1 000 000 (index RequestLog(apiKeyId, createdAt)). Shared by the
 * per-key page (tRPC) and the CSV export, so both show the same rows and the same cost numbers
 * (each row's costMicros as the ledger recorded it).
 */
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { Prisma, PrismaClient } from "~/generated/prisma/client";
import type { CostExplanation } from "~/pricing/request";
import { type RequestLogFilter, type StatusClass } from "~/ledger/request-log-filter";

export { requestLogFilterSchema, STATUS_CLASSES, type RequestLogFilter, type StatusClass } from "~/ledger/request-log-filter";

export const REQUEST_LOG_MAX_PAGE = 200;

export interface RequestLogRow {
  id: string;
  createdAt: Date;
  /** The model billed (the one that served). */
  model: string;
  /** The model the client asked for, when it differs from `model`. */
  requestedModel: string | null;
  endpoint: string;
  stream: boolean;
  status: number;
  inputTokens: number;
  outputTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  cacheReadTokens: number;
  costMicros: number;
  latencyMs: number;
  ttfbMs: number | null;
  estimated: boolean;
  priced: boolean;
  error: string | null;
  /** What the response reported about how it was served. */
  speed: string | null;
  inferenceGeo: string | null;
  serviceTier: string | null;
  webSearchRequests: number;
  webFetchRequests: number;
  reasoningTokens: number;
  /** Why it cost what it did (null: not priced, or recorded before explanations were kept). */
  explanation: CostExplanation | null;
  /** Who sent it and in which session (null: not sent). */
  endUserId: string | null;
  sessionId: string | null;
}

export interface RequestLogPage {
  rows: RequestLogRow[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

function statusWhere(c: StatusClass | undefined): Prisma.RequestLogWhereInput {
  switch (c) {
    case undefined:
      return {};
    case "2xx":
      return { status: { gte: 200, lt: 300 } };
    case "4xx":
      return { status: { gte: 400, lt: 500 } };
    case "5xx":
      return { status: { gte: 500 } };
    case "errors":
      return { status: { gte: 400 } };
    case "refused":
      // Refusals by the gateway itself (recorded as "quota: <reason>", with the status each
      // protocol answers: src/relay/errors.ts), and the refusal statuses of older rows.
      return { OR: [{ error: { startsWith: "quota: " } }, { status: { in: [402, 403, 429] } }] };
  }
}

type RequestLogRecord = Awaited<ReturnType<PrismaClient["requestLog"]["findFirstOrThrow"]>>;

/** One stored row as the portal shows it (the request log's rows and the request detail). */
function toRequestLogRow(r: RequestLogRecord): RequestLogRow {
  return {
    id: r.id,
    createdAt: r.createdAt,
    model: r.model,
    requestedModel: r.requestedModel,
    endpoint: r.endpoint,
    stream: r.stream,
    status: r.status,
    inputTokens: r.inputTokens,
    outputTokens: r.outputTokens,
    cacheWrite5mTokens: r.cacheWrite5mTokens,
    cacheWrite1hTokens: r.cacheWrite1hTokens,
    cacheReadTokens: r.cacheReadTokens,
    costMicros: Number(r.costMicros),
    latencyMs: r.latencyMs,
    ttfbMs: r.ttfbMs,
    estimated: r.usageSource === "ESTIMATED",
    priced: r.priced,
    error: r.error,
    speed: r.speed,
    inferenceGeo: r.inferenceGeo,
    serviceTier: r.serviceTier,
    webSearchRequests: r.webSearchRequests,
    webFetchRequests: r.webFetchRequests,
    reasoningTokens: r.reasoningTokens,
    // Written by the ledger from priceRequest's own output.
    explanation: (r.costExplanation ?? null) as CostExplanation | null,
    endUserId: r.endUserId,
    sessionId: r.sessionId,
  };
}

function encodeCursor(row: { createdAt: Date; id: string }): string {
  return `${row.createdAt.getTime()}_${row.id}`;
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const sep = cursor.indexOf("_");
  const ms = Number(cursor.slice(0, sep));
  const id = cursor.slice(sep + 1);
  if (sep < 1 || !Number.isSafeInteger(ms) || !id) throw new TRPCError({ code: "BAD_REQUEST", message: "Bad cursor" });
  return { createdAt: new Date(ms), id };
}

export async function requestLogPage(
  db: PrismaClient,
  q: { tenantId: string; apiKeyId: string; filter: RequestLogFilter; cursor?: string | null; limit: number },
): Promise<RequestLogPage> {
  const { filter } = q;
  const after = q.cursor ? decodeCursor(q.cursor) : null;
  const where: Prisma.RequestLogWhereInput = {
    tenantId: q.tenantId,
    apiKeyId: q.apiKeyId,
    ...(filter.model ? { model: filter.model } : {}),
    ...(filter.endUserId ? { endUserId: filter.endUserId } : {}),
    ...(filter.sessionId ? { sessionId: filter.sessionId } : {}),
    ...statusWhere(filter.statusClass),
    AND: [
      filter.from || filter.to ? { createdAt: { gte: filter.from, lt: filter.to } } : {},
      after
        ? { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] }
        : {},
    ],
  };
  const found = await db.requestLog.findMany({
    where,
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: q.limit + 1,
  });
  const page = found.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    rows: page.map(toRequestLogRow),
    nextCursor: found.length > q.limit && last ? encodeCursor(last) : null,
  };
}

/** Everything stored about one request: the request log's row plus who sent it and how it went. */
export interface RequestDetail extends RequestLogRow {
  apiKeyId: string;
  apiKeyName: string | null;
  provider: string;
  clientIp: string | null;
  userAgent: string | null;
  /** EVENT_FLAGS: suspicious, orphaned, replayed. */
  flags: string[];
}

/**
 * One request of the tenant by its id (the `x-metergate-request-id` the client got), or null when
 * the tenant has no such request (also when another tenant has it: never tells the two apart).
 */
export async function requestDetail(db: PrismaClient, q: { tenantId: string; requestId: string }): Promise<RequestDetail | null> {
  const row = await db.requestLog.findFirst({ where: { id: q.requestId, tenantId: q.tenantId } });
  if (!row) return null;
  const key = await db.apiKey.findFirst({ where: { id: row.apiKeyId, tenantId: q.tenantId }, select: { name: true } });
  return {
    ...toRequestLogRow(row),
    apiKeyId: row.apiKeyId,
    apiKeyName: key?.name ?? null,
    provider: row.provider,
    clientIp: row.clientIp,
    userAgent: row.userAgent,
    flags: row.flags,
  };
}
