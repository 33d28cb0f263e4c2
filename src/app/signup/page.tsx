import type { Metadata } from "next";
import { safeCallbackPath } from "~/lib/safe-redirect";
import Link from "next/link";
import { redirect } from "next/navigation";
import { z } from "zod";
import { AuthCard } from "~/components/auth/auth-card";
import { SignUpForm } from "~/components/auth/sign-up-form";
import { getT } from "~/i18n/server";
import { getServerAuthSession } from "~/server/auth";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t("nav.signUp") };
}
export const dynamic = "force-dynamic";

const searchSchema = z.object({ callbackUrl: z.string().max(2000).optional().catch(undefined) });

export default async function SignUpPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const raw = searchSchema.parse(await searchParams).callbackUrl;
  const callbackUrl = raw ? safeCallbackPath(raw, "") || undefined : undefined;
  if (await getServerAuthSession()) redirect("/dashboard");
  const { t } = await getT();
  return (
    <AuthCard
      title={t("auth.signUp.title")}
      subtitle={t("auth.signUp.subtitle")}
      footer={
        <>
          {t("auth.signUp.haveAccount")}{" "}
          <Link href={callbackUrl ? `/signin?callbackUrl=${encodeURIComponent(callbackUrl)}` : "/signin"} className="font-semibold text-indigo-700 underline underline-offset-2 dark:text-indigo-300">
            {t("auth.signUp.signIn")}
          </Link>
        </>
      }
    >
      <SignUpForm callbackUrl={callbackUrl} />
    </AuthCard>
  );
}
