"use client";

import { useMutation, useQuery, useQueryClient, useSuspenseQuery } from "@tanstack/react-query";
import { useState, type FormEvent, type ReactNode } from "react";
import { useFormat, useT } from "~/i18n/client";
import { isUsdAmount, microsToUsdInput } from "~/lib/money";
import { useTRPC } from "~/trpc/react";
import { Button } from "../ui/button";
import { Card, CardHeader } from "../ui/card";
import { cn } from "../ui/cn";
import { FormError, inputClass } from "../ui/field";
import { LiveMessage } from "../ui/live-message";
import { LimitBars } from "./limit-bars";

/** Weekday names for the locale, Sunday first (index = the stored weeklyResetDay). 2023-01-01 was a Sunday. */
function weekdayNames(locale: string): string[] {
  const fmt = new Intl.DateTimeFormat(locale, { weekday: "long", timeZone: "UTC" });
  return Array.from({ length: 7 }, (_, i) => fmt.format(new Date(Date.UTC(2023, 0, 1 + i))));
}

/** Local date-time for <input type="datetime-local"> ("2026-11-23T14:05"). */
function toLocalInput(date: Date | null): string {
  if (!date) return "";
  const d = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

const str = (v: number | null) => (v === null ? "" : String(v));
const usd = (v: number | null) => (v === null ? "" : microsToUsdInput(v));

type Errors = Partial<Record<string, string>>;

function LimitField({
  id,
  label,
  hint,
  error,
  prefix,
  suffix,
  ...input
}: {
  id: string;
  label: string;
  hint?: string;
  error?: string;
  prefix?: string;
  suffix?: string;
  defaultValue: string;
  name: string;
  inputMode?: "numeric" | "decimal";
  placeholder?: string;
}) {
  const t = useT();
  return (
    <div>
      <label htmlFor={id} className="block text-sm font-medium text-zinc-700 dark:text-zinc-300">
        {label}
      </label>
      <div className="mt-1.5 flex items-center gap-1.5">
        {prefix ? <span className="text-sm text-zinc-500 dark:text-zinc-400">{prefix}</span> : null}
        <input
          id={id}
          autoComplete="off"
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : hint ? `${id}-hint` : undefined}
          placeholder={input.placeholder ?? t("limits.noLimit")}
          className={cn(inputClass, "w-full min-w-0", error && "ring-red-400 dark:ring-red-700")}
          name={input.name}
          defaultValue={input.defaultValue}
          inputMode={input.inputMode}
        />
        {suffix ? <span className="shrink-0 text-sm text-zinc-500 dark:text-zinc-400">{suffix}</span> : null}
      </div>
      <LiveMessage urgent id={`${id}-error`} message={error} className="mt-1 text-xs text-red-600 dark:text-red-400" />
      {!error && hint ? (
        <p id={`${id}-hint`} className="mt-1 text-xs text-zinc-500 dark:text-zinc-400">
          {hint}
        </p>
      ) : null}
    </div>
  );
}

function Group({ title, children }: { title: string; children: ReactNode }) {
  return (
    <fieldset className="rounded-xl border border-zinc-200 p-4 dark:border-zinc-800">
      <legend className="px-1 text-sm font-semibold">{title}</legend>
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">{children}</div>
    </fieldset>
  );
}

/** Current use of every limit of the key, refreshed every few seconds. */
export function KeyLimitUse({ tenantId, keyId }: { tenantId: string; keyId: string }) {
  const t = useT();
  const trpc = useTRPC();
  const use = useQuery({ ...trpc.apiKey.limitUse.queryOptions({ tenantId, keyId }), refetchInterval: 5_000 });
  return (
    <Card>
      <CardHeader title={t("limits.current.title")} description={t("limits.current.description")} />
      {use.data ? (
        <LimitBars
          limits={use.data.limits}
          asOf={use.data.asOf}
          emptyText={t("limits.current.empty")}
          className="grid gap-x-8 gap-y-4 sm:grid-cols-2 lg:grid-cols-3"
        />
      ) : (
        <p className="text-sm text-zinc-500 dark:text-zinc-400">{use.error ? t("common.errorPrefix", { message: use.error.message }) : t("common.loading")}</p>
      )}
    </Card>
  );
}

export function LimitsEditor({ tenantId, keyId }: { tenantId: string; keyId: string }) {
  const t = useT();
  const { locale } = useFormat();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { data: key } = useSuspenseQuery(trpc.apiKey.get.queryOptions({ tenantId, keyId }));
  const upstreams = useQuery({ ...trpc.upstream.list.queryOptions({ tenantId }), enabled: key.canManage });
  const [clientErrors, setClientErrors] = useState<Errors>({});
  const [saved, setSaved] = useState(false);
  const update = useMutation(
    trpc.apiKey.updateLimits.mutationOptions({
      onSuccess: async () => {
        setSaved(true);
        await Promise.all([
          queryClient.invalidateQueries(trpc.apiKey.get.queryFilter({ tenantId, keyId })),
          queryClient.invalidateQueries(trpc.apiKey.limitUse.queryFilter({ tenantId, keyId })),
          queryClient.invalidateQueries(trpc.apiKey.list.queryFilter({ tenantId })),
        ]);
      },
    }),
  );
  const l = key.limits;
  const serverErrors = update.error?.data?.zodError?.fieldErrors ?? {};
  const errorOf = (name: string) => clientErrors[name] ?? serverErrors[name]?.[0];
  const readOnly = !key.canManage;

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    // The form stays enabled while saving (disabling it would drop the focus to <body>).
    if (update.isPending) return;
    const form = e.currentTarget;
    setSaved(false);
    const f = new FormData(e.currentTarget);
    const text = (name: string) => String(f.get(name) ?? "").trim();
    const errors: Errors = {};
    const int = (name: string): number | null => {
      const v = text(name);
      if (v === "") return null;
      if (!/^\d+$/.test(v)) {
        errors[name] = t("limits.error.wholeNumber");
        return null;
      }
      return Number(v);
    };
    const dollars = (name: string): string | null => {
      const v = text(name).replace(/^\$/, "");
      if (v === "") return null;
      if (!isUsdAmount(v)) errors[name] = t("limits.error.dollars");
      return v;
    };
    const expires = text("expiresAt");
    const expiresAt = expires === "" ? null : new Date(expires);
    if (expiresAt && Number.isNaN(expiresAt.getTime())) errors.expiresAt = t("limits.error.date");
    const input = {
      tenantId,
      keyId,
      active: f.get("active") === "on",
      expiresAt,
      expiresAfterFirstUseDays: int("expiresAfterFirstUseDays"),
      allowedModels: text("allowedModels").split(/[\s,]+/).filter(Boolean),
      rateWindowMinutes: int("rateWindowMinutes"),
      rateMaxRequests: int("rateMaxRequests"),
      rateMaxTokens: int("rateMaxTokens"),
      rateMaxCostUsd: dollars("rateMaxCostUsd"),
      maxConcurrency: int("maxConcurrency"),
      dailyCostUsd: dollars("dailyCostUsd"),
      weeklyCostUsd: dollars("weeklyCostUsd"),
      weeklyResetDay: Number(text("weeklyResetDay")),
      weeklyResetHour: Number(text("weeklyResetHour")),
      monthlyCostUsd: dollars("monthlyCostUsd"),
      totalCostUsd: dollars("totalCostUsd"),
      totalTokens: int("totalTokens"),
      ...(key.canBindUpstream && upstreams.data ? { upstreamId: text("upstreamId") || null } : {}),
    };
    const hasRateMax = input.rateMaxRequests !== null || input.rateMaxTokens !== null || input.rateMaxCostUsd !== null;
    if (hasRateMax && input.rateWindowMinutes === null && !errors.rateWindowMinutes) {
      errors.rateWindowMinutes = t("limits.error.window");
    }
    setClientErrors(errors);
    if (Object.keys(errors).length > 0) {
      // Announced by each field's live region; focus goes to the first field to fix.
      requestAnimationFrame(() => form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
      return;
    }
    update.mutate(input);
  }

  return (
    <Card>
      <CardHeader
        title={t("limits.title")}
        description={readOnly ? t("limits.readOnly") : t("limits.description")}
      />
      <form onSubmit={onSubmit} aria-label={t("limits.form")} noValidate>
        {!readOnly && key.lockedLimits.length > 0 ? (
          <p className="mb-3 text-xs text-amber-700 dark:text-amber-400" data-testid="limits-locked-hint">
            {t("limits.lockedHint")}
          </p>
        ) : null}
        <fieldset disabled={readOnly} aria-busy={update.isPending} className="space-y-4">
          <Group title={t("limits.group.access")}>
            <div className="flex items-center gap-2 sm:col-span-2 lg:col-span-1 lg:self-end lg:pb-2">
              <input
                id="limit-active"
                name="active"
                type="checkbox"
                defaultChecked={key.status !== "revoked"}
                disabled={key.status === "revoked" && !key.canReactivate}
                className="size-4 rounded border-zinc-300 text-indigo-600 focus:ring-indigo-600"
              />
              <label htmlFor="limit-active" className="text-sm font-medium">
                {t("limits.active")}
              </label>
            </div>
            <div>
              <label htmlFor="limit-expiresAt" className="block text-sm font-medium text-zinc-700 dark:text-zinc-300">
                {t("limits.expiresAt")}
              </label>
              <input
                id="limit-expiresAt"
                name="expiresAt"
                type="datetime-local"
                defaultValue={toLocalInput(l.expiresAt)}
                aria-invalid={errorOf("expiresAt") ? true : undefined}
                className={cn(inputClass, "mt-1.5 w-full")}
              />
              {errorOf("expiresAt") ? <p className="mt-1 text-xs text-red-600">{errorOf("expiresAt")}</p> : null}
            </div>
            <LimitField
              id="limit-expiresAfterFirstUseDays"
              name="expiresAfterFirstUseDays"
              label={t("limits.expiresAfterFirstUse")}
              suffix={t("limits.days")}
              inputMode="numeric"
              placeholder={t("common.never")}
              defaultValue={str(l.expiresAfterFirstUseDays)}
              error={errorOf("expiresAfterFirstUseDays")}
            />
            <div>
              <label htmlFor="limit-upstreamId" className="block text-sm font-medium text-zinc-700 dark:text-zinc-300">
                {t("limits.upstream")}
              </label>
              <select
                id="limit-upstreamId"
                name="upstreamId"
                defaultValue={l.upstreamId ?? ""}
                key={`${l.upstreamId}-${upstreams.data?.length ?? 0}`}
                disabled={!key.canBindUpstream}
                className={cn(inputClass, "mt-1.5 w-full")}
              >
                <option value="">{t("limits.upstreamDefault")}</option>
                {key.upstream && !upstreams.data ? <option value={key.upstream.id}>{key.upstream.name}</option> : null}
                {(upstreams.data ?? []).map((u) => (
                  <option key={u.id} value={u.id}>
                    {u.name} ({u.provider.toLowerCase()})
                  </option>
                ))}
              </select>
              {errorOf("upstreamId") ? <p className="mt-1 text-xs text-red-600">{errorOf("upstreamId")}</p> : null}
            </div>
            <div className="sm:col-span-2 lg:col-span-4">
              <label htmlFor="limit-allowedModels" className="block text-sm font-medium text-zinc-700 dark:text-zinc-300">
                {t("limits.allowedModels")}
              </label>
              <input
                id="limit-allowedModels"
                name="allowedModels"
                defaultValue={l.allowedModels.join(", ")}
                placeholder={t("limits.allowedModelsPlaceholder")}
                aria-describedby="limit-allowedModels-hint"
                aria-invalid={errorOf("allowedModels") ? true : undefined}
                className={cn(inputClass, "mt-1.5 w-full font-mono")}
              />
              <p id="limit-allowedModels-hint" className="mt-1 text-xs text-zinc-500 dark:text-zinc-400">
                {errorOf("allowedModels") ?? t("limits.allowedModelsHint")}
              </p>
            </div>
          </Group>
          <Group title={t("limits.group.rate")}>
            <LimitField
              id="limit-rateWindowMinutes"
              name="rateWindowMinutes"
              label={t("limits.window")}
              suffix={t("limits.minutes")}
              inputMode="numeric"
              placeholder={t("limits.none")}
              defaultValue={str(l.rateWindowMinutes)}
              error={errorOf("rateWindowMinutes")}
            />
            <LimitField
              id="limit-rateMaxRequests"
              name="rateMaxRequests"
              label={t("limits.rateMaxRequests")}
              inputMode="numeric"
              defaultValue={str(l.rateMaxRequests)}
              error={errorOf("rateMaxRequests")}
            />
            <LimitField
              id="limit-rateMaxTokens"
              name="rateMaxTokens"
              label={t("limits.rateMaxTokens")}
              inputMode="numeric"
              defaultValue={str(l.rateMaxTokens)}
              error={errorOf("rateMaxTokens")}
            />
            <LimitField
              id="limit-rateMaxCostUsd"
              name="rateMaxCostUsd"
              label={t("limits.rateMaxCost")}
              prefix="$"
              inputMode="decimal"
              defaultValue={usd(l.rateMaxCostMicros)}
              error={errorOf("rateMaxCostUsd")}
            />
            <LimitField
              id="limit-maxConcurrency"
              name="maxConcurrency"
              label={t("limits.maxConcurrency")}
              inputMode="numeric"
              defaultValue={str(l.maxConcurrency)}
              error={errorOf("maxConcurrency")}
            />
          </Group>
          <Group title={t("limits.group.spend", { timeZone: key.timeZone })}>
            <LimitField
              id="limit-dailyCostUsd"
              name="dailyCostUsd"
              label={t("limits.name.cost_daily")}
              prefix="$"
              inputMode="decimal"
              defaultValue={usd(l.dailyCostMicros)}
              error={errorOf("dailyCostUsd")}
            />
            <LimitField
              id="limit-weeklyCostUsd"
              name="weeklyCostUsd"
              label={t("limits.name.cost_weekly")}
              prefix="$"
              inputMode="decimal"
              defaultValue={usd(l.weeklyCostMicros)}
              error={errorOf("weeklyCostUsd")}
            />
            <div>
              <span className="block text-sm font-medium text-zinc-700 dark:text-zinc-300" id="weekly-reset-label">
                {t("limits.weekResetsOn")}
              </span>
              <div className="mt-1.5 flex gap-1.5">
                <select
                  name="weeklyResetDay"
                  aria-labelledby="weekly-reset-label"
                  aria-label={t("limits.weeklyResetDay")}
                  defaultValue={String(l.weeklyResetDay)}
                  className={cn(inputClass, "min-w-0 flex-1")}
                >
                  {weekdayNames(locale).map((d, i) => (
                    <option key={i} value={i}>
                      {d}
                    </option>
                  ))}
                </select>
                <select
                  name="weeklyResetHour"
                  aria-label={t("limits.weeklyResetHour")}
                  defaultValue={String(l.weeklyResetHour)}
                  className={cn(inputClass, "w-24")}
                >
                  {Array.from({ length: 24 }, (_, h) => (
                    <option key={h} value={h}>
                      {String(h).padStart(2, "0")}:00
                    </option>
                  ))}
                </select>
              </div>
            </div>
            <LimitField
              id="limit-monthlyCostUsd"
              name="monthlyCostUsd"
              label={t("limits.name.cost_monthly")}
              prefix="$"
              inputMode="decimal"
              defaultValue={usd(l.monthlyCostMicros)}
              error={errorOf("monthlyCostUsd")}
            />
            <LimitField
              id="limit-totalCostUsd"
              name="totalCostUsd"
              label={t("limits.totalCost")}
              prefix="$"
              inputMode="decimal"
              defaultValue={usd(l.totalCostMicros)}
              error={errorOf("totalCostUsd")}
            />
            <LimitField
              id="limit-totalTokens"
              name="totalTokens"
              label={t("limits.totalTokens")}
              inputMode="numeric"
              defaultValue={str(l.totalTokens)}
              error={errorOf("totalTokens")}
            />
          </Group>
          {readOnly ? null : (
            <div className="flex flex-wrap items-center gap-3">
              <Button type="submit">{update.isPending ? t("common.saving") : t("limits.save")}</Button>
              <LiveMessage message={saved && !update.isPending ? t("limits.saved") : null} className="text-sm text-emerald-700 dark:text-emerald-400" />
            </div>
          )}
          {update.error && !update.error.data?.zodError ? <FormError message={update.error.message} /> : null}
        </fieldset>
      </form>
    </Card>
  );
}
