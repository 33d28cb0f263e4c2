"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import type { ReactNode } from "react";
import { useFormat, useT } from "~/i18n/client";
import type { MessageKey } from "~/i18n";
import { useTRPC } from "~/trpc/react";
import { CopyButton } from "../dashboard/copy-button";
import { CostDetail } from "../keys/request-log";
import { Card, CardHeader } from "../ui/card";
import { cn } from "../ui/cn";
import { readableRequestError, refusedBeforeUpstream } from "./request-error";

function DetailField({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs text-zinc-500 dark:text-zinc-400">{label}</dt>
      <dd className="mt-0.5 break-words text-sm" data-testid={testId}>
        {children}
      </dd>
    </div>
  );
}

const TOKEN_KINDS = [
  ["inputTokens", "request.tokens.input"],
  ["outputTokens", "request.tokens.output"],
  ["cacheWrite5mTokens", "request.tokens.cacheWrite5m"],
  ["cacheWrite1hTokens", "request.tokens.cacheWrite1h"],
  ["cacheReadTokens", "request.tokens.cacheRead"],
  ["reasoningTokens", "request.tokens.reasoning"],
] as const satisfies readonly (readonly [string, MessageKey])[];

/** Everything stored about one request: when (to the second), who, how it went, tokens by kind, why it cost what it did. */
export function RequestDetailView({
  tenantId,
  requestId,
  timeZone,
  flushSeconds,
}: {
  tenantId: string;
  requestId: string;
  timeZone: string;
  flushSeconds: number;
}) {
  const t = useT();
  const f = useFormat();
  const trpc = useTRPC();
  const query = useQuery({
    ...trpc.request.get.queryOptions({ tenantId, requestId }),
    // Not there yet (the flush has not moved it) or not this tenant's: ask again, not three times at once.
    retry: false,
    refetchInterval: (q) => (q.state.status === "error" ? flushSeconds * 1000 : false),
  });
  const r = query.data;
  if (!r) {
    return (
      <Card>
        {query.error?.data?.code === "NOT_FOUND" ? (
          <p className="text-sm text-zinc-700 dark:text-zinc-300" data-testid="request-not-found">
            {t("request.notFound", { id: requestId, seconds: flushSeconds })}
          </p>
        ) : query.error ? (
          <p role="alert" className="text-sm text-red-600">
            {t("request.loadError", { message: query.error.message })}
          </p>
        ) : (
          <p className="text-sm text-zinc-500">{t("common.loading")}</p>
        )}
      </Card>
    );
  }
  const readable = readableRequestError(t, r.error);
  // The gateway's own refusals (src/relay/errors.ts) never reached a provider: no usage to report.
  const refused = refusedBeforeUpstream(r.error);
  const ok = r.status < 400;
  return (
    <div className="space-y-6" data-testid="request-detail">
      <Card>
        <CardHeader title={t("request.pageTitle")} action={<CopyButton text={r.id} label={t("common.copy")} />} />
        <dl className="grid gap-x-6 gap-y-4 sm:grid-cols-2 lg:grid-cols-3">
          <DetailField label={t("request.field.id")} testId="request-id">
            <span className="font-mono text-xs">{r.id}</span>
          </DetailField>
          <DetailField label={t("request.field.time")} testId="request-time">
            <time dateTime={new Date(r.createdAt).toISOString()} className="tabular-nums">
              {f.dateTimeSeconds(r.createdAt)}
            </time>
          </DetailField>
          {timeZone !== "UTC" ? (
            <DetailField label={t("request.field.timeLocal", { timeZone })}>
              <span className="tabular-nums">{f.dateTimeSeconds(r.createdAt, timeZone)}</span>
            </DetailField>
          ) : null}
          <DetailField label={t("request.field.status")} testId="request-status">
            <span
              className={cn(
                "rounded px-1.5 py-0.5 font-medium tabular-nums",
                ok ? "bg-emerald-50 text-emerald-700 dark:bg-emerald-950 dark:text-emerald-300" : "bg-red-50 text-red-700 dark:bg-red-950 dark:text-red-300",
              )}
            >
              {r.status}
            </span>
          </DetailField>
          {r.error ? (
            <DetailField label={t("request.field.error")} testId="request-error">
              {readable}
              {readable !== r.error ? <span className="ml-2 font-mono text-xs text-zinc-500 dark:text-zinc-400">({r.error})</span> : null}
            </DetailField>
          ) : null}
          <DetailField label={t("request.field.key")} testId="request-key">
            <Link
              href={`/dashboard/${tenantId}/keys/${r.apiKeyId}`}
              className="text-indigo-700 underline hover:no-underline dark:text-indigo-300"
            >
              {r.apiKeyName ?? r.apiKeyId}
            </Link>
          </DetailField>
          <DetailField label={t("request.field.endpoint")}>
            <span className="font-mono text-xs">
              {r.endpoint}
              {r.stream ? ` · ${t("requestLog.stream")}` : ""}
            </span>
          </DetailField>
          <DetailField label={t("request.field.model")}>
            <span className="font-mono text-xs">{r.requestedModel ? `${r.requestedModel} → ${r.model}` : r.model}</span>
          </DetailField>
          <DetailField label={t("request.field.provider")}>{r.provider.toLowerCase()}</DetailField>
          <DetailField label={t("request.field.clientIp")} testId="request-client-ip">
            <span className="font-mono text-xs">{r.clientIp ?? t("common.none")}</span>
          </DetailField>
          <DetailField label={t("request.field.userAgent")} testId="request-user-agent">
            <span className="font-mono text-xs">{r.userAgent ?? t("common.none")}</span>
          </DetailField>
          <DetailField label={t("request.field.latency")}>
            <span className="tabular-nums">
              {f.ms(r.latencyMs)} / {r.ttfbMs === null ? t("common.none") : f.ms(r.ttfbMs)}
            </span>
          </DetailField>
          <DetailField label={t("request.field.usageSource")} testId="request-usage-source">
            {t(refused ? "request.usage.refused" : r.estimated ? "request.usage.estimated" : "request.usage.upstream")}
          </DetailField>
          {r.flags.length ? <DetailField label={t("request.field.flags")}>{r.flags.join(", ")}</DetailField> : null}
        </dl>
      </Card>
      {/* minmax(0, 1fr): a column never grows past the page for a long unbroken value (a URL in the cost explanation). */}
      <div className="grid grid-cols-[minmax(0,1fr)] gap-6 lg:grid-cols-5">
        <Card className="lg:col-span-2">
          <CardHeader title={t("request.tokens.title")} />
          <table className="w-full text-sm" data-testid="request-tokens">
            <thead className="text-xs uppercase tracking-wide text-zinc-500 dark:text-zinc-400">
              <tr>
                <th scope="col" className="py-1 text-left font-medium">{t("request.tokens.kind")}</th>
                <th scope="col" className="py-1 text-right font-medium">{t("request.tokens.count")}</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
              {TOKEN_KINDS.map(([field, label]) => (
                <tr key={field}>
                  <th scope="row" className="py-1.5 text-left font-normal">{t(label)}</th>
                  <td className="py-1.5 text-right tabular-nums">{f.count(r[field])}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
        <Card className="lg:col-span-3">
          <CardHeader title={t("request.cost.title")} />
          <CostDetail row={r} refused={refused} />
        </Card>
      </div>
    </div>
  );
}
