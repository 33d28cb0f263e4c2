import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { loadTenantOr404 } from "../load-tenant";
import { z } from "zod";
import { PageContainer } from "~/components/layout/page-container";
import { buttonClass } from "~/components/ui/button";
import { Card, CardHeader } from "~/components/ui/card";
import { cn } from "~/components/ui/cn";
import { inputClass } from "~/components/ui/field";
import { getT } from "~/i18n/server";
import { hasRole } from "~/server/api/trpc";
import { requireSession } from "~/server/auth/require";
import { serverCaller } from "~/trpc/server";
import { TableScroller } from "~/components/ui/table-scroller";
import { auditActionLabel, auditActorText, auditDetailLines } from "~/components/audit/audit-text";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t("audit.title") };
}
export const dynamic = "force-dynamic";

const searchSchema = z.object({
  page: z.coerce.number().int().min(1).max(100_000).catch(1),
  action: z.string().trim().min(1).max(100).optional().catch(undefined),
});

/** The tenant's audit log, owners and admins only: others get a 404 (checked here and in audit.list). */
export default async function AuditPage({
  params,
  searchParams,
}: {
  params: Promise<{ tenantId: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { tenantId } = await params;
  await requireSession(`/dashboard/${tenantId}/audit`);
  const query = searchSchema.parse(await searchParams);
  const caller = await serverCaller();
  const tenant = await loadTenantOr404(tenantId);
  if (!hasRole(tenant.role, "ADMIN")) notFound();
  const [log, { t, f }] = await Promise.all([caller.audit.list({ tenantId, page: query.page, action: query.action }), getT()]);
  const pageHref = (page: number) => {
    const sp = new URLSearchParams({ page: String(page) });
    if (query.action) sp.set("action", query.action);
    return `/dashboard/${tenantId}/audit?${sp.toString()}`;
  };
  const th = "px-3 py-2 text-left font-medium";
  const td = "px-3 py-2.5 align-top";

  return (
    <PageContainer className="space-y-6">
      <div>
        <Link href={`/dashboard/${tenantId}`} className="text-sm text-indigo-700 hover:underline dark:text-indigo-300">
          ← {tenant.name}
        </Link>
        <h1 className="mt-1 text-2xl font-bold tracking-tight">{t("audit.title")}</h1>
      </div>
      <Card>
        <CardHeader
          title={tenant.name}
          description={t("audit.description")}
          action={
            <form method="get" className="flex items-end gap-2">
              <label className="text-xs font-medium text-zinc-600 dark:text-zinc-300">
                {t("audit.filterAction")}
                <select name="action" defaultValue={query.action ?? ""} className={cn(inputClass, "mt-1 w-48 dark:[color-scheme:dark]")}>
                  <option value="">{t("audit.allActions")}</option>
                  {log.actions.map((a) => (
                    <option key={a} value={a}>
                      {auditActionLabel(a, t)}
                    </option>
                  ))}
                </select>
              </label>
              <button type="submit" className={buttonClass("secondary")}>
                {t("usage.range.apply")}
              </button>
            </form>
          }
        />
        {log.entries.length === 0 ? (
          <p className="py-6 text-center text-sm text-zinc-500 dark:text-zinc-400">{t("audit.empty")}</p>
        ) : (
          <TableScroller label={t("audit.title")} sticky="first">
            <table className="w-full min-w-[760px] text-sm" data-testid="audit-table">
              <thead className="border-y border-zinc-200 bg-zinc-50 text-xs uppercase tracking-wide text-zinc-500 dark:border-zinc-800 dark:bg-zinc-950/40 dark:text-zinc-400">
                <tr>
                  <th scope="col" className={th + " pl-5"}>{t("audit.when")}</th>
                  <th scope="col" className={th}>{t("audit.who")}</th>
                  <th scope="col" className={th}>{t("audit.action")}</th>
                  <th scope="col" className={th}>{t("audit.target")}</th>
                  <th scope="col" className={th + " pr-5"}>{t("audit.details")}</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
                {log.entries.map((e) => {
                  const lines = auditDetailLines(e.action, e.details, t, f);
                  return (
                    <tr key={e.id} data-action={e.action}>
                      <td className={td + " whitespace-nowrap pl-5 tabular-nums"}>{f.dateTime(e.createdAt)}</td>
                      <td className={td + " break-words"} data-testid="audit-actor">{auditActorText(e, t)}</td>
                      <td className={td}>
                        <span className="block font-medium">{auditActionLabel(e.action, t)}</span>
                        <code className="text-xs text-zinc-500 dark:text-zinc-400">{e.action}</code>
                      </td>
                      <td className={td + " max-w-[14rem] break-words"} title={e.target ?? undefined}>
                        {e.targetName ? (
                          <span data-testid="audit-target-name">{e.targetName}</span>
                        ) : (
                          <span className="font-mono text-xs">{e.target ?? "—"}</span>
                        )}
                      </td>
                      <td className={td + " min-w-[14rem] max-w-[24rem] pr-5 text-xs text-zinc-700 dark:text-zinc-300"} data-testid="audit-details">
                        {lines.length ? (
                          <ul className="space-y-0.5">
                            {lines.map((line, i) => (
                              <li key={i} className="break-words">
                                {line}
                              </li>
                            ))}
                          </ul>
                        ) : (
                          "—"
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </TableScroller>
        )}
        <nav aria-label={t("audit.title")} className="mt-4 flex items-center justify-between gap-2 text-sm">
          {log.page > 1 ? (
            <Link href={pageHref(log.page - 1)} className={buttonClass("secondary")} rel="prev">
              {t("common.previous")}
            </Link>
          ) : (
            <span />
          )}
          <span className="text-zinc-500 dark:text-zinc-400" data-testid="audit-page">
            {t("common.page", { page: log.page })} / {f.count(log.pageCount)}
          </span>
          {log.page < log.pageCount ? (
            <Link href={pageHref(log.page + 1)} className={buttonClass("secondary")} rel="next">
              {t("common.next")}
            </Link>
          ) : (
            <span />
          )}
        </nav>
      </Card>
    </PageContainer>
  );
}
