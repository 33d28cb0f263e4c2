"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import type { RouterOutputs } from "~/trpc/types";
import { useFormat, useT } from "~/i18n/client";
import { useTRPC } from "~/trpc/react";
import { CopyButton } from "../dashboard/copy-button";
import { Button } from "../ui/button";
import { Card, CardHeader } from "../ui/card";
import { cn } from "../ui/cn";
import { FormError, inputClass } from "../ui/field";

type MemberRole = RouterOutputs["member"]["list"][number]["role"];

const ROLE_OPTIONS: readonly MemberRole[] = ["OWNER", "ADMIN", "MEMBER", "VIEWER"];

function RoleSelect({
  id,
  value,
  onChange,
  allowOwner,
  disabled,
}: {
  id: string;
  value: MemberRole;
  onChange: (role: MemberRole) => void;
  allowOwner: boolean;
  disabled?: boolean;
}) {
  const t = useT();
  return (
    <select
      id={id}
      value={value}
      disabled={disabled}
      onChange={(e) => onChange(e.target.value as MemberRole)}
      className={cn(inputClass, "w-32")}
    >
      {ROLE_OPTIONS.filter((o) => allowOwner || o !== "OWNER" || value === "OWNER").map((o) => (
        <option key={o} value={o}>
          {t(`role.${o}`)}
        </option>
      ))}
    </select>
  );
}

function InviteForm({ tenantId, isOwner }: { tenantId: string; isOwner: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const t = useT();
  const [role, setRole] = useState<MemberRole>("MEMBER");
  const [email, setEmail] = useState("");
  const [origin, setOrigin] = useState("");
  useEffect(() => setOrigin(window.location.origin), []);
  const create = useMutation(
    trpc.invitation.create.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(trpc.invitation.list.queryFilter({ tenantId })),
    }),
  );
  const link = create.data ? `${origin}/invite/${create.data.token}` : null;
  const emailError = create.error?.data?.zodError?.fieldErrors.email?.[0];
  return (
    <div className="space-y-3 rounded-xl bg-zinc-50 p-4 dark:bg-zinc-950/50">
      <div className="flex flex-wrap items-end gap-2">
        <div>
          <label htmlFor="invite-role" className="block text-sm font-medium text-zinc-700 dark:text-zinc-300">
            {t("members.inviteWithRole")}
          </label>
          <div className="mt-1.5">
            <RoleSelect id="invite-role" value={role} onChange={setRole} allowOwner={isOwner} />
          </div>
        </div>
        <div className="min-w-0 flex-1 basis-56">
          <label htmlFor="invite-email" className="block text-sm font-medium text-zinc-700 dark:text-zinc-300">
            {t("members.inviteEmail")}
          </label>
          <input
            id="invite-email"
            type="email"
            autoComplete="off"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            aria-invalid={emailError ? true : undefined}
            aria-describedby={emailError ? "invite-email-error" : undefined}
            className={cn(inputClass, "mt-1.5 w-full")}
          />
        </div>
        <Button onClick={() => create.mutate({ tenantId, role, ...(email.trim() ? { email: email.trim() } : {}) })} disabled={create.isPending}>
          {t("members.createInvite")}
        </Button>
      </div>
      <p className="text-xs text-zinc-500 dark:text-zinc-400">{t("members.inviteHelp")} {t("members.roleHelp")}</p>
      {emailError ? (
        <p id="invite-email-error" className="text-xs text-red-600 dark:text-red-400">
          {emailError}
        </p>
      ) : (
        <FormError message={create.error?.message} />
      )}
      {link ? <InviteLink link={link} testId="invite-link" /> : null}
    </div>
  );
}

/** An invitation link with its Copy button. */
function InviteLink({ link, testId }: { link: string; testId: string }) {
  return (
    <div className="flex items-center gap-2">
      <code
        data-testid={testId}
        className="min-w-0 flex-1 truncate rounded-lg bg-white px-3 py-2 font-mono text-xs ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800"
      >
        {link}
      </code>
      <CopyButton text={link} />
    </div>
  );
}

function PendingInvitations({ tenantId }: { tenantId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const t = useT();
  const f = useFormat();
  const invitations = useQuery(trpc.invitation.list.queryOptions({ tenantId }));
  const revoke = useMutation(
    trpc.invitation.revoke.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(trpc.invitation.list.queryFilter({ tenantId })),
    }),
  );
  const copyLink = useMutation(trpc.invitation.copyLink.mutationOptions());
  /** Links shown again, by invitation id (fetched on request: each showing is audited). */
  const [links, setLinks] = useState<Record<string, string>>({});
  const [origin, setOrigin] = useState("");
  useEffect(() => setOrigin(window.location.origin), []);
  if (!invitations.data?.length) return null;
  return (
    <div>
      <h3 className="text-sm font-medium text-zinc-700 dark:text-zinc-300">{t("members.pending")}</h3>
      <FormError message={copyLink.error?.message ?? revoke.error?.message} />
      <ul className="mt-2 divide-y divide-zinc-100 text-sm dark:divide-zinc-800" data-testid="pending-invitations">
        {invitations.data.map((inv) => (
          <li key={inv.id} className="space-y-2 py-2" data-invitation-id={inv.id}>
            <div className="flex flex-wrap items-center justify-between gap-x-3 gap-y-1">
              <span className="min-w-0 break-words">
                {t("members.expires", { role: t(`role.${inv.role}`), date: f.dateTime(inv.expiresAt) })}
                {inv.email ? <> · {t("members.pendingFor", { email: inv.email })}</> : null}
                {inv.invitedBy ? (
                  <span className="block text-xs text-zinc-500 dark:text-zinc-400">{t("members.invitedBy", { name: inv.invitedBy })}</span>
                ) : null}
              </span>
              <span className="flex flex-wrap gap-2">
                {inv.link === "available" && !links[inv.id] ? (
                  <Button
                    variant="secondary"
                    disabled={copyLink.isPending}
                    onClick={() =>
                      copyLink.mutate(
                        { tenantId, invitationId: inv.id },
                        { onSuccess: ({ token }) => setLinks((shown) => ({ ...shown, [inv.id]: `${origin}/invite/${token}` })) },
                      )
                    }
                  >
                    {t("members.showLink")}
                  </Button>
                ) : null}
                <Button variant="ghost" onClick={() => revoke.mutate({ tenantId, invitationId: inv.id })}>
                  {t("members.withdraw")}
                </Button>
              </span>
            </div>
            {links[inv.id] ? <InviteLink link={links[inv.id]!} testId="pending-invite-link" /> : null}
            {inv.link === "notKept" ? <p className="text-xs text-zinc-500 dark:text-zinc-400">{t("members.linkNotKept")}</p> : null}
          </li>
        ))}
      </ul>
    </div>
  );
}

export function MembersPanel({ tenantId, myRole }: { tenantId: string; myRole: MemberRole }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const t = useT();
  const members = useQuery(trpc.member.list.queryOptions({ tenantId }));
  const invalidate = () => queryClient.invalidateQueries(trpc.member.list.queryFilter({ tenantId }));
  const updateRole = useMutation(trpc.member.updateRole.mutationOptions({ onSuccess: invalidate }));
  const remove = useMutation(trpc.member.remove.mutationOptions({ onSuccess: invalidate }));
  const isAdmin = myRole === "ADMIN" || myRole === "OWNER";

  return (
    <Card>
      <CardHeader title={t("members.title")} description={t("members.roleHelp")} />
      <div className="space-y-4">
        <FormError message={updateRole.error?.message ?? remove.error?.message} />
        <ul className="divide-y divide-zinc-100 dark:divide-zinc-800" data-testid="member-list">
          {(members.data ?? []).map((m) => (
            <li key={m.userId} className="flex flex-wrap items-center gap-3 py-3" data-member-email={m.email}>
              <div className="min-w-0 flex-1">
                <p className="truncate font-medium">
                  {m.name ?? m.email}
                  {m.isSelf ? <span className="ml-2 text-xs font-normal text-zinc-500 dark:text-zinc-400">{t("common.you")}</span> : null}
                </p>
                {m.name ? <p className="truncate text-xs text-zinc-500 dark:text-zinc-400">{m.email}</p> : null}
              </div>
              {m.canManage ? (
                <>
                  <label htmlFor={`role-${m.userId}`} className="sr-only">
                    {t("members.roleOf", { email: m.email })}
                  </label>
                  <RoleSelect
                    id={`role-${m.userId}`}
                    value={m.role}
                    allowOwner={myRole === "OWNER"}
                    disabled={updateRole.isPending}
                    onChange={(role) => updateRole.mutate({ tenantId, userId: m.userId, role })}
                  />
                  {!m.isSelf ? (
                    <Button
                      variant="danger"
                      disabled={remove.isPending}
                      onClick={() => {
                        if (window.confirm(t("members.confirmRemove", { email: m.email }))) remove.mutate({ tenantId, userId: m.userId });
                      }}
                    >
                      {t("members.remove")}
                    </Button>
                  ) : null}
                </>
              ) : (
                <span className="rounded-full bg-zinc-100 px-2.5 py-0.5 text-xs font-medium dark:bg-zinc-800">
                  {t(`role.${m.role}`)}
                </span>
              )}
            </li>
          ))}
        </ul>
        {isAdmin ? (
          <>
            <InviteForm tenantId={tenantId} isOwner={myRole === "OWNER"} />
            <PendingInvitations tenantId={tenantId} />
          </>
        ) : null}
      </div>
    </Card>
  );
}
