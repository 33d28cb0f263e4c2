import type { Metadata } from "next";
import { headers } from "next/headers";
import { LookupForm } from "~/components/lookup/lookup-form";
import { LookupResult } from "~/components/lookup/lookup-result";
import { PageContainer } from "~/components/layout/page-container";
import { FormError } from "~/components/ui/field";
import { apiIdSchema, lookupKeyUsage, type KeyLookup } from "~/server/api/lib/key-lookup";
import { hitLookupLimit } from "~/server/api/lib/rate-limit";
import { clientIpFrom } from "~/server/api/trpc";

export const metadata: Metadata = { title: "Key lookup" };
export const dynamic = "force-dynamic";

type Outcome = { kind: "none" } | { kind: "error"; message: string } | { kind: "found"; lookup: KeyLookup };

async function lookUp(rawId: string | undefined): Promise<Outcome> {
  if (rawId === undefined || rawId.trim() === "") return { kind: "none" };
  const parsed = apiIdSchema.safeParse(rawId.trim());
  if (!parsed.success) return { kind: "error", message: parsed.error.issues[0]?.message ?? "Not an API ID" };
  const limit = await hitLookupLimit(clientIpFrom(await headers()));
  if (!limit.allowed) {
    return { kind: "error", message: `Too many lookups from your address. Try again in ${limit.retryAfterSeconds} s.` };
  }
  return { kind: "found", lookup: await lookupKeyUsage(parsed.data) };
}

export default async function LookupPage({ searchParams }: { searchParams: Promise<{ id?: string | string[] }> }) {
  const id = (await searchParams).id;
  const rawId = Array.isArray(id) ? id[0] : id;
  const outcome = await lookUp(rawId);
  return (
    <PageContainer className="space-y-8">
      <div className="max-w-2xl">
        <h1 className="text-2xl font-bold tracking-tight">Key lookup</h1>
        <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
          Enter a key&apos;s API ID to see its total usage and cost per model. The API ID is public; the secret key is
          never needed here.
        </p>
      </div>
      <LookupForm defaultId={rawId?.trim()} />
      {outcome.kind === "error" ? <FormError message={outcome.message} /> : null}
      {outcome.kind === "found" ? <LookupResult lookup={outcome.lookup} /> : null}
    </PageContainer>
  );
}
