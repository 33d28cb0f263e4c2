import type { Metadata } from "next";
import Link from "next/link";
import { Suspense } from "react";
import { loadTenantOr404 } from "./load-tenant";
import { ApiKeysPanel } from "~/components/dashboard/api-keys-panel";
import { TenantSwitcher } from "~/components/dashboard/tenant-switcher";
import { AlertsBanner } from "~/components/dashboard/alerts-banner";
import { RequestSearch } from "~/components/requests/request-search";
import { UsageOverview } from "~/components/dashboard/usage-overview";
import { bucketCodec, overviewInput, rangeCodec, readParam } from "~/components/url-params";
import { DEFAULT_RANGE, type RangeInput } from "~/server/api/lib/overview";
import { PageContainer } from "~/components/layout/page-container";
import { buttonClass } from "~/components/ui/button";
import { MembersPanel } from "~/components/members/members-panel";
import { getT } from "~/i18n/server";
import { requireSession } from "~/server/auth/require";
import { hasRole } from "~/server/api/trpc";
import { Prefetched, prefetch, trpc } from "~/trpc/server";
import { SectionLoading } from "~/components/ui/section-loading";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t("page.tenantDashboard") };
}
export const dynamic = "force-dynamic";

export default async function TenantDashboardPage({
  params,
  searchParams,
}: {
  params: Promise<{ tenantId: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { tenantId } = await params;
  // The range and bucket in the URL (?range=30d&bucket=hour), as the client will read them.
  const query = await searchParams;
  const range = readParam<RangeInput>(query.range, rangeCodec, DEFAULT_RANGE);
  const bucket = readParam<"hour" | "day" | undefined>(query.bucket, bucketCodec, undefined);
  await requireSession(`/dashboard/${tenantId}`);
  const overview = trpc.usage.overview.queryOptions(overviewInput(tenantId, range, bucket));
  const [tenant, { t }] = await Promise.all([
    loadTenantOr404(tenantId),
    getT(),
    prefetch(trpc.tenant.mine.queryOptions()),
    prefetch(overview),
  ]);

  // The first bytes carry the header and the usage numbers (one quick ledger query), so they are
  // painted before the page's scripts run; the key list and members stream in after, each when its
  // own query is done, and the charts load in the browser last.
  return (
    <Prefetched queries={[trpc.tenant.mine.queryOptions(), overview]}>
      <PageContainer className="space-y-8">
        <div className="flex flex-wrap items-end justify-between gap-4">
          <div>
            <p className="text-sm text-zinc-500 dark:text-zinc-400">{t("tenant.kicker", { role: t(`role.${tenant.role}`) })}</p>
            <h1 className="text-2xl font-bold tracking-tight" data-testid="tenant-name">
              {tenant.name}
            </h1>
          </div>
          <div className="flex flex-wrap items-center gap-2">
            <Link href={`/dashboard/${tenant.id}/people`} className={buttonClass("secondary")} data-testid="people-link">
              {t("tenant.nav.people")}
            </Link>
            {hasRole(tenant.role, "ADMIN") ? (
              <Link href={`/dashboard/${tenant.id}/audit`} className={buttonClass("secondary")} data-testid="audit-link">
                {t("tenant.nav.audit")}
              </Link>
            ) : null}
            {hasRole(tenant.role, "ADMIN") ? (
              <Link href={`/dashboard/${tenant.id}/settings`} className={buttonClass("secondary")}>
                {t("tenant.nav.settings")}
              </Link>
            ) : null}
            <TenantSwitcher currentTenantId={tenant.id} />
          </div>
        </div>
        <Suspense fallback={null}>
          <AlertsBanner tenantId={tenant.id} />
        </Suspense>
        <RequestSearch tenantId={tenant.id} />
        <UsageOverview tenantId={tenant.id} />
        <Suspense fallback={<SectionLoading label={t("keys.title")} loadingText={t("common.loading")} className="h-96" />}>
          <Prefetched queries={[trpc.apiKey.list.queryOptions({ tenantId })]}>
            <ApiKeysPanel tenantId={tenant.id} canCreate={hasRole(tenant.role, "MEMBER")} />
          </Prefetched>
        </Suspense>
        <Suspense fallback={<SectionLoading label={t("members.title")} loadingText={t("common.loading")} className="h-40" />}>
          <Prefetched
            queries={[
              trpc.member.list.queryOptions({ tenantId }),
              // Admins see pending invitations; the browser need not ask for them after loading.
              ...(hasRole(tenant.role, "ADMIN") ? [trpc.invitation.list.queryOptions({ tenantId })] : []),
            ]}
          >
            <MembersPanel tenantId={tenant.id} myRole={tenant.role} />
          </Prefetched>
        </Suspense>
      </PageContainer>
    </Prefetched>
  );
}
