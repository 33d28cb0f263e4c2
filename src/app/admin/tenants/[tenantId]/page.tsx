import type { Metadata } from "next";
import { AdminTenantDetail } from "~/components/admin/admin-tenant-detail";
import { bucketCodec, overviewInput, rangeCodec, readParam } from "~/components/url-params";
import { DEFAULT_RANGE, type RangeInput } from "~/server/api/lib/overview";
import { PageContainer } from "~/components/layout/page-container";
import { getT } from "~/i18n/server";
import { requirePlatformAdmin } from "~/server/auth/platform-admin";
import { HydrateClient, prefetch, trpc } from "~/trpc/server";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t("admin.title") };
}
export const dynamic = "force-dynamic";

export default async function AdminTenantPage({
  params,
  searchParams,
}: {
  params: Promise<{ tenantId: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { tenantId } = await params;
  const query = await searchParams;
  const range = readParam<RangeInput>(query.range, rangeCodec, DEFAULT_RANGE);
  const bucket = readParam<"hour" | "day" | undefined>(query.bucket, bucketCodec, undefined);
  await requirePlatformAdmin(`/admin/tenants/${tenantId}`);
  await prefetch(trpc.admin.tenant.queryOptions(overviewInput(tenantId, range, bucket)));
  return (
    <HydrateClient>
      <PageContainer className="space-y-6">
        <AdminTenantDetail tenantId={tenantId} />
      </PageContainer>
    </HydrateClient>
  );
}
