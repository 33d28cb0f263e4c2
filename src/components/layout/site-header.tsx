import Link from "next/link";
import { getServerAuthSession } from "~/server/auth";
import { buttonClass } from "../ui/button";
import { SignOutButton } from "./sign-out-button";

export async function SiteHeader() {
  const session = await getServerAuthSession();
  return (
    <header className="border-b border-zinc-200 bg-white/80 backdrop-blur dark:border-zinc-800 dark:bg-zinc-900/80">
      <nav className="mx-auto flex h-14 max-w-6xl items-center justify-between gap-2 px-4 sm:gap-4 sm:px-6" aria-label="Main">
        <Link href="/" className="flex items-center gap-2 font-semibold tracking-tight" aria-label="Metergate home">
          <span aria-hidden className="grid size-7 shrink-0 place-items-center rounded-lg bg-indigo-600 text-xs text-white">
            M
          </span>
          <span className="hidden sm:inline">Metergate</span>
        </Link>
        <div className="flex items-center gap-0.5 whitespace-nowrap text-sm sm:gap-1">
          <Link href="/lookup" className={buttonClass("ghost")}>
            Lookup
          </Link>
          {session ? (
            <>
              <Link href="/dashboard" className={buttonClass("ghost")}>
                Dashboard
              </Link>
              <span className="hidden px-2 text-zinc-500 md:inline dark:text-zinc-400">{session.user.email}</span>
              <SignOutButton />
            </>
          ) : (
            <>
              <Link href="/signin" className={buttonClass("ghost")}>
                Sign in
              </Link>
              <Link href="/signup" className={buttonClass("primary")}>
                Sign up
              </Link>
            </>
          )}
        </div>
      </nav>
    </header>
  );
}
