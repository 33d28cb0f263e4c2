import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { CreateTenantForm } from "~/components/dashboard/create-tenant-form";
import { PageContainer } from "~/components/layout/page-container";
import { Card, CardHeader } from "~/components/ui/card";
import { getT } from "~/i18n/server";
import { requireSession } from "~/server/auth/require";
import { serverCaller } from "~/trpc/server";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t("page.dashboard") };
}
export const dynamic = "force-dynamic";

/** Opens the caller's first tenant, or asks them to create one (also reached with ?new=1). */
export default async function DashboardPage({ searchParams }: { searchParams: Promise<{ new?: string | string[] }> }) {
  await requireSession("/dashboard");
  const wantsNew = (await searchParams).new !== undefined;
  const tenants = await (await serverCaller()).tenant.mine();
  const first = tenants[0];
  if (first && !wantsNew) redirect(`/dashboard/${first.id}`);
  const { t } = await getT();
  return (
    <PageContainer className="max-w-lg">
      <Card>
        <CardHeader
          title={tenants.length === 0 ? t("tenant.createFirst") : t("tenant.create")}
          description={t("tenant.createHelp")}
        />
        <CreateTenantForm />
      </Card>
    </PageContainer>
  );
}
