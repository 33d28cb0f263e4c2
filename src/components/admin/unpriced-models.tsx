"use client";

import { useQuery } from "@tanstack/react-query";
import { useFormat, useT } from "~/i18n/client";
import { useTRPC } from "~/trpc/react";
import { Card, CardHeader } from "../ui/card";
import { TableScroller } from "~/components/ui/table-scroller";

/** Platform admins: models used while Metergate had no price for them. */
export function UnpricedModels() {
  const trpc = useTRPC();
  const t = useT();
  const f = useFormat();
  const query = useQuery({ ...trpc.admin.unpricedModels.queryOptions(), refetchInterval: 30_000 });
  const rows = query.data ?? [];
  const th = "px-3 py-2 text-right font-medium first:text-left";
  const td = "px-3 py-2.5 text-right tabular-nums first:text-left";
  return (
    <Card>
      <CardHeader title={t("admin.unpriced.title")} description={t("admin.unpriced.description")} />
      {query.error ? (
        <p role="alert" className="text-sm text-red-600 dark:text-red-400">
          {query.error.message}
        </p>
      ) : rows.length === 0 ? (
        <p className="py-4 text-center text-sm text-zinc-500 dark:text-zinc-400">{t("admin.unpriced.empty")}</p>
      ) : (
        <TableScroller label={t("admin.unpriced.title")} sticky="first">
          <table className="w-full min-w-[640px] text-sm" data-testid="unpriced-models">
            <thead className="border-y border-zinc-200 bg-zinc-50 text-xs uppercase tracking-wide text-zinc-500 dark:border-zinc-800 dark:bg-zinc-950/40 dark:text-zinc-400">
              <tr>
                <th scope="col" className={th + " pl-5"}>{t("admin.unpriced.col.model")}</th>
                <th scope="col" className={th}>{t("admin.unpriced.col.requests")}</th>
                <th scope="col" className={th}>{t("admin.unpriced.col.tokens")}</th>
                <th scope="col" className={th}>{t("admin.unpriced.col.tenants")}</th>
                <th scope="col" className={th}>{t("admin.unpriced.col.firstSeen")}</th>
                <th scope="col" className={th + " pr-5"}>{t("admin.unpriced.col.lastSeen")}</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
              {rows.map((m) => (
                <tr key={m.model} data-model={m.model}>
                  <th scope="row" className={td + " pl-5 font-mono font-medium"}>{m.model}</th>
                  <td className={td}>{f.count(m.requests)}</td>
                  <td className={td}>{f.count(m.tokens)}</td>
                  <td className={td}>{f.count(m.tenants)}</td>
                  <td className={td}>{f.dateTime(m.firstSeen)}</td>
                  <td className={td + " pr-5"}>{f.dateTime(m.lastSeen)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroller>
      )}
    </Card>
  );
}
