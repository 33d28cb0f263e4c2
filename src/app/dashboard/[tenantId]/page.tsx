import type { Metadata } from "next";
import Link from "next/link";
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
import { HydrateClient, prefetch, trpc } from "~/trpc/server";

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
  const tenant = await loadTenantOr404(tenantId);
  const { t } = await getT();
  await Promise.all([
    prefetch(trpc.tenant.mine.queryOptions()),
    prefetch(trpc.usage.overview.queryOptions(overviewInput(tenantId, range, bucket))),
    prefetch(trpc.apiKey.list.queryOptions({ tenantId })),
    prefetch(trpc.member.list.queryOptions({ tenantId })),
  ]);

  return (
    <HydrateClient>
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
        <AlertsBanner tenantId={tenant.id} />
        <RequestSearch tenantId={tenant.id} />
        <UsageOverview tenantId={tenant.id} />
        <ApiKeysPanel tenantId={tenant.id} canCreate={hasRole(tenant.role, "MEMBER")} />
        <MembersPanel tenantId={tenant.id} myRole={tenant.role} />
      </PageContainer>
    </HydrateClient>
  );
}
