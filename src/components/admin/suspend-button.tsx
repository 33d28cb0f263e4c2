"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useT } from "~/i18n/client";
import { useTRPC } from "~/trpc/react";
import { Button } from "../ui/button";

/** Suspends (keys are then refused) or reinstates a tenant; the server audits it. */
export function SuspendButton({ tenantId, name, suspended }: { tenantId: string; name: string; suspended: boolean }) {
  const trpc = useTRPC();
  const t = useT();
  const queryClient = useQueryClient();
  const mutation = useMutation(
    trpc.admin.setSuspended.mutationOptions({
      onSuccess: async () => {
        await Promise.all([
          queryClient.invalidateQueries(trpc.admin.tenants.queryFilter()),
          queryClient.invalidateQueries(trpc.admin.tenant.queryFilter()),
        ]);
      },
    }),
  );
  return (
    <Button
      variant={suspended ? "secondary" : "danger"}
      disabled={mutation.isPending}
      data-testid={`suspend-${tenantId}`}
      onClick={() => {
        if (!suspended && !window.confirm(t("admin.confirmSuspend", { name }))) return;
        mutation.mutate({ tenantId, suspended: !suspended });
      }}
    >
      {suspended ? t("admin.unsuspend") : t("admin.suspend")}
    </Button>
  );
}
