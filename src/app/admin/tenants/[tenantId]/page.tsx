import type { Metadata } from "next";
import { AdminTenantDetail, ADMIN_TENANT_DEFAULT_RANGE } from "~/components/admin/admin-tenant-detail";
import { PageContainer } from "~/components/layout/page-container";
import { getT } from "~/i18n/server";
import { requirePlatformAdmin } from "~/server/auth/platform-admin";
import { HydrateClient, prefetch, trpc } from "~/trpc/server";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t("admin.title") };
}
export const dynamic = "force-dynamic";

export default async function AdminTenantPage({ params }: { params: Promise<{ tenantId: string }> }) {
  const { tenantId } = await params;
  await requirePlatformAdmin(`/admin/tenants/${tenantId}`);
  await prefetch(trpc.admin.tenant.queryOptions({ tenantId, range: ADMIN_TENANT_DEFAULT_RANGE }));
  return (
    <HydrateClient>
      <PageContainer className="space-y-6">
        <AdminTenantDetail tenantId={tenantId} />
      </PageContainer>
    </HydrateClient>
  );
}
