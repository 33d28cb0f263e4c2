import Link from "next/link";
import { getT } from "~/i18n/server";
import { LanguageSwitcher } from "./language-switcher";
import { getServerAuthSession } from "~/server/auth";
import { db } from "~/infra/db";
import { buttonClass } from "../ui/button";
import { SignOutButton } from "./sign-out-button";

async function isPlatformAdmin(userId: string): Promise<boolean> {
  const user = await db.user.findUnique({ where: { id: userId }, select: { platformRole: true } });
  return user?.platformRole === "ADMIN";
}

export async function SiteHeader() {
  const [session, { t }] = await Promise.all([getServerAuthSession(), getT()]);
  const admin = session ? await isPlatformAdmin(session.user.id) : false;
  return (
    <header className="border-b border-zinc-200 bg-white/80 backdrop-blur dark:border-zinc-800 dark:bg-zinc-900/80">
      <nav className="mx-auto flex h-14 max-w-6xl items-center justify-between gap-2 px-3 sm:gap-4 sm:px-6" aria-label={t("nav.main")}>
        <Link href="/" className="flex items-center gap-2 rounded-lg font-semibold tracking-tight focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600" aria-label={t("site.home")}>
          <span aria-hidden className="grid size-7 shrink-0 place-items-center rounded-lg bg-indigo-600 text-xs text-white">
            M
          </span>
          <span className="hidden sm:inline">Metergate</span>
        </Link>
        <div className="flex items-center gap-0.5 whitespace-nowrap text-sm sm:gap-1">
          <Link href="/lookup" className={buttonClass("ghost", "max-sm:px-2")}>
            {t("nav.lookup")}
          </Link>
          {session ? (
            <>
              <Link href="/dashboard" className={buttonClass("ghost", "max-sm:px-2")}>
                {t("nav.dashboard")}
              </Link>
              {admin ? (
                <Link href="/admin" className={buttonClass("ghost", "max-sm:px-2")} data-testid="nav-admin">
                  {t("nav.admin")}
                </Link>
              ) : null}
              <span className="hidden px-2 text-zinc-500 lg:inline dark:text-zinc-400">{session.user.email}</span>
              <SignOutButton label={t("nav.signOut")} className="max-sm:px-2" />
            </>
          ) : (
            <>
              <Link href="/signin" className={buttonClass("ghost", "max-sm:px-2")}>
                {t("nav.signIn")}
              </Link>
              <Link href="/signup" className={buttonClass("primary", "max-sm:px-2")}>
                {t("nav.signUp")}
              </Link>
            </>
          )}
          <LanguageSwitcher className="ml-0.5 max-sm:w-[4.25rem] max-sm:pr-6 sm:ml-1" />
        </div>
      </nav>
    </header>
  );
}
