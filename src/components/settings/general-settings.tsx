"use client";

import { useMutation, useQueryClient, useSuspenseQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { isUsdAmount, microsToUsdInput } from "~/lib/money";
import { useTRPC } from "~/trpc/react";
import { CopyButton } from "../dashboard/copy-button";
import { Button } from "../ui/button";
import { Card, CardHeader } from "../ui/card";
import { cn } from "../ui/cn";
import { Field, FormError, inputClass } from "../ui/field";

function Saved({ show }: { show: boolean }) {
  return show ? (
    <span role="status" className="text-sm text-emerald-700 dark:text-emerald-400">
      Saved.
    </span>
  ) : null;
}

export function GeneralSettings({ tenantId, timeZones }: { tenantId: string; timeZones: readonly string[] }) {
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
      setError("The budget is a dollar amount such as 500 or 12.50");
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
        title="Time zone and budget"
        description="Days, weeks and months (dashboards, spend caps, the budget) are counted in the tenant's time zone."
      />
      <form onSubmit={onSubmit} className="grid gap-4 sm:grid-cols-2" aria-label="Time zone and budget">
        <div>
          <label htmlFor="tenant-timezone" className="block text-sm font-medium text-zinc-700 dark:text-zinc-300">
            Time zone
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
          label="Monthly budget over all keys (USD, empty = none)"
          inputMode="decimal"
          placeholder="No budget"
          defaultValue={data.monthlyBudgetMicros === null ? "" : microsToUsdInput(data.monthlyBudgetMicros)}
          error={fieldErrors?.monthlyBudgetUsd?.[0]}
        />
        <div className="flex items-center gap-3 sm:col-span-2">
          <Button type="submit" disabled={update.isPending}>
            {update.isPending ? "Saving…" : "Save"}
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
  return (
    <Card>
      <CardHeader
        title="Alert webhook"
        description={
          <>
            At 80% and 100% of a key&apos;s spend cap or the tenant budget, Metergate POSTs a JSON alert here, signed with
            HMAC-SHA256 of the body in the <code className="font-mono">x-metergate-signature</code> header.
          </>
        }
      />
      <form
        className="flex flex-wrap items-end gap-2"
        aria-label="Webhook URL"
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
          label="Webhook URL (empty = off)"
          placeholder="https://example.com/hooks/metergate"
          defaultValue={data.webhookUrl ?? ""}
          className="min-w-64 flex-1"
          error={update.error?.data?.zodError?.fieldErrors.webhookUrl?.[0]}
        />
        <Button type="submit" disabled={update.isPending}>
          Save URL
        </Button>
        <Saved show={saved && !update.isPending} />
      </form>
      <div className="mt-4 flex flex-wrap items-center gap-3 text-sm">
        <span>
          Signing secret:{" "}
          <strong data-testid="webhook-secret-state">{data.hasWebhookSecret ? "set" : "not set"}</strong>
        </span>
        <Button
          variant="secondary"
          disabled={rotate.isPending}
          onClick={() => {
            if (!data.hasWebhookSecret || window.confirm("Generate a new secret? The current one stops being used at once.")) {
              rotate.mutate({ tenantId });
            }
          }}
        >
          {data.hasWebhookSecret ? "Generate a new secret" : "Generate secret"}
        </Button>
      </div>
      {secret ? (
        <div role="dialog" aria-label="New webhook secret" className="mt-3 rounded-xl border border-emerald-300 bg-emerald-50 p-3 dark:border-emerald-800 dark:bg-emerald-950/40">
          <p className="text-sm text-emerald-900 dark:text-emerald-200">Copy it now: it is shown only once.</p>
          <div className="mt-2 flex items-center gap-2">
            <code data-testid="webhook-secret" className="min-w-0 flex-1 truncate rounded-lg bg-white px-3 py-2 font-mono text-xs ring-1 ring-zinc-200 dark:bg-zinc-950 dark:ring-zinc-800">
              {secret}
            </code>
            <CopyButton text={secret} />
            <Button variant="ghost" onClick={() => setSecret(null)}>
              Done
            </Button>
          </div>
        </div>
      ) : null}
      <FormError message={rotate.error?.message ?? (update.error && !update.error.data?.zodError ? update.error.message : null)} />
    </Card>
  );
}
