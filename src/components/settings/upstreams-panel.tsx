"use client";

import { useMutation, useQueryClient, useSuspenseQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useT } from "~/i18n/client";
import type { RouterOutputs } from "~/trpc/types";
import { useTRPC } from "~/trpc/react";
import { Button } from "../ui/button";
import { Card, CardHeader } from "../ui/card";
import { cn } from "../ui/cn";
import { Field, FormError, inputClass } from "../ui/field";

type UpstreamRow = RouterOutputs["upstream"]["list"][number];
type Provider = UpstreamRow["provider"];

const DEFAULT_URL: Record<Provider, string> = { ANTHROPIC: "https://api.anthropic.com", OPENAI: "https://api.openai.com" };

function UpstreamForm({
  tenantId,
  existing,
  onDone,
}: {
  tenantId: string;
  existing: UpstreamRow | null;
  onDone: () => void;
}) {
  const t = useT();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [provider, setProvider] = useState<Provider>(existing?.provider ?? "ANTHROPIC");
  const onSuccess = async () => {
    await queryClient.invalidateQueries(trpc.upstream.list.queryFilter({ tenantId }));
    onDone();
  };
  const create = useMutation(trpc.upstream.create.mutationOptions({ onSuccess }));
  const update = useMutation(trpc.upstream.update.mutationOptions({ onSuccess }));
  const error = create.error ?? update.error;
  const fe = error?.data?.zodError?.fieldErrors;
  const idp = existing ? `up-${existing.id}` : "up-new";

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const v = (n: string) => String(f.get(n) ?? "").trim();
    const fields = {
      tenantId,
      name: v("name"),
      provider,
      baseUrl: v("baseUrl"),
      models: v("models").split(/[\s,]+/).filter(Boolean),
      priority: Number(v("priority") || "0"),
      enabled: f.get("enabled") === "on",
    };
    const credential = v("credential");
    if (existing) update.mutate({ ...fields, upstreamId: existing.id, ...(credential ? { credential } : {}) });
    else create.mutate({ ...fields, credential });
  }

  return (
    <form
      onSubmit={onSubmit}
      aria-label={existing ? t("settings.upstreams.formEdit", { name: existing.name }) : t("settings.upstreams.formAdd")}
      className="grid grid-cols-1 gap-3 rounded-xl border border-zinc-200 p-4 sm:grid-cols-2 lg:grid-cols-3 dark:border-zinc-800"
    >
      <Field id={`${idp}-name`} name="name" label={t("settings.upstreams.name")} required defaultValue={existing?.name} placeholder="anthropic-main" error={fe?.name?.[0]} />
      <div>
        <label htmlFor={`${idp}-provider`} className="block text-sm font-medium text-zinc-700 dark:text-zinc-300">
          {t("settings.upstreams.provider")}
        </label>
        <select
          id={`${idp}-provider`}
          value={provider}
          onChange={(e) => setProvider(e.target.value as Provider)}
          className={cn(inputClass, "mt-1.5 w-full")}
        >
          <option value="ANTHROPIC">{t("settings.upstreams.provider.ANTHROPIC")}</option>
          <option value="OPENAI">{t("settings.upstreams.provider.OPENAI")}</option>
        </select>
      </div>
      <Field
        id={`${idp}-baseUrl`}
        name="baseUrl"
        label={t("settings.upstreams.baseUrl")}
        type="url"
        required
        key={provider}
        defaultValue={existing?.baseUrl ?? DEFAULT_URL[provider]}
        error={fe?.baseUrl?.[0]}
      />
      <Field
        id={`${idp}-credential`}
        name="credential"
        label={existing ? t("settings.upstreams.credentialKeep") : t("settings.upstreams.credentialNew")}
        type="password"
        autoComplete="off"
        required={!existing}
        placeholder={existing ? t("settings.upstreams.credentialStoredPlaceholder") : "sk-…"}
        error={fe?.credential?.[0]}
      />
      <Field
        id={`${idp}-models`}
        name="models"
        label={t("settings.upstreams.models")}
        defaultValue={existing?.models.join(", ")}
        placeholder="claude-sonnet-*, claude-haiku-*"
        error={fe?.models?.[0]}
      />
      <Field
        id={`${idp}-priority`}
        name="priority"
        label={t("settings.upstreams.priority")}
        inputMode="numeric"
        defaultValue={String(existing?.priority ?? 0)}
        error={fe?.priority?.[0]}
      />
      <div className="flex items-center gap-2">
        <input
          id={`${idp}-enabled`}
          name="enabled"
          type="checkbox"
          defaultChecked={existing?.enabled ?? true}
          className="size-4 rounded border-zinc-300 text-indigo-600"
        />
        <label htmlFor={`${idp}-enabled`} className="text-sm font-medium">
          {t("settings.upstreams.enabled")}
        </label>
      </div>
      <div className="flex items-center gap-2 sm:col-span-2 lg:col-span-3">
        <Button type="submit" disabled={create.isPending || update.isPending}>
          {existing ? t("settings.upstreams.save") : t("settings.upstreams.add")}
        </Button>
        <Button variant="ghost" onClick={onDone}>
          {t("common.cancel")}
        </Button>
      </div>
      {error && !fe ? (
        <div className="sm:col-span-2 lg:col-span-3">
          <FormError message={error.message} />
        </div>
      ) : null}
    </form>
  );
}

export function UpstreamsPanel({ tenantId }: { tenantId: string }) {
  const t = useT();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { data: upstreams } = useSuspenseQuery(trpc.upstream.list.queryOptions({ tenantId }));
  const [editing, setEditing] = useState<string | "new" | null>(null);
  const remove = useMutation(
    trpc.upstream.delete.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(trpc.upstream.list.queryFilter({ tenantId })),
    }),
  );
  return (
    <Card>
      <CardHeader
        title={t("settings.upstreams.title")}
        description={t("settings.upstreams.description")}
        action={
          editing === null ? (
            <Button onClick={() => setEditing("new")} variant="secondary">
              {t("settings.upstreams.add")}
            </Button>
          ) : null
        }
      />
      <div className="space-y-3">
        {editing === "new" ? <UpstreamForm tenantId={tenantId} existing={null} onDone={() => setEditing(null)} /> : null}
        {upstreams.length === 0 && editing !== "new" ? (
          <p className="text-sm text-zinc-500 dark:text-zinc-400">{t("settings.upstreams.empty")}</p>
        ) : null}
        <ul className="divide-y divide-zinc-100 dark:divide-zinc-800" data-testid="upstream-list">
          {upstreams.map((u) =>
            editing === u.id ? (
              <li key={u.id} className="py-3">
                <UpstreamForm tenantId={tenantId} existing={u} onDone={() => setEditing(null)} />
              </li>
            ) : (
              <li key={u.id} className="flex flex-wrap items-center gap-x-4 gap-y-2 py-3" data-upstream={u.name}>
                <div className="min-w-0 flex-1">
                  <div className="flex flex-wrap items-center gap-2">
                    <span className="font-medium">{u.name}</span>
                    <span className="rounded-full bg-zinc-100 px-2 py-0.5 text-xs dark:bg-zinc-800">{u.provider.toLowerCase()}</span>
                    <span className="text-xs text-zinc-500 dark:text-zinc-400">{t("settings.upstreams.priorityBadge", { priority: String(u.priority) })}</span>
                    {u.enabled ? null : (
                      <span className="rounded-full bg-amber-50 px-2 py-0.5 text-xs text-amber-800 dark:bg-amber-950 dark:text-amber-300">
                        {t("settings.upstreams.disabled")}
                      </span>
                    )}
                  </div>
                  <p className="mt-0.5 truncate text-xs text-zinc-500 dark:text-zinc-400">
                    <span className="font-mono">{u.baseUrl}</span>
                    {" · "}
                    {t("settings.upstreams.modelList", { models: u.models.length ? u.models.join(", ") : t("settings.upstreams.allModels") })}
                    {" · "}
                    {t("settings.upstreams.credentialStored")}
                    {" · "}
                    {t(u.boundKeys === 1 ? "settings.upstreams.boundKey" : "settings.upstreams.boundKeys", { count: u.boundKeys })}
                  </p>
                </div>
                <div className="flex gap-1.5">
                  <Button variant="ghost" onClick={() => setEditing(u.id)}>
                    {t("common.edit")}
                  </Button>
                  <Button
                    variant="danger"
                    disabled={remove.isPending}
                    onClick={() => {
                      if (window.confirm(t("settings.upstreams.confirmDelete", { name: u.name }))) {
                        remove.mutate({ tenantId, upstreamId: u.id });
                      }
                    }}
                  >
                    {t("common.delete")}
                  </Button>
                </div>
              </li>
            ),
          )}
        </ul>
        <FormError message={remove.error?.message} />
      </div>
    </Card>
  );
}
