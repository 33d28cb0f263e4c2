import type { Metadata } from "next";
import { loadTenantOr404 } from "../load-tenant";
import { PeopleView } from "~/components/people/people-view";
import {
  DEFAULT_SESSION_SORT,
  keyIdCodec,
  PEOPLE_DEFAULT_DAYS,
  peopleDaysCodec,
  personCodec,
  SESSION_SORT_PARAM,
  sessionSortCodec,
  SESSIONS_PAGE_SIZE,
  type PeoplePeriod,
  type SessionSort,
} from "~/components/people/people-params";
import { readParam } from "~/components/url-params";
import { env } from "~/infra/env";
import { PageContainer } from "~/components/layout/page-container";
import { getT } from "~/i18n/server";
import { requireSession } from "~/server/auth/require";
import { HydrateClient, prefetch, trpc } from "~/trpc/server";
import { TenantBreadcrumb } from "~/components/layout/tenant-breadcrumb";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t("people.pageTitle") };
}
export const dynamic = "force-dynamic";

/** Usage by end user and by session, for the tenant or one of its keys (`?key=<API ID>`), over `?days=`; `?person=` narrows the sessions. */
export default async function PeoplePage({
  params,
  searchParams,
}: {
  params: Promise<{ tenantId: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { tenantId } = await params;
  // What the client reads from the URL, so the prefetched queries are the ones it asks for.
  const query = await searchParams;
  const days = readParam<PeoplePeriod>(query.days, peopleDaysCodec, PEOPLE_DEFAULT_DAYS);
  const keyId = readParam<string | undefined>(query.key, keyIdCodec, undefined);
  const person = readParam<string | undefined>(query.person, personCodec, undefined);
  const sessionSort = readParam<SessionSort>(query[SESSION_SORT_PARAM], sessionSortCodec, DEFAULT_SESSION_SORT);
  const back = new URLSearchParams();
  for (const [name, value] of Object.entries({ days: query.days, key: keyId, person, [SESSION_SORT_PARAM]: query[SESSION_SORT_PARAM] })) if (typeof value === "string") back.set(name, value);
  await requireSession(`/dashboard/${tenantId}/people${back.size ? `?${back}` : ""}`);
  const tenant = await loadTenantOr404(tenantId);
  const { t } = await getT();
  await Promise.all([
    prefetch(trpc.apiKey.list.queryOptions({ tenantId })),
    prefetch(trpc.people.list.queryOptions({ tenantId, keyId, days })),
    prefetch(
      trpc.people.sessions.queryOptions({ tenantId, keyId, endUserId: person, days, sort: sessionSort, cursor: null, limit: SESSIONS_PAGE_SIZE }),
    ),
  ]);
  return (
    <HydrateClient>
      <PageContainer className="space-y-6">
        <TenantBreadcrumb tenantId={tenantId} tenantName={tenant.name} label={t("common.breadcrumb")} current={t("people.pageTitle")} />
        <h1 className="text-2xl font-bold tracking-tight">{t("people.pageTitle")}</h1>
        <PeopleView tenantId={tenantId} flushSeconds={Math.max(1, Math.round(env.FLUSH_INTERVAL_MS / 1000))} />
      </PageContainer>
    </HydrateClient>
  );
}
