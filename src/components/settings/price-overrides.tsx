"use client";

import { useMutation, useQueryClient, useSuspenseQuery } from "@tanstack/react-query";
import { type FormEvent } from "react";
import { useT } from "~/i18n/client";
import { microsToUsdInput } from "~/lib/money";
import { useTRPC } from "~/trpc/react";
import { Button } from "../ui/button";
import { Card, CardHeader } from "../ui/card";
import { Field, FormError } from "../ui/field";
import { TableScroller } from "~/components/ui/table-scroller";

const perM = (v: number) => `$${microsToUsdInput(v)}`;
const th = "px-3 py-2 text-right font-medium first:text-left";
const td = "px-3 py-2 text-right tabular-nums first:text-left";

export function PriceOverrides({ tenantId }: { tenantId: string }) {
  const t = useT();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { data } = useSuspenseQuery(trpc.settings.get.queryOptions({ tenantId }));
  const invalidate = () => queryClient.invalidateQueries(trpc.settings.get.queryFilter({ tenantId }));
  const set = useMutation(trpc.settings.setPriceOverride.mutationOptions({ onSuccess: invalidate }));
  const remove = useMutation(trpc.settings.deletePriceOverride.mutationOptions({ onSuccess: invalidate }));
  const fe = set.error?.data?.zodError?.fieldErrors;

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const f = new FormData(form);
    const v = (n: string) => String(f.get(n) ?? "").trim().replace(/^\$/, "");
    const opt = (n: string) => v(n) || undefined;
    set.mutate(
      {
        tenantId,
        model: v("model"),
        input: v("input"),
        output: v("output"),
        cacheWrite5m: opt("cacheWrite5m"),
        cacheWrite1h: opt("cacheWrite1h"),
        cacheRead: opt("cacheRead"),
      },
      { onSuccess: () => form.reset() },
    );
  }

  return (
    <Card>
      <CardHeader
        title={t("settings.prices.title")}
        description={t("settings.prices.description")}
      />
      {data.priceOverrides.length === 0 ? (
        <p className="pb-4 text-sm text-zinc-500 dark:text-zinc-400">{t("settings.prices.empty")}</p>
      ) : (
        <TableScroller label={t("settings.prices.title")} sticky="first" className="mb-4">
          <table className="w-full min-w-[720px] text-sm" data-testid="price-override-table">
            <thead className="border-y border-zinc-200 bg-zinc-50 text-xs uppercase tracking-wide text-zinc-500 dark:border-zinc-800 dark:bg-zinc-950/40 dark:text-zinc-400">
              <tr>
                <th scope="col" className={th + " pl-5"}>{t("settings.prices.model")}</th>
                <th scope="col" className={th}>{t("settings.prices.col.input")}</th>
                <th scope="col" className={th}>{t("settings.prices.col.output")}</th>
                <th scope="col" className={th}>{t("settings.prices.cacheWrite5m")}</th>
                <th scope="col" className={th}>{t("settings.prices.cacheWrite1h")}</th>
                <th scope="col" className={th}>{t("settings.prices.cacheRead")}</th>
                <th scope="col" className={th + " pr-5"}>
                  <span className="sr-only">{t("settings.prices.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
              {data.priceOverrides.map((o) => (
                <tr key={o.model}>
                  <th scope="row" className={td + " pl-5 font-mono text-xs"}>
                    {o.model}
                    {o.shipped ? (
                      <span className="ml-2 font-sans text-zinc-500 dark:text-zinc-400">
                        {t("settings.prices.shipped", { input: perM(o.shipped.input), output: perM(o.shipped.output) })}
                      </span>
                    ) : null}
                  </th>
                  <td className={td}>{perM(o.input)}</td>
                  <td className={td}>{perM(o.output)}</td>
                  <td className={td}>{perM(o.cacheWrite5m)}</td>
                  <td className={td}>{perM(o.cacheWrite1h)}</td>
                  <td className={td}>{perM(o.cacheRead)}</td>
                  <td className={td + " pr-5"}>
                    <Button
                      variant="ghost"
                      disabled={remove.isPending}
                      onClick={() => remove.mutate({ tenantId, model: o.model })}
                      aria-label={t("settings.prices.removeFor", { model: o.model })}
                    >
                      {t("settings.prices.remove")}
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroller>
      )}
      <form onSubmit={onSubmit} className="grid grid-cols-1 gap-3 sm:grid-cols-3 lg:grid-cols-6" aria-label={t("settings.prices.form")}>
        <Field id="po-model" name="model" label={t("settings.prices.model")} required placeholder="claude-sonnet-4-5" className="sm:col-span-3 lg:col-span-1" error={fe?.model?.[0]} />
        <Field id="po-input" name="input" label={t("settings.prices.input")} required inputMode="decimal" placeholder="3" error={fe?.input?.[0]} />
        <Field id="po-output" name="output" label={t("settings.prices.output")} required inputMode="decimal" placeholder="15" error={fe?.output?.[0]} />
        <Field id="po-cw5m" name="cacheWrite5m" label={t("settings.prices.cacheWrite5m")} inputMode="decimal" placeholder={t("settings.prices.cw5mPlaceholder")} error={fe?.cacheWrite5m?.[0]} />
        <Field id="po-cw1h" name="cacheWrite1h" label={t("settings.prices.cacheWrite1h")} inputMode="decimal" placeholder={t("settings.prices.cw1hPlaceholder")} error={fe?.cacheWrite1h?.[0]} />
        <Field id="po-cr" name="cacheRead" label={t("settings.prices.cacheRead")} inputMode="decimal" placeholder={t("settings.prices.crPlaceholder")} error={fe?.cacheRead?.[0]} />
        <div className="sm:col-span-3 lg:col-span-6">
          <Button type="submit" disabled={set.isPending}>
            {t("settings.prices.save")}
          </Button>
        </div>
      </form>
      <FormError message={remove.error?.message ?? (set.error && !fe ? set.error.message : null)} />
    </Card>
  );
}
