"use client";

import { useRouter } from "next/navigation";
import { useEffect } from "react";
import { useT } from "~/i18n/client";
import { LOOKUP_REFRESH_MS } from "../live";

/**
 * Re-renders the server-rendered lookup every LOOKUP_REFRESH_MS while the tab is visible, so usage
 * and "resets in" follow new calls without a reload; says so on the page.
 */
export function LiveRefresh() {
  const t = useT();
  const router = useRouter();
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") router.refresh();
    }, LOOKUP_REFRESH_MS);
    return () => clearInterval(timer);
  }, [router]);
  return (
    <p className="text-xs text-zinc-500 dark:text-zinc-400" data-testid="lookup-live">
      {t("live.lookup", { seconds: LOOKUP_REFRESH_MS / 1000 })}
    </p>
  );
}
