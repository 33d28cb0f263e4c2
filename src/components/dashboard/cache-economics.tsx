"use client";

import { useFormat, useT } from "~/i18n/client";
import type { RouterOutputs } from "~/trpc/types";
import { Card, CardHeader } from "../ui/card";
import { cn } from "../ui/cn";
import { columnDigits, Money } from "../money";

type CacheEconomicsRow = RouterOutputs["apiKey"]["usage"]["cache"][number];
type CacheTotals = RouterOutputs["apiKey"]["usage"]["cacheTotals"];
import { TableScroller } from "~/components/ui/table-scroller";

/** Prompt-cache economics per key, model and day (the dashboard and the key page). */
export function CacheEconomics({
  rows,
  totals,
  timeZone,
  keyName,
  loading = false,
}: {
  rows: readonly CacheEconomicsRow[];
  totals: CacheTotals | undefined;
  timeZone: string | undefined;
  /** Names the key column; absent = no key column (the key page). */
  keyName?: (apiKeyId: string) => string;
  /** Not answered yet: say so rather than "no cache use". */
  loading?: boolean;
}) {
  const t = useT();
  const f = useFormat();
  const th = "px-2 py-2 text-right font-medium whitespace-nowrap first:text-left";
  const thLeft = "px-2 py-2 text-left font-medium whitespace-nowrap";
  const td = "px-2 py-2 text-right tabular-nums whitespace-nowrap first:text-left";
  // One decimals for the three money columns, so the figures line up.
  const digits = columnDigits(rows.flatMap((r) => (r.priced ? [r.savedMicros, r.writePremiumMicros, r.netMicros] : [])));
  return (
    <Card>
      <CardHeader
        title={t("cache.title")}
        description={
          <>
            {t("cache.description", { timeZone: timeZone ?? "UTC" })}
            {totals && rows.length > 0 ? (
              <span className="mt-1 block font-medium text-zinc-700 dark:text-zinc-200" data-testid="cache-total">
                {t("cache.total", { net: f.cost(totals.netMicros), saved: f.cost(totals.savedMicros), premium: f.cost(totals.writePremiumMicros) })}
              </span>
            ) : null}
          </>
        }
      />
      {rows.length === 0 ? (
        <p className="py-4 text-center text-sm text-zinc-500 dark:text-zinc-400" aria-busy={loading || undefined}>
          {loading ? t("common.loading") : t("cache.empty")}
        </p>
      ) : (
        <TableScroller label={t("cache.title")} className="max-h-96 overflow-y-auto">
          <table className="w-full min-w-[720px] text-xs" data-testid="cache-economics">
            <thead className="sticky top-0 border-y border-zinc-200 bg-zinc-50 uppercase tracking-wide text-zinc-500 dark:border-zinc-800 dark:bg-zinc-950 dark:text-zinc-400">
              <tr>
                <th scope="col" className={th + " pl-5"}>{t("cache.col.day")}</th>
                {keyName ? <th scope="col" className={thLeft}>{t("cache.col.key")}</th> : null}
                <th scope="col" className={thLeft}>{t("usage.col.model")}</th>
                <th scope="col" className={th}>{t("cache.col.hitRate")}</th>
                <th scope="col" className={th}>{t("cache.col.reads")}</th>
                <th scope="col" className={th}>{t("cache.col.saved")}</th>
                <th scope="col" className={th}>{t("cache.col.premium")}</th>
                <th scope="col" className={th + " pr-5"}>{t("cache.col.net")}</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
              {rows.map((r) => (
                <tr key={`${r.apiKeyId ?? ""}|${r.model}|${r.day}`} data-model={r.model}>
                  <td className={td + " pl-5"}>{r.day}</td>
                  {keyName ? <td className="px-2 py-2 text-left">{r.apiKeyId ? keyName(r.apiKeyId) : ""}</td> : null}
                  <td className="max-w-56 truncate px-2 py-2 text-left font-mono" title={r.model}>
                    {r.model}
                  </td>
                  <td className={td}>{f.percent(r.hitRateBp / 10_000)}</td>
                  <td className={td}>
                    {f.count(r.cacheReadTokens)} / {f.count(r.cacheWriteTokens)}
                  </td>
                  <td className={td}>{r.priced ? <Money micros={r.savedMicros} digits={digits} /> : t("cache.unpriced")}</td>
                  <td className={td}>{r.priced ? <Money micros={r.writePremiumMicros} digits={digits} /> : t("cache.unpriced")}</td>
                  <td className={cn(td, "pr-5 font-semibold", r.netMicros < 0 && "text-red-600 dark:text-red-400")} data-testid="cache-net">
                    <Money micros={r.netMicros} digits={digits} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroller>
      )}
    </Card>
  );
}

/** The tenant dashboard's banner: usage on models without a price in the range shown. */
export function UnpricedBanner({ models }: { models: ReadonlyArray<{ model: string; requests: number }> }) {
  const t = useT();
  if (models.length === 0) return null;
  const count = models.reduce((n, m) => n + m.requests, 0);
  return (
    <section
      role="status"
      aria-label={t("unpriced.banner.title")}
      data-testid="unpriced-banner"
      className="rounded-2xl border border-amber-300 bg-amber-50 p-4 text-sm text-amber-900 dark:border-amber-900/70 dark:bg-amber-950/50 dark:text-amber-200"
    >
      <h2 className="font-semibold">{t("unpriced.banner.title")}</h2>
      <p className="mt-1">{t("unpriced.banner.body", { count, models: models.map((m) => `${m.model} (${m.requests})`).join(", ") })}</p>
      <p className="mt-1 text-xs opacity-80">{t("unpriced.banner.fix")}</p>
    </section>
  );
}
