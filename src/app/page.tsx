import Link from "next/link";
import { PageContainer } from "~/components/layout/page-container";
import { buttonClass } from "~/components/ui/button";
import { getT } from "~/i18n/server";

const FEATURES = ["relay", "tokens", "lookup"] as const;

export default async function LandingPage() {
  const { t } = await getT();
  return (
    <PageContainer className="flex flex-1 flex-col justify-center">
      <div className="max-w-2xl">
        <p className="text-sm font-semibold text-indigo-600 dark:text-indigo-400">{t("landing.kicker")}</p>
        <h1 className="mt-2 text-4xl font-bold tracking-tight sm:text-5xl">{t("landing.title")}</h1>
        <p className="mt-4 text-lg text-zinc-600 dark:text-zinc-400">{t("landing.lead")}</p>
        <div className="mt-8 flex flex-wrap gap-3">
          <Link href="/signup" className={buttonClass("primary", undefined, "lg")}>
            {t("landing.createAccount")}
          </Link>
          <Link href="/signin" className={buttonClass("secondary", undefined, "lg")}>
            {t("landing.signIn")}
          </Link>
          <Link href="/lookup" className={buttonClass("ghost", undefined, "lg")}>
            {t("landing.lookup")}
          </Link>
        </div>
      </div>
      <ul className="mt-14 grid gap-4 sm:grid-cols-3">
        {FEATURES.map((f) => (
          <li key={f} className="rounded-2xl border border-zinc-200 bg-white p-5 dark:border-zinc-800 dark:bg-zinc-900">
            <h2 className="font-semibold">{t(`landing.feature.${f}.title`)}</h2>
            <p className="mt-1.5 text-sm text-zinc-600 dark:text-zinc-400">{t(`landing.feature.${f}.text`)}</p>
          </li>
        ))}
      </ul>
    </PageContainer>
  );
}
