import type { Metadata } from "next";
import { AuthCard } from "~/components/auth/auth-card";
import { AcceptInvitation } from "~/components/members/accept-invitation";
import { requireSession } from "~/server/auth/require";

export const metadata: Metadata = { title: "Invitation" };
export const dynamic = "force-dynamic";

/** An invitation link. The token is checked when accepted, so the page reveals nothing about it. */
export default async function InvitationPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const session = await requireSession(`/invite/${encodeURIComponent(token)}`);
  return (
    <AuthCard
      title="Join a tenant"
      subtitle={`You were invited to a Metergate tenant. You are signed in as ${session.user.email}.`}
      footer="Not you? Sign out and open the link again."
    >
      <AcceptInvitation token={token} />
    </AuthCard>
  );
}
