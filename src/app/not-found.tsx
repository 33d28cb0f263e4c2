import type { Metadata } from "next";
import Link from "next/link";
import { PageContainer } from "~/components/layout/page-container";
import { buttonClass } from "~/components/ui/button";
import { getT } from "~/i18n/server";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t("notFound.title") };
}

/** Every 404 (unknown paths, pages a caller may not see), in the caller's language. */
export default async function NotFound() {
  const { t } = await getT();
  return (
    <PageContainer className="flex flex-1 flex-col items-start justify-center gap-4">
      <p className="font-mono text-sm text-zinc-600 dark:text-zinc-400">404</p>
      <h1 className="text-2xl font-bold tracking-tight">{t("notFound.title")}</h1>
      <p className="max-w-prose text-sm text-zinc-600 dark:text-zinc-400">{t("notFound.body")}</p>
      <Link href="/" className={buttonClass("secondary")}>
        {t("notFound.home")}
      </Link>
    </PageContainer>
  );
}
