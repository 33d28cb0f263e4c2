import { TRPCError } from "@trpc/server";
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { ApiKeysPanel } from "~/components/dashboard/api-keys-panel";
import { TenantSwitcher } from "~/components/dashboard/tenant-switcher";
import { DEFAULT_PERIOD_DAYS, UsageOverview } from "~/components/dashboard/usage-overview";
import { PageContainer } from "~/components/layout/page-container";
import { MembersPanel } from "~/components/members/members-panel";
import { requireSession } from "~/server/auth/require";
import { hasRole } from "~/server/api/trpc";
import { HydrateClient, prefetch, serverCaller, trpc } from "~/trpc/server";

export const metadata: Metadata = { title: "Tenant dashboard" };
export const dynamic = "force-dynamic";

async function loadTenant(tenantId: string) {
  try {
    return await (await serverCaller()).tenant.get({ tenantId });
  } catch (error) {
    if (error instanceof TRPCError && (error.code === "FORBIDDEN" || error.code === "BAD_REQUEST")) notFound();
    throw error;
  }
}

export default async function TenantDashboardPage({ params }: { params: Promise<{ tenantId: string }> }) {
  const { tenantId } = await params;
  await requireSession(`/dashboard/${tenantId}`);
  const tenant = await loadTenant(tenantId);
  await Promise.all([
    prefetch(trpc.tenant.mine.queryOptions()),
    prefetch(trpc.usage.summary.queryOptions({ tenantId, days: DEFAULT_PERIOD_DAYS })),
    prefetch(trpc.apiKey.list.queryOptions({ tenantId })),
    prefetch(trpc.member.list.queryOptions({ tenantId })),
  ]);

  return (
    <HydrateClient>
      <PageContainer className="space-y-8">
        <div className="flex flex-wrap items-end justify-between gap-4">
          <div>
            <p className="text-sm text-zinc-500 dark:text-zinc-400">Tenant · your role: {tenant.role.toLowerCase()}</p>
            <h1 className="text-2xl font-bold tracking-tight" data-testid="tenant-name">
              {tenant.name}
            </h1>
          </div>
          <TenantSwitcher currentTenantId={tenant.id} />
        </div>
        <UsageOverview tenantId={tenant.id} />
        <ApiKeysPanel tenantId={tenant.id} canCreate={hasRole(tenant.role, "MEMBER")} />
        <MembersPanel tenantId={tenant.id} myRole={tenant.role} />
      </PageContainer>
    </HydrateClient>
  );
}
