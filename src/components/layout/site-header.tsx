import Link from "next/link";
import { getT } from "~/i18n/server";
import { LanguageSwitcher } from "~/i18n/switcher";
import { getServerAuthSession } from "~/server/auth";
import { db } from "~/server/db";
import { buttonClass } from "../ui/button";
import { HeaderMenu } from "./header-menu";
import { SignOutButton } from "./sign-out-button";

async function isPlatformAdmin(userId: string): Promise<boolean> {
  const user = await db.user.findUnique({ where: { id: userId }, select: { platformRole: true } });
  return user?.platformRole === "ADMIN";
}

export async function SiteHeader() {
  const [session, { t }] = await Promise.all([getServerAuthSession(), getT()]);
  const admin = session ? await isPlatformAdmin(session.user.id) : false;
  return (
    <header className="relative z-20 border-b border-zinc-200 bg-white/80 backdrop-blur dark:border-zinc-800 dark:bg-zinc-900/80">
      <nav className="mx-auto flex h-14 max-w-6xl items-center justify-between gap-2 px-3 sm:gap-4 sm:px-6" aria-label={t("nav.main")}>
        {/* The accessible name is the visible word (the mark is decoration), on phones too. */}
        <Link href="/" className="flex items-center gap-2 rounded-lg font-semibold tracking-tight focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600" title={t("site.home")}>
          <span aria-hidden className="grid size-7 shrink-0 place-items-center rounded-lg bg-indigo-600 text-xs text-white">
            M
          </span>
          <span className="max-[359px]:sr-only">Metergate</span>
        </Link>
        <HeaderMenu label={t("nav.menu")}>
          <Link href="/lookup" className={buttonClass("ghost")}>
            {t("nav.lookup")}
          </Link>
          {session ? (
            <>
              <Link href="/dashboard" className={buttonClass("ghost")}>
                {t("nav.dashboard")}
              </Link>
              {admin ? (
                <Link href="/admin" className={buttonClass("ghost")} data-testid="nav-admin">
                  {t("nav.admin")}
                </Link>
              ) : null}
              <span className="hidden px-2 text-zinc-500 lg:inline dark:text-zinc-400">{session.user.email}</span>
              <SignOutButton label={t("nav.signOut")} />
            </>
          ) : (
            <>
              <Link href="/signin" className={buttonClass("ghost")}>
                {t("nav.signIn")}
              </Link>
              <Link href="/signup" className={buttonClass("primary")}>
                {t("nav.signUp")}
              </Link>
            </>
          )}
          <LanguageSwitcher className="sm:ml-1" />
        </HeaderMenu>
      </nav>
    </header>
  );
}
