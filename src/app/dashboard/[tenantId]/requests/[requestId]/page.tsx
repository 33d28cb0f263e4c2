import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { loadTenantOr404 } from "../../load-tenant";
import { PageContainer } from "~/components/layout/page-container";
import { RequestDetailView } from "~/components/requests/request-detail";
import { RequestSearch } from "~/components/requests/request-search";
import { env } from "~/infra/env";
import { getT } from "~/i18n/server";
import { requestIdSchema } from "~/server/api/routers/request";
import { requireSession } from "~/server/auth/require";
import { HydrateClient, prefetch, trpc } from "~/trpc/server";
import { TenantBreadcrumb } from "~/components/layout/tenant-breadcrumb";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t("request.pageTitle") };
}
export const dynamic = "force-dynamic";

/** One request by the id the client got in `x-metergate-request-id`. */
export default async function RequestPage({ params }: { params: Promise<{ tenantId: string; requestId: string }> }) {
  const { tenantId, requestId: rawId } = await params;
  await requireSession(`/dashboard/${tenantId}/requests/${rawId}`);
  const tenant = await loadTenantOr404(tenantId);
  const parsed = requestIdSchema.safeParse(rawId.trim());
  if (!parsed.success) notFound();
  const requestId = parsed.data.toLowerCase();
  const { t } = await getT();
  await prefetch(trpc.request.get.queryOptions({ tenantId, requestId }));
  return (
    <HydrateClient>
      <PageContainer className="space-y-6">
        <TenantBreadcrumb tenantId={tenantId} tenantName={tenant.name} label={t("common.breadcrumb")} current={t("request.pageTitle")} />
        <h1 className="text-2xl font-bold tracking-tight [overflow-wrap:anywhere]">{t("request.title", { id: requestId })}</h1>
        <RequestSearch tenantId={tenantId} />
        <RequestDetailView
          tenantId={tenantId}
          requestId={requestId}
          timeZone={tenant.timeZone}
          flushSeconds={Math.max(1, Math.round(env.FLUSH_INTERVAL_MS / 1000))}
        />
      </PageContainer>
    </HydrateClient>
  );
}
