"use client";

import { useMutation, useQueryClient, useSuspenseQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useFormat, useT } from "~/i18n/client";
import { useTRPC } from "~/trpc/react";
import { LIVE_REFRESH_MS } from "../live";
import { CopyButton } from "../dashboard/copy-button";
import { NewKeyNotice, type CreatedKey } from "../dashboard/new-key-notice";
import { Button } from "../ui/button";
import { Card } from "../ui/card";
import { cn } from "../ui/cn";
import { Field, FormError, inputClass } from "../ui/field";

export function StatusBadge({ status }: { status: "active" | "revoked" | "expired" }) {
  const t = useT();
  const style = {
    active: "bg-emerald-50 text-emerald-700 dark:bg-emerald-950 dark:text-emerald-300",
    revoked: "bg-zinc-100 text-zinc-600 dark:bg-zinc-800 dark:text-zinc-400",
    expired: "bg-amber-50 text-amber-700 dark:bg-amber-950 dark:text-amber-300",
  }[status];
  return (
    <span data-testid="key-status" className={cn("rounded-full px-2 py-0.5 text-xs font-medium", style)}>
      {t(status === "active" ? "keys.status.active" : status === "revoked" ? "keys.status.revoked" : "keys.status.expired")}
    </span>
  );
}

export function TagList({ tags }: { tags: readonly string[] }) {
  const t = useT();
  if (tags.length === 0) return null;
  return (
    <ul className="flex flex-wrap gap-1" aria-label={t("keys.tags")}>
      {tags.map((tag) => (
        <li key={tag} className="rounded-md bg-indigo-50 px-1.5 py-0.5 font-mono text-xs text-indigo-700 dark:bg-indigo-950 dark:text-indigo-300">
          {tag}
        </li>
      ))}
    </ul>
  );
}

/** "ci, team:search  prod" → ["ci", "team:search", "prod"]. */
export function parseTags(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).map((t) => t.trim().toLowerCase()).filter(Boolean))];
}

function EditKeyForm({
  tenantId,
  keyId,
  name,
  description,
  tags,
  onDone,
}: {
  tenantId: string;
  keyId: string;
  name: string;
  description: string | null;
  tags: readonly string[];
  onDone: () => void;
}) {
  const t = useT();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const update = useMutation(
    trpc.apiKey.update.mutationOptions({
      onSuccess: async () => {
        await Promise.all([
          queryClient.invalidateQueries(trpc.apiKey.get.queryFilter({ tenantId, keyId })),
          queryClient.invalidateQueries(trpc.apiKey.list.queryFilter({ tenantId })),
        ]);
        onDone();
      },
    }),
  );
  const fieldErrors = update.error?.data?.zodError?.fieldErrors;
  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    update.mutate({
      tenantId,
      keyId,
      name: String(form.get("name") ?? ""),
      description: String(form.get("description") ?? ""),
      tags: parseTags(String(form.get("tags") ?? "")),
    });
  }
  return (
    <form onSubmit={onSubmit} className="mt-4 grid gap-3 sm:grid-cols-2" aria-label={t("keys.editForm")}>
      <Field id="key-name" name="name" label={t("keys.field.name")} defaultValue={name} required maxLength={80} error={fieldErrors?.name?.[0]} />
      <Field
        id="key-tags"
        name="tags"
        label={t("keys.field.tags")}
        defaultValue={tags.join(", ")}
        placeholder="ci, team:search"
        error={fieldErrors?.tags?.[0]}
      />
      <div className="sm:col-span-2">
        <label htmlFor="key-description" className="block text-sm font-medium text-zinc-700 dark:text-zinc-300">
          {t("keys.field.description")}
        </label>
        <textarea
          id="key-description"
          name="description"
          defaultValue={description ?? ""}
          maxLength={500}
          rows={2}
          className={cn(inputClass, "mt-1.5 w-full")}
        />
      </div>
      <div className="flex gap-2 sm:col-span-2">
        <Button type="submit" disabled={update.isPending}>
          {update.isPending ? t("common.saving") : t("common.save")}
        </Button>
        <Button variant="ghost" onClick={onDone}>
          {t("common.cancel")}
        </Button>
      </div>
      {update.error && !update.error.data?.zodError ? (
        <div className="sm:col-span-2">
          <FormError message={update.error.message} />
        </div>
      ) : null}
    </form>
  );
}

export function KeyHeader({ tenantId, keyId }: { tenantId: string; keyId: string }) {
  const t = useT();
  const f = useFormat();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // Refetched so "Last used" follows the flush without a reload.
  const { data: key } = useSuspenseQuery({ ...trpc.apiKey.get.queryOptions({ tenantId, keyId }), refetchInterval: LIVE_REFRESH_MS });
  const [editing, setEditing] = useState(false);
  const [rotated, setRotated] = useState<CreatedKey | null>(null);
  const invalidate = () =>
    Promise.all([
      queryClient.invalidateQueries(trpc.apiKey.get.queryFilter({ tenantId, keyId })),
      queryClient.invalidateQueries(trpc.apiKey.limitUse.queryFilter({ tenantId, keyId })),
      queryClient.invalidateQueries(trpc.apiKey.list.queryFilter({ tenantId })),
    ]);
  const rotate = useMutation(
    trpc.apiKey.rotate.mutationOptions({
      onSuccess: async (k) => {
        setRotated({ id: k.id, name: k.name, secret: k.secret, rotated: true });
        await invalidate();
      },
    }),
  );
  const revoke = useMutation(trpc.apiKey.revoke.mutationOptions({ onSuccess: invalidate }));

  return (
    <Card>
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div className="min-w-0">
          <div className="flex flex-wrap items-center gap-2">
            <h1 className="truncate text-2xl font-bold tracking-tight" data-testid="key-name">
              {key.name}
            </h1>
            <StatusBadge status={key.status} />
          </div>
          {key.description ? <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">{key.description}</p> : null}
          <div className="mt-2">
            <TagList tags={key.tags} />
          </div>
        </div>
        {key.canManage ? (
          <div className="flex flex-wrap gap-1.5">
            <Button variant="ghost" onClick={() => setEditing((v) => !v)} aria-expanded={editing}>
              {t("common.edit")}
            </Button>
            {key.status !== "revoked" ? (
              <>
                <Button
                  variant="secondary"
                  disabled={rotate.isPending}
                  onClick={() => {
                    if (window.confirm(t("keys.confirmRotate", { name: key.name }))) {
                      rotate.mutate({ tenantId, keyId });
                    }
                  }}
                >
                  {t("keys.rotate")}
                </Button>
                <Button
                  variant="danger"
                  disabled={revoke.isPending}
                  onClick={() => {
                    if (window.confirm(t("keys.confirmRevoke", { name: key.name }))) revoke.mutate({ tenantId, keyId });
                  }}
                >
                  {t("keys.revoke")}
                </Button>
              </>
            ) : null}
          </div>
        ) : null}
      </div>
      {editing ? (
        <EditKeyForm
          tenantId={tenantId}
          keyId={keyId}
          name={key.name}
          description={key.description}
          tags={key.tags}
          onDone={() => setEditing(false)}
        />
      ) : null}
      {rotated ? (
        <div className="mt-4">
          <NewKeyNotice createdKey={rotated} onDone={() => setRotated(null)} />
        </div>
      ) : null}
      <FormError message={rotate.error?.message ?? revoke.error?.message} />
      <dl className="mt-5 grid grid-cols-1 gap-x-6 gap-y-3 text-sm sm:grid-cols-2 lg:grid-cols-3">
        <div className="min-w-0">
          <dt className="text-xs text-zinc-500 dark:text-zinc-400">{t("keys.apiIdPublic")}</dt>
          <dd className="mt-0.5 flex items-center gap-2">
            <code className="truncate font-mono text-xs" data-testid="key-api-id">
              {key.id}
            </code>
            <CopyButton text={key.id} />
          </dd>
        </div>
        <div>
          <dt className="text-xs text-zinc-500 dark:text-zinc-400">{t("keys.prefix")}</dt>
          <dd className="mt-0.5 font-mono text-xs">{key.keyPrefix}…</dd>
        </div>
        <div>
          <dt className="text-xs text-zinc-500 dark:text-zinc-400">{t("keys.created")}</dt>
          <dd className="mt-0.5">
            {f.dateTime(key.createdAt)}
            {key.createdByEmail ? (
              <span className="text-zinc-500 dark:text-zinc-400"> {t("keys.createdBy", { email: key.createdByEmail })}</span>
            ) : null}
          </dd>
        </div>
        <div>
          <dt className="text-xs text-zinc-500 dark:text-zinc-400">{t("keys.lastUsed")}</dt>
          <dd className="mt-0.5" data-testid="key-last-used">
            {f.dateTime(key.lastUsedAt)}
          </dd>
        </div>
        <div>
          <dt className="text-xs text-zinc-500 dark:text-zinc-400">{t("keys.expires")}</dt>
          <dd className="mt-0.5">{key.effectiveExpiresAt ? f.dateTime(key.effectiveExpiresAt) : t("common.never")}</dd>
        </div>
        <div>
          <dt className="text-xs text-zinc-500 dark:text-zinc-400">{t("keys.upstream")}</dt>
          <dd className="mt-0.5">{key.upstream ? `${key.upstream.name} (${key.upstream.provider.toLowerCase()})` : t("keys.upstreamDefault")}</dd>
        </div>
      </dl>
    </Card>
  );
}
