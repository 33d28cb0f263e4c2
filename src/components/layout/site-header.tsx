import Link from "next/link";
import { getT } from "~/i18n/server";
import { LanguageSwitcher } from "./language-switcher";
import { serverCaller } from "~/trpc/server";
import { buttonClass } from "../ui/button";
import { HeaderMenu } from "./header-menu";
import { SignOutButton } from "./sign-out-button";

/** A server component: who is signed in comes from the auth.viewer procedure, never the database directly. */
export async function SiteHeader() {
  const [viewer, { t }] = await Promise.all([serverCaller().then((caller) => caller.auth.viewer()), getT()]);
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
          {viewer ? (
            <>
              <Link href="/dashboard" className={buttonClass("ghost")}>
                {t("nav.dashboard")}
              </Link>
              {viewer.isPlatformAdmin ? (
                <Link href="/admin" className={buttonClass("ghost")} data-testid="nav-admin">
                  {t("nav.admin")}
                </Link>
              ) : null}
              <span className="hidden px-2 text-zinc-500 lg:inline dark:text-zinc-400">{viewer.email}</span>
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
