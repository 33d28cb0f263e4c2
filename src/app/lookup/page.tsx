import type { Metadata } from "next";
import { headers } from "next/headers";
import { LookupForm } from "~/components/lookup/lookup-form";
import { LookupResult } from "~/components/lookup/lookup-result";
import { LiveRefresh } from "~/components/lookup/live-refresh";
import { PageContainer } from "~/components/layout/page-container";
import type { TFunction } from "~/i18n";
import { getT } from "~/i18n/server";
import { FormError } from "~/components/ui/field";
import { apiIdSchema, lookupKeyUsage, type KeyLookup } from "~/server/api/lib/key-lookup";
import { hitLookupLimit } from "~/server/api/lib/rate-limit";
import { clientIpFrom } from "~/net";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t("lookup.title") };
}
export const dynamic = "force-dynamic";

type Outcome = { kind: "none" } | { kind: "error"; message: string } | { kind: "found"; lookup: KeyLookup };

async function lookUp(t: TFunction, rawId: string | undefined): Promise<Outcome> {
  if (rawId === undefined || rawId.trim() === "") return { kind: "none" };
  const parsed = apiIdSchema.safeParse(rawId.trim());
  // apiIdSchema's only check is the UUID format; its (English) message is the dictionary's lookup.invalidId.
  if (!parsed.success) return { kind: "error", message: t("lookup.invalidId") };
  const limit = await hitLookupLimit(clientIpFrom(await headers()));
  if (!limit.allowed) {
    return { kind: "error", message: t("lookup.rateLimited", { seconds: String(limit.retryAfterSeconds) }) };
  }
  return { kind: "found", lookup: await lookupKeyUsage(parsed.data) };
}

type Params = { id?: string | string[]; error?: string | string[]; retry?: string | string[] };

function actionError(t: TFunction, params: Params): Outcome | null {
  const error = Array.isArray(params.error) ? params.error[0] : params.error;
  if (error === "unknown-key") return { kind: "error", message: t("lookup.unknownKey") };
  if (error === "rate") return { kind: "error", message: t("lookup.rateLimited", { seconds: String(Number(params.retry) || 60) }) };
  return null;
}

export default async function LookupPage({ searchParams }: { searchParams: Promise<Params> }) {
  const { t } = await getT();
  const params = await searchParams;
  const id = params.id;
  const rawId = Array.isArray(id) ? id[0] : id;
  const outcome = actionError(t, params) ?? (await lookUp(t, rawId));
  return (
    <PageContainer className="space-y-8">
      <div className="max-w-2xl">
        <h1 className="text-2xl font-bold tracking-tight">{t("lookup.title")}</h1>
        <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
          {t("lookup.lead")}
        </p>
      </div>
      <LookupForm defaultId={rawId?.trim()} />
      {outcome.kind === "error" ? <FormError message={outcome.message} /> : null}
      {outcome.kind === "found" && outcome.lookup.found ? <LiveRefresh /> : null}
      {outcome.kind === "found" ? <LookupResult lookup={outcome.lookup} /> : null}
    </PageContainer>
  );
}
