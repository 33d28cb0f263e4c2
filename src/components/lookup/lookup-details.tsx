"use client";

import { useState } from "react";
import type { MessageKey } from "~/i18n";
import { useFormat, useT } from "~/i18n/client";
import type { RouterOutputs } from "~/trpc/types";
import { CopyButton } from "../dashboard/copy-button";
import { ModelCostTable } from "../dashboard/model-cost-table";
import { LimitBars } from "../keys/limit-bars";
import { Card, CardHeader } from "../ui/card";
import { SegmentedRadioGroup } from "../ui/segmented";

type KeyLookup = RouterOutputs["lookup"]["byApiId"];

const PERIODS = [
  { id: "today", label: "usage.range.today" },
  { id: "month", label: "usage.range.month" },
  { id: "all", label: "lookup.period.all" },
] as const satisfies readonly { id: string; label: MessageKey }[];
type PeriodId = (typeof PERIODS)[number]["id"];

/** Limits with their live use, expiry, and per-model usage by day / month / all time. */
export function LookupDetails({ lookup }: { lookup: KeyLookup }) {
  const t = useT();
  const f = useFormat();
  const [period, setPeriod] = useState<PeriodId>("all");
  const shown =
    period === "today" ? lookup.today : period === "month" ? lookup.thisMonth : { totals: lookup.totals, models: lookup.models };
  const shareUrl = `/lookup?id=${lookup.apiId}`;
  return (
    <>
      <div className="grid grid-cols-1 gap-6 lg:grid-cols-3">
        <Card className="lg:col-span-2">
          <CardHeader
            title={t("limits.title")}
            description={t("lookup.limits.description", { timeZone: lookup.timeZone })}
          />
          <LimitBars limits={lookup.limits} asOf={lookup.asOf} emptyText={t("lookup.limits.empty")} />
        </Card>
        <Card>
          <CardHeader title={t("lookup.key")} />
          <dl className="space-y-3 text-sm">
            <div>
              <dt className="text-xs text-zinc-500 dark:text-zinc-400">{t("keys.expires")}</dt>
              <dd data-testid="lookup-expires">{lookup.expiresAt ? f.dateTime(new Date(lookup.expiresAt)) : t("common.never")}</dd>
            </div>
            <div>
              <dt className="text-xs text-zinc-500 dark:text-zinc-400">{t("keys.apiId")}</dt>
              <dd className="break-all font-mono text-xs" data-testid="lookup-api-id">
                {lookup.apiId}
              </dd>
            </div>
            <div>
              <dt className="text-xs text-zinc-500 dark:text-zinc-400">{t("lookup.shareLink")}</dt>
              <dd className="mt-1 flex items-center gap-2">
                <a href={shareUrl} className="min-w-0 truncate font-mono text-xs underline">
                  {shareUrl}
                </a>
                <CopyButton text={typeof window === "undefined" ? shareUrl : `${window.location.origin}${shareUrl}`} label={t("lookup.copyLink")} />
              </dd>
            </div>
          </dl>
        </Card>
      </div>
      <Card>
        <CardHeader
          title={t("usage.models.title")}
          description={
            <>
              {t("lookup.asOf", { date: f.dateTime(new Date(lookup.asOf)) })}{" "}
              <a className="font-mono underline" href={`/api/lookup?id=${lookup.apiId}`}>
                /api/lookup?id=…
              </a>
            </>
          }
          action={
            <SegmentedRadioGroup
              label={t("usage.period")}
              value={period}
              options={PERIODS.map((p) => ({ value: p.id, label: t(p.label) }))}
              onChange={setPeriod}
            />
          }
        />
        <p className="mb-3 text-sm text-zinc-600 dark:text-zinc-400" data-testid="lookup-period-totals">
          {t("lookup.periodTotals", { requests: shown.totals.requests, cost: f.cost(shown.totals.costMicros) })}
        </p>
        <ModelCostTable rows={shown.models} emptyText={t("lookup.emptyPeriod")} />
      </Card>
    </>
  );
}
