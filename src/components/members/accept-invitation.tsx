"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useT } from "~/i18n/client";
import { useTRPC } from "~/trpc/react";
import { Button } from "../ui/button";
import { FormError } from "../ui/field";

export function AcceptInvitation({ token }: { token: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const t = useT();
  const accept = useMutation(
    trpc.invitation.accept.mutationOptions({
      onSuccess: ({ tenantId }) => router.push(`/dashboard/${tenantId}`),
    }),
  );
  return (
    <div className="space-y-4">
      <FormError message={accept.error?.message} />
      <Button className="w-full" onClick={() => accept.mutate({ token })} disabled={accept.isPending || accept.isSuccess}>
        {accept.isPending ? t("invite.pending") : t("invite.accept")}
      </Button>
    </div>
  );
}
