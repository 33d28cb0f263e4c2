import type { Metadata } from "next";
import { AdminTenants } from "~/components/admin/admin-tenants";
import { adminTenantsInput, readAdminTenantView } from "~/components/admin/admin-params";
import { UnpricedModels } from "~/components/admin/unpriced-models";
import { PageContainer } from "~/components/layout/page-container";
import { getT } from "~/i18n/server";
import { requirePlatformAdmin } from "~/server/auth/platform-admin";
import { HydrateClient, prefetch, trpc } from "~/trpc/server";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t("admin.title") };
}
export const dynamic = "force-dynamic";

export default async function AdminPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  await requirePlatformAdmin("/admin");
  // The range, search, sort and page in the URL, as the client reads them.
  const view = readAdminTenantView(await searchParams);
  const [{ t }] = await Promise.all([
    getT(),
    prefetch(trpc.admin.tenants.queryOptions(adminTenantsInput(view))),
    prefetch(trpc.admin.unpricedModels.queryOptions()),
  ]);
  return (
    <HydrateClient>
      <PageContainer className="space-y-6">
        <div>
          <h1 className="text-2xl font-bold tracking-tight">{t("admin.title")}</h1>
          <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">{t("admin.description")}</p>
        </div>
        <AdminTenants />
        <UnpricedModels />
      </PageContainer>
    </HydrateClient>
  );
}
