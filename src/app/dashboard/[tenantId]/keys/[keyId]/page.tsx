import { TRPCError } from "@trpc/server";
import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { Suspense } from "react";
import { KeyHeader } from "~/components/keys/key-header";
import { KeyUsage } from "~/components/keys/key-usage";
import {
  KEY_DEFAULT_DAYS,
  keyDaysCodec,
  REQUEST_LOG_PAGE_SIZE,
  REQUEST_LOG_SORT_PARAM,
  requestLogSortCodec,
  type KeyPeriodDays,
} from "~/components/keys/key-periods";
import { DEFAULT_REQUEST_LOG_SORT, type RequestLogSort } from "~/server/api/lib/request-log";
import { readParam } from "~/components/url-params";
import { env } from "~/infra/env";
import { KeyLimitUse, LimitsEditor } from "~/components/keys/limits-editor";
import { RequestLog } from "~/components/keys/request-log";
import { PageContainer } from "~/components/layout/page-container";
import { getT } from "~/i18n/server";
import { requireSession } from "~/server/auth/require";
import { getQueryClient, Prefetched, prefetch, serverCaller, trpc } from "~/trpc/server";
import { SectionLoading } from "~/components/ui/section-loading";
import { TenantBreadcrumb } from "~/components/layout/tenant-breadcrumb";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t("keys.pageTitle") };
}
export const dynamic = "force-dynamic";

/** The key's tenant, and the key into the request's cache; 404 for a key or tenant the viewer may not see. */
async function loadKey(tenantId: string, keyId: string) {
  try {
    const [tenant] = await Promise.all([
      serverCaller().then((caller) => caller.tenant.get({ tenantId })),
      getQueryClient().fetchQuery(trpc.apiKey.get.queryOptions({ tenantId, keyId })),
    ]);
    return tenant;
  } catch (error) {
    if (error instanceof TRPCError && ["FORBIDDEN", "BAD_REQUEST", "NOT_FOUND"].includes(error.code)) notFound();
    throw error;
  }
}

export default async function KeyPage({
  params,
  searchParams,
}: {
  params: Promise<{ tenantId: string; keyId: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { tenantId, keyId } = await params;
  // The period (?days=30) and the log's order (?logSort=cost), as the client reads them. A
  // request-log filter (?log=) is fetched by the browser: the unfiltered first page is what most visits show.
  const query = await searchParams;
  const days = readParam<KeyPeriodDays>(query.days, keyDaysCodec, KEY_DEFAULT_DAYS);
  const logSort = readParam<RequestLogSort>(query[REQUEST_LOG_SORT_PARAM], requestLogSortCodec, DEFAULT_REQUEST_LOG_SORT);
  await requireSession(`/dashboard/${tenantId}/keys/${keyId}`);
  // The first bytes carry the key, its usage and the first page of its log (quick queries, run
  // side by side), so they are painted before the page's scripts run; current use streams in after.
  // (The log's model filter asks for its model list itself.)
  const usage = trpc.apiKey.usage.queryOptions({ tenantId, keyId, days });
  const log = trpc.apiKey.requestLog.queryOptions({ tenantId, keyId, filter: {}, sort: logSort, cursor: null, limit: REQUEST_LOG_PAGE_SIZE });
  const [tenant, { t }] = await Promise.all([loadKey(tenantId, keyId), getT(), prefetch(usage), prefetch(log)]);
  const loading = (label: string, className: string) => <SectionLoading label={label} loadingText={t("common.loading")} className={className} />;
  return (
    <Prefetched queries={[trpc.apiKey.get.queryOptions({ tenantId, keyId }), usage, log]}>
      <PageContainer className="space-y-6">
        <TenantBreadcrumb tenantId={tenantId} tenantName={tenant.name} label={t("common.breadcrumb")} current={t("keys.title")}>
          {" "}
          ·{" "}
          <Link href={`/dashboard/${tenantId}/people?key=${keyId}`} className="hover:underline" data-testid="key-people-link">
            {t("keys.peopleLink")}
          </Link>
        </TenantBreadcrumb>
        <KeyHeader tenantId={tenantId} keyId={keyId} />
        <Suspense fallback={loading(t("limits.current.title"), "h-40")}>
          <Prefetched queries={[trpc.apiKey.limitUse.queryOptions({ tenantId, keyId })]}>
            <KeyLimitUse tenantId={tenantId} keyId={keyId} />
          </Prefetched>
        </Suspense>
        <LimitsEditor tenantId={tenantId} keyId={keyId} />
        <KeyUsage tenantId={tenantId} keyId={keyId} />
        <RequestLog tenantId={tenantId} keyId={keyId} flushSeconds={Math.max(1, Math.round(env.FLUSH_INTERVAL_MS / 1000))} />
      </PageContainer>
    </Prefetched>
  );
}
