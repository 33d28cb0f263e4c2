"use client";

import { useMutation, useQuery, useQueryClient, useSuspenseQuery } from "@tanstack/react-query";
import { useState, type FormEvent, type ReactNode } from "react";
import { useFormat, useT } from "~/i18n/client";
import { KEY_LIMITS, LIMIT_COLUMNS, limitDefinition, type LimitColumn, type LimitDefinition, type LimitGroup } from "~/keys/limits";
import type { Formatters } from "~/i18n";
import { isUsdAmount, microsToUsdInput, parseUsdToMicros } from "~/lib/money";
import type { RouterInputs } from "~/trpc/types";
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

/** A bound of the limit in its unit: "$1,000,000,000", "1,440". */
function boundText(d: LimitDefinition, value: number, f: Formatters): string {
  return d.kind === "usd" ? f.cost(value, 0) : f.count(value);
}

/** Error and help text ids an input is described by. */
const describedBy = (id: string, error: string | undefined, hint: string | undefined) =>
  [error ? `${id}-error` : null, hint ? `${id}-hint` : null].filter(Boolean).join(" ") || undefined;

function Hint({ id, text }: { id: string; text?: string }) {
  return text ? (
    <p id={`${id}-hint`} className="mt-1 text-xs text-zinc-500 dark:text-zinc-400">
      {text}
    </p>
  ) : null;
}

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
          aria-describedby={describedBy(id, error, hint)}
          placeholder={input.placeholder ?? t("limits.noLimit")}
          className={cn(inputClass, "w-full min-w-0", error && "ring-red-400 dark:ring-red-700")}
          name={input.name}
          defaultValue={input.defaultValue}
          inputMode={input.inputMode}
        />
        {suffix ? <span className="shrink-0 text-sm text-zinc-500 dark:text-zinc-400">{suffix}</span> : null}
      </div>
      <LiveMessage urgent id={`${id}-error`} message={error} className="mt-1 text-xs text-red-600 dark:text-red-400" />
      <Hint id={id} text={hint} />
    </div>
  );
}

/** A label above a date input or select, with the field's error and help text under it. */
function LabelledControl({ id, label, error, hint, children }: { id: string; label: string; error?: string; hint?: string; children: ReactNode }) {
  return (
    <div>
      <label htmlFor={id} className="block text-sm font-medium text-zinc-700 dark:text-zinc-300">
        {label}
      </label>
      {children}
      {error ? (
        <p id={`${id}-error`} className="mt-1 text-xs text-red-600 dark:text-red-400">
          {error}
        </p>
      ) : null}
      <Hint id={id} text={hint} />
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
  const f = useFormat();
  const { locale } = f;
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
  /** The limit's help text: what counts, when it resets, its bounds (from KEY_LIMITS). */
  const helpOf = (d: LimitDefinition) => t(d.help, { min: boundText(d, d.min, f), max: boundText(d, d.max, f) });
  const tooLarge = (d: LimitDefinition) => t("limits.error.atMost", { max: boundText(d, d.max, f) });

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    // The form stays enabled while saving (disabling it would drop the focus to <body>).
    if (update.isPending) return;
    const form = e.currentTarget;
    setSaved(false);
    const data = new FormData(e.currentTarget);
    const text = (name: string) => String(data.get(name) ?? "").trim();
    const errors: Errors = {};
    const values: Record<string, unknown> = {};
    for (const column of LIMIT_COLUMNS) {
      const d = limitDefinition(column);
      const v = text(d.input);
      switch (d.kind) {
        case "count":
        case "bigCount":
          if (v !== "" && !/^\d+$/.test(v)) errors[d.input] = t("limits.error.wholeNumber");
          else if (v !== "" && Number(v) > d.max) errors[d.input] = tooLarge(d);
          else if (v !== "" && Number(v) < d.min) errors[d.input] = t("limits.error.atLeast", { min: boundText(d, d.min, f) });
          values[d.input] = v === "" || errors[d.input] ? null : Number(v);
          break;
        case "usd": {
          const dollars = v.replace(/^\$/, "");
          if (dollars !== "" && !isUsdAmount(dollars)) errors[d.input] = t("limits.error.dollars");
          else if (dollars !== "" && parseUsdToMicros(dollars) > BigInt(d.max)) errors[d.input] = tooLarge(d);
          values[d.input] = dollars === "" ? null : dollars;
          break;
        }
        case "date": {
          const date = v === "" ? null : new Date(v);
          if (date && Number.isNaN(date.getTime())) errors[d.input] = t("limits.error.date");
          values[d.input] = date;
          break;
        }
        case "models":
          values[d.input] = v.split(/[\s,]+/).filter(Boolean);
          break;
        case "choice":
          values[d.input] = Number(v);
          break;
        case "upstream":
          // Sent only by those who may bind upstreams, once the list is loaded (else the select is a placeholder).
          if (key.canBindUpstream && upstreams.data) values[d.input] = v || null;
          break;
      }
    }
    const hasRateMax = values.rateMaxRequests !== null || values.rateMaxTokens !== null || values.rateMaxCostUsd !== null;
    if (hasRateMax && values.rateWindowMinutes === null && !errors.rateWindowMinutes) {
      errors.rateWindowMinutes = t("limits.error.window");
    }
    setClientErrors(errors);
    if (Object.keys(errors).length > 0) {
      // Announced by each field's live region; focus goes to the first field to fix.
      requestAnimationFrame(() => form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
      return;
    }
    update.mutate({ tenantId, keyId, active: data.get("active") === "on", ...values } as RouterInputs["apiKey"]["updateLimits"]);
  }

  /** One limit's control, by kind (the weekly reset day and hour share one control). */
  function field(column: LimitColumn): ReactNode {
    const d = limitDefinition(column);
    const id = `limit-${d.input}`;
    const value = l[column];
    switch (d.kind) {
      case "count":
      case "bigCount":
      case "usd":
        return (
          <LimitField
            key={column}
            id={id}
            name={d.input}
            label={t(d.label)}
            hint={helpOf(d)}
            prefix={d.kind === "usd" ? "$" : undefined}
            suffix={d.suffix ? t(d.suffix) : undefined}
            placeholder={d.placeholder ? t(d.placeholder) : undefined}
            inputMode={d.kind === "usd" ? "decimal" : "numeric"}
            defaultValue={d.kind === "usd" ? usd(value as number | null) : str(value as number | null)}
            error={errorOf(d.input)}
          />
        );
      case "date":
        return (
          <LabelledControl key={column} id={id} label={t(d.label)} error={errorOf(d.input)} hint={helpOf(d)}>
            <input
              id={id}
              name={d.input}
              type="datetime-local"
              defaultValue={toLocalInput(value as Date | null)}
              aria-invalid={errorOf(d.input) ? true : undefined}
              aria-describedby={describedBy(id, errorOf(d.input), helpOf(d))}
              className={cn(inputClass, "mt-1.5 w-full")}
            />
          </LabelledControl>
        );
      case "upstream":
        return (
          <LabelledControl key={column} id={id} label={t(d.label)} error={errorOf(d.input)} hint={helpOf(d)}>
            <select
              id={id}
              name={d.input}
              aria-describedby={describedBy(id, errorOf(d.input), helpOf(d))}
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
          </LabelledControl>
        );
      case "models":
        return (
          <div key={column} className="sm:col-span-2 lg:col-span-4">
            <label htmlFor={id} className="block text-sm font-medium text-zinc-700 dark:text-zinc-300">
              {t(d.label)}
            </label>
            <input
              id={id}
              name={d.input}
              defaultValue={l.allowedModels.join(", ")}
              placeholder={t("limits.allowedModelsPlaceholder")}
              aria-describedby={describedBy(id, errorOf(d.input), helpOf(d))}
              aria-invalid={errorOf(d.input) ? true : undefined}
              className={cn(inputClass, "mt-1.5 w-full font-mono")}
            />
            {errorOf(d.input) ? (
              <p id={`${id}-error`} className="mt-1 text-xs text-red-600 dark:text-red-400">
                {errorOf(d.input)}
              </p>
            ) : null}
            <Hint id={id} text={helpOf(d)} />
          </div>
        );
      case "choice":
        if (d.unit !== "weekday") return null; // the hour is in the weekday's control
        return (
          <div key={column}>
            <span className="block text-sm font-medium text-zinc-700 dark:text-zinc-300" id="weekly-reset-label">
              {t("limits.weekResetsOn")}
            </span>
            <div className="mt-1.5 flex gap-1.5">
              <select
                name={d.input}
                aria-labelledby="weekly-reset-label"
                aria-label={t(d.label)}
                aria-describedby="weekly-reset-hint"
                defaultValue={String(l.weeklyResetDay)}
                className={cn(inputClass, "min-w-0 flex-1")}
              >
                {weekdayNames(locale).map((name, i) => (
                  <option key={i} value={i}>
                    {name}
                  </option>
                ))}
              </select>
              <select
                name={KEY_LIMITS.weeklyResetHour.input}
                aria-label={t(KEY_LIMITS.weeklyResetHour.label)}
                aria-describedby="weekly-reset-hint"
                defaultValue={String(l.weeklyResetHour)}
                className={cn(inputClass, "w-24")}
              >
                {Array.from({ length: KEY_LIMITS.weeklyResetHour.max + 1 }, (_, h) => (
                  <option key={h} value={h}>
                    {String(h).padStart(2, "0")}:00
                  </option>
                ))}
              </select>
            </div>
            <Hint id="weekly-reset" text={helpOf(d)} />
          </div>
        );
    }
  }

  const fieldsOf = (group: LimitGroup) => LIMIT_COLUMNS.filter((c) => limitDefinition(c).group === group).map(field);

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
            {fieldsOf("access")}
          </Group>
          <Group title={t("limits.group.rate")}>{fieldsOf("rate")}</Group>
          <Group title={t("limits.group.spend", { timeZone: key.timeZone })}>{fieldsOf("spend")}</Group>
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
