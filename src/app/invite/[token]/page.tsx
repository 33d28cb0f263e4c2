import type { Metadata } from "next";
import { AuthCard } from "~/components/auth/auth-card";
import { AcceptInvitation } from "~/components/members/accept-invitation";
import { getT } from "~/i18n/server";
import { requireSession } from "~/server/auth/require";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT()).t("page.invitation") };
}
export const dynamic = "force-dynamic";

/** An invitation link. The token is checked when accepted, so the page reveals nothing about it. */
export default async function InvitationPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const session = await requireSession(`/invite/${encodeURIComponent(token)}`);
  const { t } = await getT();
  return (
    <AuthCard
      title={t("invite.title")}
      subtitle={t("invite.subtitle", { email: session.user.email ?? "" })}
      footer={t("invite.footer")}
    >
      <AcceptInvitation token={token} />
    </AuthCard>
  );
}
