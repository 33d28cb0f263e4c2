import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { loadTenantOr404 } from "../load-tenant";
import { Suspense } from "react";
import { PageContainer } from "~/components/layout/page-container";
import { getT } from "~/i18n/server";
import { GeneralSettings, WebhookSettings } from "~/components/settings/general-settings";
import { PriceOverrides } from "~/components/settings/price-overrides";
import { UpstreamsPanel } from "~/components/settings/upstreams-panel";
import { hasRole } from "~/server/api/trpc";
import { supportedTimeZones } from "~/lib/time";
import { requireSession } from "~/server/auth/require";
import { HydrateClient, prefetch, trpc } from "~/trpc/server";
import { TenantBreadcrumb } from "~/components/layout/tenant-breadcrumb";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t("settings.pageTitle") };
}
export const dynamic = "force-dynamic";

/** Owners and admins only (the procedures enforce it too). */
export default async function SettingsPage({ params }: { params: Promise<{ tenantId: string }> }) {
  const { tenantId } = await params;
  await requireSession(`/dashboard/${tenantId}/settings`);
  const tenant = await loadTenantOr404(tenantId);
  if (!hasRole(tenant.role, "ADMIN")) notFound();
  const { t } = await getT();
  await Promise.all([
    prefetch(trpc.settings.get.queryOptions({ tenantId })),
    prefetch(trpc.upstream.list.queryOptions({ tenantId })),
  ]);
  const timeZones = [...supportedTimeZones()].sort();
  return (
    <HydrateClient>
      <PageContainer className="space-y-6">
        <div>
          <TenantBreadcrumb tenantId={tenantId} tenantName={tenant.name} label={t("common.breadcrumb")} current={t("settings.title")} />
          <h1 className="mt-1 text-2xl font-bold tracking-tight">{t("settings.title")}</h1>
        </div>
        <Suspense fallback={<p className="text-sm text-zinc-500 dark:text-zinc-400">{t("common.loading")}</p>}>
          <GeneralSettings tenantId={tenantId} timeZones={timeZones} />
          <UpstreamsPanel tenantId={tenantId} />
          <PriceOverrides tenantId={tenantId} />
          <WebhookSettings tenantId={tenantId} />
        </Suspense>
      </PageContainer>
    </HydrateClient>
  );
}
