import Link from "next/link";
import { getT } from "~/i18n/server";
import { LanguageSwitcher } from "./language-switcher";
import { serverCaller } from "~/trpc/server";
import { buttonClass } from "../ui/button";
import { SignOutButton } from "./sign-out-button";

/** A server component: who is signed in comes from the auth.viewer procedure, never the database directly. */
export async function SiteHeader() {
  const [viewer, { t }] = await Promise.all([serverCaller().then((caller) => caller.auth.viewer()), getT()]);
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
          {viewer ? (
            <>
              <Link href="/dashboard" className={buttonClass("ghost", "max-sm:px-2")}>
                {t("nav.dashboard")}
              </Link>
              {viewer.isPlatformAdmin ? (
                <Link href="/admin" className={buttonClass("ghost", "max-sm:px-2")} data-testid="nav-admin">
                  {t("nav.admin")}
                </Link>
              ) : null}
              <span className="hidden px-2 text-zinc-500 lg:inline dark:text-zinc-400">{viewer.email}</span>
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
