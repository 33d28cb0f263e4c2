import type { Metadata } from "next";
import Link from "next/link";
import { loadTenantOr404 } from "../load-tenant";
import { PEOPLE_DEFAULT_DAYS, PeopleView, SESSIONS_PAGE_SIZE } from "~/components/people/people-view";
import { PageContainer } from "~/components/layout/page-container";
import { getT } from "~/i18n/server";
import { requireSession } from "~/server/auth/require";
import { HydrateClient, prefetch, trpc } from "~/trpc/server";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t("people.pageTitle") };
}
export const dynamic = "force-dynamic";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Usage by end user and by session, for the tenant or one of its keys (`?key=<API ID>`). */
export default async function PeoplePage({
  params,
  searchParams,
}: {
  params: Promise<{ tenantId: string }>;
  searchParams: Promise<{ key?: string | string[] }>;
}) {
  const { tenantId } = await params;
  const rawKey = (await searchParams).key;
  const keyId = typeof rawKey === "string" && UUID.test(rawKey) ? rawKey : undefined;
  await requireSession(`/dashboard/${tenantId}/people${keyId ? `?key=${keyId}` : ""}`);
  const tenant = await loadTenantOr404(tenantId);
  const { t } = await getT();
  await Promise.all([
    prefetch(trpc.apiKey.list.queryOptions({ tenantId })),
    prefetch(trpc.people.list.queryOptions({ tenantId, keyId, days: PEOPLE_DEFAULT_DAYS })),
    prefetch(trpc.people.sessions.queryOptions({ tenantId, keyId, days: PEOPLE_DEFAULT_DAYS, cursor: null, limit: SESSIONS_PAGE_SIZE })),
  ]);
  return (
    <HydrateClient>
      <PageContainer className="space-y-6">
        <nav aria-label={t("common.breadcrumb")} className="text-sm text-zinc-500 dark:text-zinc-400">
          <Link href={`/dashboard/${tenantId}`} className="hover:underline">
            {tenant.name}
          </Link>{" "}
          / <span>{t("people.pageTitle")}</span>
        </nav>
        <h1 className="text-2xl font-bold tracking-tight">{t("people.pageTitle")}</h1>
        <PeopleView tenantId={tenantId} keyId={keyId} />
      </PageContainer>
    </HydrateClient>
  );
}
