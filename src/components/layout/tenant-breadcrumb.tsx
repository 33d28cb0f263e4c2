import Link from "next/link";
import type { ReactNode } from "react";

/**
 * "<tenant> / <this page>" above a tenant's sub-pages (key, request, people, settings): the
 * tenant's name links back to its dashboard. `children` follow the current page's name (the key
 * page's link to its people).
 */
export function TenantBreadcrumb({
  tenantId,
  tenantName,
  label,
  current,
  children,
}: {
  tenantId: string;
  tenantName: string;
  /** The nav's accessible name, in the page's language. */
  label: string;
  current: string;
  children?: ReactNode;
}) {
  return (
    <nav aria-label={label} className="text-sm text-zinc-500 dark:text-zinc-400">
      <Link href={`/dashboard/${tenantId}`} className="hover:underline">
        {tenantName}
      </Link>{" "}
      / <span>{current}</span>
      {children}
    </nav>
  );
}
