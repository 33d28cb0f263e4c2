"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import type { FormEvent } from "react";
import { useT } from "~/i18n/client";
import { useTRPC } from "~/trpc/react";
import { Button } from "../ui/button";
import { Field, FormError } from "../ui/field";

export function CreateTenantForm({ compact = false }: { compact?: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const t = useT();
  const queryClient = useQueryClient();
  const create = useMutation(
    trpc.tenant.create.mutationOptions({
      onSuccess: async (tenant) => {
        await queryClient.invalidateQueries(trpc.tenant.mine.queryFilter());
        router.push(`/dashboard/${tenant.id}`);
      },
    }),
  );

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    create.mutate({ name: String(new FormData(event.currentTarget).get("tenantName") ?? "") });
  }

  return (
    <form onSubmit={onSubmit} className={compact ? "flex items-end gap-2" : "space-y-4"}>
      <Field
        id="tenantName"
        name="tenantName"
        label={t("tenant.name")}
        placeholder={t("tenant.namePlaceholder")}
        required
        maxLength={80}
        className={compact ? "flex-1" : undefined}
        error={create.error?.data?.zodError?.fieldErrors.name?.[0]}
      />
      {create.error && !create.error.data?.zodError ? <FormError message={create.error.message} /> : null}
      <Button type="submit" disabled={create.isPending}>
        {create.isPending ? t("tenant.pending") : t("tenant.submit")}
      </Button>
    </form>
  );
}
