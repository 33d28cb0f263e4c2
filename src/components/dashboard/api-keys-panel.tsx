"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useMemo, useState, type FormEvent } from "react";
import { useFormat, useT } from "~/i18n/client";
import { useTRPC } from "~/trpc/react";
import { LIVE_REFRESH_MS } from "../live";
import { useHydrated } from "../hydration";
import { columnDigits, Money } from "../money";
import { bucketCodec, overviewInput, rangeCodec } from "../url-params";
import { useUrlParam } from "../url-state";
import { DEFAULT_RANGE, type RangeInput } from "~/lib/range";
import { Button } from "../ui/button";
import { Card, CardHeader } from "../ui/card";
import { Field, FormError, inputClass } from "../ui/field";
import { TagList } from "../keys/key-header";
import { cn } from "../ui/cn";
import { LiveMessage } from "../ui/live-message";
import { NewKeyNotice, type CreatedKey } from "./new-key-notice";

function CreateKeyForm({ tenantId, onCreated }: { tenantId: string; onCreated: (key: CreatedKey) => void }) {
  const t = useT();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const create = useMutation(
    trpc.apiKey.create.mutationOptions({
      onSuccess: (key) => {
        onCreated({ id: key.id, name: key.name, secret: key.secret });
        // Not awaited: the form is reset right after this returns, not after the list refetch,
        // or a slow refetch would clear a name typed for the next key meanwhile.
        void queryClient.invalidateQueries(trpc.apiKey.list.queryFilter({ tenantId }));
      },
    }),
  );

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    create.mutate(
      { tenantId, name: String(new FormData(form).get("keyName") ?? "") },
      { onSuccess: () => form.reset() },
    );
  }

  return (
    <form onSubmit={onSubmit} className="flex flex-wrap items-end gap-2">
      <Field
        id="keyName"
        name="keyName"
        label={t("keys.newName")}
        placeholder="ci-bot, alice-laptop…"
        required
        maxLength={80}
        className="min-w-48 flex-1"
        error={create.error?.data?.zodError?.fieldErrors.name?.[0]}
      />
      <Button type="submit" disabled={create.isPending}>
        {create.isPending ? t("keys.creating") : t("keys.create")}
      </Button>
      {create.error && !create.error.data?.zodError ? (
        <div className="w-full">
          <FormError message={create.error.message} />
        </div>
      ) : null}
    </form>
  );
}

type KeyStatusFilter = "all" | "active" | "expired" | "revoked";

/** The server's status of the key (src/keys/expiry.ts: revoked, expired by date or after first use, active). */
function KeyStatus({ status }: { status: Exclude<KeyStatusFilter, "all"> }) {
  const t = useT();
  const [label, style] =
    status === "revoked"
      ? (["keys.status.revoked", "bg-zinc-100 text-zinc-600 dark:bg-zinc-800 dark:text-zinc-400"] as const)
      : status === "expired"
        ? (["keys.status.expired", "bg-amber-50 text-amber-700 dark:bg-amber-950 dark:text-amber-300"] as const)
        : (["keys.status.active", "bg-emerald-50 text-emerald-700 dark:bg-emerald-950 dark:text-emerald-300"] as const);
  return <span className={`rounded-full px-2 py-0.5 text-xs font-medium ${style}`}>{t(label)}</span>;
}

function RenameKeyForm({ tenantId, keyId, name, onDone }: { tenantId: string; keyId: string; name: string; onDone: () => void }) {
  const t = useT();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const update = useMutation(
    trpc.apiKey.update.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries(trpc.apiKey.list.queryFilter({ tenantId }));
        onDone();
      },
    }),
  );
  return (
    <form
      className="flex flex-wrap items-center gap-2"
      onSubmit={(e) => {
        e.preventDefault();
        update.mutate({ tenantId, keyId, name: String(new FormData(e.currentTarget).get("name") ?? "") });
      }}
    >
      <label htmlFor={`rename-${keyId}`} className="sr-only">
        {t("keys.nameLabel")}
      </label>
      <input id={`rename-${keyId}`} name="name" defaultValue={name} maxLength={80} required autoFocus className={`${inputClass} w-full min-w-0 sm:w-56`} />
      <Button type="submit" variant="secondary" className="shrink-0" disabled={update.isPending}>
        {t("common.save")}
      </Button>
      <Button variant="ghost" className="shrink-0" onClick={onDone}>
        {t("common.cancel")}
      </Button>
      <LiveMessage urgent message={update.error?.message} className="w-full text-xs text-red-600 dark:text-red-400" />
    </form>
  );
}

function KeyActions(props: {
  name: string;
  busy: boolean;
  onRename: () => void;
  onRotate: () => void;
  onRevoke: () => void;
}) {
  const t = useT();
  return (
    <div className="flex gap-1.5">
      <Button variant="ghost" onClick={props.onRename}>
        {t("keys.rename")}
      </Button>
      <Button
        variant="secondary"
        disabled={props.busy}
        onClick={() => {
          if (window.confirm(t("keys.confirmRotate", { name: props.name }))) {
            props.onRotate();
          }
        }}
      >
        {t("keys.rotate")}
      </Button>
      <Button
        variant="danger"
        disabled={props.busy}
        onClick={() => {
          if (window.confirm(t("keys.confirmRevoke", { name: props.name }))) props.onRevoke();
        }}
      >
        {t("keys.revoke")}
      </Button>
    </div>
  );
}

export function ApiKeysPanel({ tenantId, canCreate }: { tenantId: string; canCreate: boolean }) {
  const t = useT();
  const f = useFormat();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [createdKey, setCreatedKey] = useState<CreatedKey | null>(null);
  const [renaming, setRenaming] = useState<string | null>(null);
  // "Last used" moves with each flush: refetch like the other live views.
  const keys = useQuery({ ...trpc.apiKey.list.queryOptions({ tenantId }), refetchInterval: LIVE_REFRESH_MS });
  // Spend per key over the dashboard's range: the usage overview's cache entry, read, never fetched
  // from here (the usage section streams it in and refetches it). Shown once hydrated: the server
  // may have rendered this list before or after the overview arrived.
  const [range] = useUrlParam<RangeInput>("range", rangeCodec, DEFAULT_RANGE);
  const [bucket] = useUrlParam<"hour" | "day" | undefined>("bucket", bucketCodec, undefined);
  const hydrated = useHydrated();
  const overviewQuery = useQuery({
    ...trpc.usage.overview.queryOptions(overviewInput(tenantId, range, bucket)),
    enabled: false,
    placeholderData: (previous) => previous,
  });
  const overview = hydrated ? overviewQuery.data : undefined;
  const spend = new Map((overview?.keySpend ?? []).map((k) => [k.apiKeyId, k.costMicros]));
  const spendDigits = columnDigits([...spend.values()]);
  const rangeLabel = range.kind === "custom" ? `${range.from} – ${range.to}` : t(`usage.range.${range.kind}`);
  const [search, setSearch] = useState("");
  const [statusFilter, setStatusFilter] = useState<KeyStatusFilter>("all");
  const [tagFilter, setTagFilter] = useState("");
  const allTags = useMemo(() => [...new Set((keys.data ?? []).flatMap((k) => k.tags))].sort(), [keys.data]);
  const shown = useMemo(() => {
    const q = search.trim().toLowerCase();
    return (keys.data ?? []).filter(
      (k) =>
        (!q || k.name.toLowerCase().includes(q) || k.keyPrefix.toLowerCase().includes(q) || k.id.includes(q)) &&
        (statusFilter === "all" || k.status === statusFilter) &&
        (!tagFilter || k.tags.includes(tagFilter)),
    );
  }, [keys.data, search, statusFilter, tagFilter]);
  const invalidateKeys = () => queryClient.invalidateQueries(trpc.apiKey.list.queryFilter({ tenantId }));
  const revoke = useMutation(trpc.apiKey.revoke.mutationOptions({ onSuccess: invalidateKeys }));
  const rotate = useMutation(
    trpc.apiKey.rotate.mutationOptions({
      onSuccess: async (key) => {
        setCreatedKey({ id: key.id, name: key.name, secret: key.secret, rotated: true });
        await invalidateKeys();
      },
    }),
  );

  return (
    <Card>
      <CardHeader
        title={t("keys.title")}
        description={t("keys.description")}
      />
      <div className="space-y-4">
        {createdKey ? (
          <NewKeyNotice
            createdKey={createdKey}
            onDone={() => setCreatedKey(null)}
            // After a new key: the name field, for the next one; after a rotation: the key's row.
            returnFocus={() =>
              createdKey.rotated
                ? document.querySelector<HTMLElement>(`[data-key-id="${createdKey.id}"] a`)
                : document.getElementById("keyName")
            }
          />
        ) : null}
        {canCreate ? <CreateKeyForm tenantId={tenantId} onCreated={setCreatedKey} /> : null}
        <FormError message={revoke.error?.message ?? rotate.error?.message} />
        {keys.data && keys.data.length > 0 ? (
          <div className="flex flex-wrap items-end gap-2" role="search" aria-label={t("keys.filter")}>
            <div className="min-w-48 flex-1">
              <label htmlFor="key-search" className="sr-only">
                {t("keys.search")}
              </label>
              <input
                id="key-search"
                type="search"
                value={search}
                onChange={(e) => setSearch(e.target.value)}
                placeholder={t("keys.searchPlaceholder")}
                className={cn(inputClass, "w-full")}
              />
            </div>
            <label htmlFor="key-status-filter" className="sr-only">
              {t("keys.status")}
            </label>
            <select
              id="key-status-filter"
              value={statusFilter}
              onChange={(e) => setStatusFilter(e.target.value as KeyStatusFilter)}
              className={inputClass}
            >
              <option value="all">{t("keys.status.all")}</option>
              <option value="active">{t("keys.status.active")}</option>
              <option value="expired">{t("keys.status.expired")}</option>
              <option value="revoked">{t("keys.status.revoked")}</option>
            </select>
            {allTags.length > 0 ? (
              <>
                <label htmlFor="key-tag-filter" className="sr-only">
                  {t("keys.tag")}
                </label>
                <select id="key-tag-filter" value={tagFilter} onChange={(e) => setTagFilter(e.target.value)} className={inputClass}>
                  <option value="">{t("keys.allTags")}</option>
                  {allTags.map((tag) => (
                    <option key={tag} value={tag}>
                      {tag}
                    </option>
                  ))}
                </select>
              </>
            ) : null}
          </div>
        ) : null}
        {keys.data && keys.data.length === 0 ? (
          <p className="py-4 text-center text-sm text-zinc-500 dark:text-zinc-400">{t("keys.empty")}</p>
        ) : null}
        {keys.data && keys.data.length > 0 && shown.length === 0 ? (
          <p className="py-4 text-center text-sm text-zinc-500 dark:text-zinc-400">{t("keys.noMatch")}</p>
        ) : null}
        <ul className="divide-y divide-zinc-100 dark:divide-zinc-800" data-testid="api-key-list">
          {shown.map((key) => (
            <li key={key.id} className="flex flex-wrap items-center gap-x-4 gap-y-2 py-3" data-key-id={key.id}>
              {/* On phones the name takes its own line, dates and actions wrap below it. */}
              <div className="min-w-0 flex-1 max-sm:basis-full">
                {renaming === key.id ? (
                  <RenameKeyForm tenantId={tenantId} keyId={key.id} name={key.name} onDone={() => setRenaming(null)} />
                ) : (
                  <div className="flex flex-wrap items-center gap-2">
                    <Link href={`/dashboard/${tenantId}/keys/${key.id}`} className="truncate font-medium hover:underline">
                      {key.name}
                    </Link>
                    <KeyStatus status={key.status} />
                    <TagList tags={key.tags} />
                  </div>
                )}
                <p className="mt-0.5 truncate text-xs text-zinc-500 dark:text-zinc-400">
                  <code className="font-mono">{key.keyPrefix}…</code> · {t("keys.apiId")}{" "}
                  <Link href={`/lookup?id=${key.id}`} className="font-mono underline decoration-zinc-400 underline-offset-2 hover:decoration-current">
                    {key.id}
                  </Link>
                </p>
              </div>
              <dl className="grid grid-cols-[auto_auto] gap-x-3 gap-y-0.5 text-xs text-zinc-500 dark:text-zinc-400">
                <dt>{t("keys.created")}</dt>
                <dd className="text-zinc-700 dark:text-zinc-300">{f.dateTime(key.createdAt)}</dd>
                <dt>{t("keys.lastUsed")}</dt>
                <dd className="text-zinc-700 dark:text-zinc-300" data-testid="key-last-used">{f.dateTime(key.lastUsedAt)}</dd>
                <dt>{t("keys.spend", { range: rangeLabel })}</dt>
                <dd className="text-right text-zinc-700 dark:text-zinc-300" data-testid="key-spend">
                  {overview ? <Money micros={spend.get(key.id) ?? 0} digits={spendDigits} /> : t("common.none")}
                </dd>
              </dl>
              {key.canManage && !key.revokedAt ? (
                <KeyActions
                  name={key.name}
                  busy={rotate.isPending || revoke.isPending}
                  onRename={() => setRenaming(key.id)}
                  onRotate={() => rotate.mutate({ tenantId, keyId: key.id })}
                  onRevoke={() => revoke.mutate({ tenantId, keyId: key.id })}
                />
              ) : null}
            </li>
          ))}
        </ul>
      </div>
    </Card>
  );
}
