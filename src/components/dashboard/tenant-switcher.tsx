"use client";

import { useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useTRPC } from "~/trpc/react";
import { inputClass } from "../ui/field";
import { cn } from "../ui/cn";

export function TenantSwitcher({ currentTenantId }: { currentTenantId: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const tenants = useQuery(trpc.tenant.mine.queryOptions());
  return (
    <div>
      <label htmlFor="tenant-switcher" className="sr-only">
        Tenant
      </label>
      <select
        id="tenant-switcher"
        className={cn(inputClass, "w-56 pr-8")}
        value={currentTenantId}
        onChange={(e) => router.push(e.target.value === "__new" ? "/dashboard?new=1" : `/dashboard/${e.target.value}`)}
      >
        {(tenants.data ?? []).map((t) => (
          <option key={t.id} value={t.id}>
            {t.name}
          </option>
        ))}
        <option value="__new">+ New tenant…</option>
      </select>
    </div>
  );
}
