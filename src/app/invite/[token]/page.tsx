import type { Metadata } from "next";
import Link from "next/link";
import { AuthCard } from "~/components/auth/auth-card";
import { AcceptInvitation } from "~/components/members/accept-invitation";
import { buttonClass } from "~/components/ui/button";
import { getT } from "~/i18n/server";
import { requireSession } from "~/server/auth/require";
import { serverCaller } from "~/trpc/server";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t("page.invitation") };
}
export const dynamic = "force-dynamic";

/**
 * An invitation link. A link that can be accepted shows its tenant, role, inviter and expiry; every
 * other token (unknown, used, expired, withdrawn) gets the same "not valid" page; one bound to
 * another email address says only that.
 */
export default async function InvitationPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const session = await requireSession(`/invite/${encodeURIComponent(token)}`);
  const [{ t, f }, invitation] = await Promise.all([getT(), serverCaller().then((caller) => caller.invitation.preview({ token: token.slice(0, 500) }))]);
  const email = session.user.email ?? "";
  const dashboard = (
    <Link href="/dashboard" className={buttonClass("secondary", "w-full")}>
      {t("invite.toDashboard")}
    </Link>
  );

  if (invitation.status === "invalid") {
    return (
      <AuthCard title={t("invite.invalid.title")} subtitle={t("invite.invalid.body")} footer={t("invite.footer")}>
        <div data-testid="invitation-invalid">{dashboard}</div>
      </AuthCard>
    );
  }
  if (invitation.status === "otherEmail") {
    return (
      <AuthCard title={t("invite.otherEmail.title")} subtitle={t("invite.otherEmail.body", { email })} footer={t("invite.footer")}>
        <div data-testid="invitation-other-email">{dashboard}</div>
      </AuthCard>
    );
  }
  const row = "flex flex-wrap justify-between gap-x-4 gap-y-0.5";
  return (
    <AuthCard
      title={t("invite.titleTenant", { tenant: invitation.tenantName })}
      subtitle={t("invite.subtitleValid", { email })}
      footer={t("invite.footer")}
    >
      <dl className="mb-5 space-y-2 text-sm" data-testid="invitation-details">
        <div className={row}>
          <dt className="text-zinc-500 dark:text-zinc-400">{t("invite.tenant")}</dt>
          <dd className="min-w-0 break-words font-medium" data-testid="tenant-name">{invitation.tenantName}</dd>
        </div>
        <div className={row}>
          <dt className="text-zinc-500 dark:text-zinc-400">{t("invite.role")}</dt>
          <dd className="font-medium">{t(`role.${invitation.role}`)}</dd>
        </div>
        {invitation.inviter ? (
          <div className={row}>
            <dt className="text-zinc-500 dark:text-zinc-400">{t("invite.invitedBy")}</dt>
            <dd className="min-w-0 break-all">{invitation.inviter}</dd>
          </div>
        ) : null}
        <div className={row}>
          <dt className="text-zinc-500 dark:text-zinc-400">{t("invite.expires")}</dt>
          <dd className="tabular-nums">{f.dateTime(invitation.expiresAt)}</dd>
        </div>
        {invitation.email ? (
          <div className={row}>
            <dt className="text-zinc-500 dark:text-zinc-400">{t("invite.forEmail")}</dt>
            <dd className="min-w-0 break-all">{invitation.email}</dd>
          </div>
        ) : null}
      </dl>
      {invitation.currentRole ? (
        <p className="mb-4 text-xs text-zinc-600 dark:text-zinc-400">{t("invite.currentRole", { role: t(`role.${invitation.currentRole}`) })}</p>
      ) : null}
      <AcceptInvitation token={token} />
    </AuthCard>
  );
}
