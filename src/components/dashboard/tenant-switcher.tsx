"use client";

import { useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useT } from "~/i18n/client";
import { useTRPC } from "~/trpc/react";
import { inputClass } from "../ui/field";
import { cn } from "../ui/cn";

export function TenantSwitcher({ currentTenantId }: { currentTenantId: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const t = useT();
  const tenants = useQuery(trpc.tenant.mine.queryOptions());
  return (
    <div>
      <label htmlFor="tenant-switcher" className="sr-only">
        {t("tenant.label")}
      </label>
      <select
        id="tenant-switcher"
        className={cn(inputClass, "w-full pr-8 sm:w-56")}
        value={currentTenantId}
        onChange={(e) => router.push(e.target.value === "__new" ? "/dashboard?new=1" : `/dashboard/${e.target.value}`)}
      >
        {(tenants.data ?? []).map((x) => (
          <option key={x.id} value={x.id}>
            {x.name}
          </option>
        ))}
        <option value="__new">{t("tenant.new")}</option>
      </select>
    </div>
  );
}
