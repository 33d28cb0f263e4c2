import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { z } from "zod";
import { AuthCard } from "~/components/auth/auth-card";
import { SignInForm } from "~/components/auth/sign-in-form";
import { getT } from "~/i18n/server";
import { safeCallbackPath } from "~/lib/safe-redirect";
import { getServerAuthSession } from "~/server/auth";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t("auth.signIn.title") };
}
export const dynamic = "force-dynamic";

const searchSchema = z.object({
  email: z.string().max(254).optional().catch(undefined),
  registered: z.string().optional().catch(undefined),
  callbackUrl: z.string().max(2000).optional().catch(undefined),
});

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const parsed = searchSchema.parse(await searchParams);
  // Only a path on this site survives (the form checks again before following it).
  const params = { ...parsed, callbackUrl: parsed.callbackUrl ? safeCallbackPath(parsed.callbackUrl, "") || undefined : undefined };
  if (await getServerAuthSession()) redirect("/dashboard");
  const { t } = await getT();
  return (
    <AuthCard
      title={t("auth.signIn.title")}
      subtitle={t("auth.signIn.subtitle")}
      footer={
        <>
          {t("auth.signIn.newHere")}{" "}
          <Link href={params.callbackUrl ? `/signup?callbackUrl=${encodeURIComponent(params.callbackUrl)}` : "/signup"} className="font-semibold text-indigo-700 underline underline-offset-2 dark:text-indigo-300">
            {t("auth.signIn.createAccount")}
          </Link>
        </>
      }
    >
      {params.registered ? (
        <p role="status" className="mb-4 rounded-lg bg-emerald-50 px-3 py-2 text-sm text-emerald-800 dark:bg-emerald-950/60 dark:text-emerald-300">
          {t("auth.signIn.registered")}
        </p>
      ) : null}
      <SignInForm defaultEmail={params.email} callbackUrl={params.callbackUrl} />
    </AuthCard>
  );
}
