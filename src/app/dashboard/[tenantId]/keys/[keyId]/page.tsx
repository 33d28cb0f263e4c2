import { TRPCError } from "@trpc/server";
import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { Suspense } from "react";
import { KeyHeader } from "~/components/keys/key-header";
import { KEY_DEFAULT_DAYS, KeyUsage } from "~/components/keys/key-usage";
import { KeyLimitUse, LimitsEditor } from "~/components/keys/limits-editor";
import { REQUEST_LOG_PAGE_SIZE, RequestLog } from "~/components/keys/request-log";
import { PageContainer } from "~/components/layout/page-container";
import { getT } from "~/i18n/server";
import { requireSession } from "~/server/auth/require";
import { HydrateClient, prefetch, serverCaller, trpc } from "~/trpc/server";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t("keys.pageTitle") };
}
export const dynamic = "force-dynamic";

async function loadKey(tenantId: string, keyId: string) {
  try {
    const caller = await serverCaller();
    const tenant = await caller.tenant.get({ tenantId });
    await caller.apiKey.get({ tenantId, keyId });
    return tenant;
  } catch (error) {
    if (error instanceof TRPCError && ["FORBIDDEN", "BAD_REQUEST", "NOT_FOUND"].includes(error.code)) notFound();
    throw error;
  }
}

export default async function KeyPage({ params }: { params: Promise<{ tenantId: string; keyId: string }> }) {
  const { tenantId, keyId } = await params;
  await requireSession(`/dashboard/${tenantId}/keys/${keyId}`);
  const tenant = await loadKey(tenantId, keyId);
  const { t } = await getT();
  // One round of parallel prefetches: the page renders with data, no request waterfall in the browser.
  await Promise.all([
    prefetch(trpc.apiKey.get.queryOptions({ tenantId, keyId })),
    prefetch(trpc.apiKey.limitUse.queryOptions({ tenantId, keyId })),
    prefetch(trpc.apiKey.usage.queryOptions({ tenantId, keyId, days: KEY_DEFAULT_DAYS })),
    prefetch(trpc.apiKey.usage.queryOptions({ tenantId, keyId, days: 90 })),
    prefetch(trpc.apiKey.requestLog.queryOptions({ tenantId, keyId, filter: {}, cursor: null, limit: REQUEST_LOG_PAGE_SIZE })),
  ]);
  return (
    <HydrateClient>
      <PageContainer className="space-y-6">
        <nav aria-label={t("common.breadcrumb")} className="text-sm text-zinc-500 dark:text-zinc-400">
          <Link href={`/dashboard/${tenantId}`} className="hover:underline">
            {tenant.name}
          </Link>{" "}
          / <span>{t("keys.title")}</span>
        </nav>
        <Suspense fallback={<p className="text-sm text-zinc-500 dark:text-zinc-400">{t("common.loading")}</p>}>
          <KeyHeader tenantId={tenantId} keyId={keyId} />
          <KeyLimitUse tenantId={tenantId} keyId={keyId} />
          <LimitsEditor tenantId={tenantId} keyId={keyId} />
          <KeyUsage tenantId={tenantId} keyId={keyId} />
          <RequestLog tenantId={tenantId} keyId={keyId} />
        </Suspense>
      </PageContainer>
    </HydrateClient>
  );
}
