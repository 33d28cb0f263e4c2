"use client";

import { useMutation, useQueryClient, useSuspenseQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useT } from "~/i18n/client";
import { isUsdAmount, microsToUsdInput } from "~/lib/money";
import { useTRPC } from "~/trpc/react";
import { CopyButton } from "../dashboard/copy-button";
import { Button } from "../ui/button";
import { Card, CardHeader } from "../ui/card";
import { cn } from "../ui/cn";
import { Field, FormError, inputClass } from "../ui/field";

function Saved({ show }: { show: boolean }) {
  const t = useT();
  return show ? (
    <span role="status" className="text-sm text-emerald-700 dark:text-emerald-400">
      {t("settings.saved")}
    </span>
  ) : null;
}

export function GeneralSettings({ tenantId, timeZones }: { tenantId: string; timeZones: readonly string[] }) {
  const t = useT();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { data } = useSuspenseQuery(trpc.settings.get.queryOptions({ tenantId }));
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const update = useMutation(
    trpc.settings.update.mutationOptions({
      onSuccess: async () => {
        setSaved(true);
        await Promise.all([
          queryClient.invalidateQueries(trpc.settings.get.queryFilter({ tenantId })),
          queryClient.invalidateQueries(trpc.tenant.get.queryFilter({ tenantId })),
        ]);
      },
    }),
  );
  const fieldErrors = update.error?.data?.zodError?.fieldErrors;

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setSaved(false);
    const f = new FormData(e.currentTarget);
    const budget = String(f.get("budget") ?? "").trim().replace(/^\$/, "");
    if (budget && !isUsdAmount(budget)) {
      setError(t("settings.general.budgetError"));
      return;
    }
    setError(null);
    update.mutate({
      tenantId,
      timeZone: String(f.get("timeZone") ?? ""),
      monthlyBudgetUsd: budget || null,
    });
  }

  return (
    <Card>
      <CardHeader
        title={t("settings.general.title")}
        description={t("settings.general.description")}
      />
      <form onSubmit={onSubmit} className="grid grid-cols-1 gap-4 sm:grid-cols-2" aria-label={t("settings.general.title")}>
        <div>
          <label htmlFor="tenant-timezone" className="block text-sm font-medium text-zinc-700 dark:text-zinc-300">
            {t("settings.general.timeZone")}
          </label>
          <input
            id="tenant-timezone"
            name="timeZone"
            list="tenant-timezones"
            defaultValue={data.timeZone}
            required
            aria-invalid={fieldErrors?.timeZone ? true : undefined}
            className={cn(inputClass, "mt-1.5 w-full")}
          />
          <datalist id="tenant-timezones">
            {timeZones.map((z) => (
              <option key={z} value={z} />
            ))}
          </datalist>
          {fieldErrors?.timeZone ? <p className="mt-1 text-xs text-red-600">{fieldErrors.timeZone[0]}</p> : null}
        </div>
        <Field
          id="tenant-budget"
          name="budget"
          label={t("settings.general.budget")}
          inputMode="decimal"
          placeholder={t("settings.general.noBudget")}
          defaultValue={data.monthlyBudgetMicros === null ? "" : microsToUsdInput(data.monthlyBudgetMicros)}
          error={fieldErrors?.monthlyBudgetUsd?.[0]}
        />
        <div className="flex items-center gap-3 sm:col-span-2">
          <Button type="submit" disabled={update.isPending}>
            {update.isPending ? t("common.saving") : t("common.save")}
          </Button>
          <Saved show={saved && !update.isPending} />
        </div>
        <div className="sm:col-span-2">
          <FormError message={error ?? (update.error && !fieldErrors ? update.error.message : null)} />
        </div>
      </form>
    </Card>
  );
}

export function WebhookSettings({ tenantId }: { tenantId: string }) {
  const t = useT();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { data } = useSuspenseQuery(trpc.settings.get.queryOptions({ tenantId }));
  const [secret, setSecret] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const invalidate = () => queryClient.invalidateQueries(trpc.settings.get.queryFilter({ tenantId }));
  const update = useMutation(
    trpc.settings.update.mutationOptions({
      onSuccess: async () => {
        setSaved(true);
        await invalidate();
      },
    }),
  );
  const rotate = useMutation(
    trpc.settings.rotateWebhookSecret.mutationOptions({
      onSuccess: async (r) => {
        setSecret(r.secret);
        await invalidate();
      },
    }),
  );
  // The message holds a {header} placeholder where the header name goes, rendered as <code>.
  const [descriptionBefore = "", descriptionAfter = ""] = t("settings.webhook.description").split("{header}");
  return (
    <Card>
      <CardHeader
        title={t("settings.webhook.title")}
        description={
          <>
            {descriptionBefore}
            <code className="font-mono">x-metergate-signature</code>
            {descriptionAfter}
          </>
        }
      />
      <form
        className="flex flex-wrap items-end gap-2"
        aria-label={t("settings.webhook.form")}
        onSubmit={(e) => {
          e.preventDefault();
          setSaved(false);
          const url = String(new FormData(e.currentTarget).get("webhookUrl") ?? "").trim();
          update.mutate({ tenantId, webhookUrl: url || null });
        }}
      >
        <Field
          id="webhook-url"
          name="webhookUrl"
          type="url"
          label={t("settings.webhook.url")}
          placeholder="https://example.com/hooks/metergate"
          defaultValue={data.webhookUrl ?? ""}
          className="min-w-64 flex-1"
          error={update.error?.data?.zodError?.fieldErrors.webhookUrl?.[0]}
        />
        <Button type="submit" disabled={update.isPending}>
          {t("settings.webhook.saveUrl")}
        </Button>
        <Saved show={saved && !update.isPending} />
      </form>
      <div className="mt-4 flex flex-wrap items-center gap-3 text-sm">
        <span>
          {t("settings.webhook.secret")}{" "}
          <strong data-testid="webhook-secret-state">{data.hasWebhookSecret ? t("settings.webhook.set") : t("settings.webhook.notSet")}</strong>
        </span>
        <Button
          variant="secondary"
          disabled={rotate.isPending}
          onClick={() => {
            if (!data.hasWebhookSecret || window.confirm(t("settings.webhook.confirmRotate"))) {
              rotate.mutate({ tenantId });
            }
          }}
        >
          {data.hasWebhookSecret ? t("settings.webhook.rotate") : t("settings.webhook.generate")}
        </Button>
      </div>
      {secret ? (
        <div role="dialog" aria-label={t("settings.webhook.newSecret")} className="mt-3 rounded-xl border border-emerald-300 bg-emerald-50 p-3 dark:border-emerald-800 dark:bg-emerald-950/40">
          <p className="text-sm text-emerald-900 dark:text-emerald-200">{t("settings.webhook.copyNow")}</p>
          <div className="mt-2 flex items-center gap-2">
            <code data-testid="webhook-secret" className="min-w-0 flex-1 truncate rounded-lg bg-white px-3 py-2 font-mono text-xs ring-1 ring-zinc-200 dark:bg-zinc-950 dark:ring-zinc-800">
              {secret}
            </code>
            <CopyButton text={secret} />
            <Button variant="ghost" onClick={() => setSecret(null)}>
              {t("common.done")}
            </Button>
          </div>
        </div>
      ) : null}
      <FormError message={rotate.error?.message ?? (update.error && !update.error.data?.zodError ? update.error.message : null)} />
    </Card>
  );
}
