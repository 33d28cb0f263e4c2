"use client";

import { useRouter } from "next/navigation";
import { useId, useState, type FormEvent } from "react";
import { useT } from "~/i18n/client";
import { Button } from "../ui/button";
import { cn } from "../ui/cn";
import { inputClass } from "../ui/field";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Jumps to a request's detail page by the id the client got in `x-metergate-request-id`. */
export function RequestSearch({ tenantId, className }: { tenantId: string; className?: string }) {
  const t = useT();
  const router = useRouter();
  const id = useId();
  const [invalid, setInvalid] = useState(false);
  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const value = String(new FormData(event.currentTarget).get("requestId") ?? "").trim();
    if (!UUID.test(value)) return setInvalid(true);
    setInvalid(false);
    router.push(`/dashboard/${tenantId}/requests/${value.toLowerCase()}`);
  }
  return (
    <form onSubmit={onSubmit} role="search" className={cn("flex flex-wrap items-end gap-2", className)} data-testid="request-search">
      {/* max-w-full here too: a flex item is as wide as its content (the 20rem field) unless capped, which overflowed 360 px phones. */}
      <div className="min-w-0 max-w-full">
        <label htmlFor={id} className="block text-xs font-medium text-zinc-600 dark:text-zinc-400">
          {t("request.search.label")}
        </label>
        <input
          id={id}
          name="requestId"
          spellCheck={false}
          autoComplete="off"
          placeholder={t("request.search.placeholder")}
          aria-invalid={invalid || undefined}
          aria-describedby={invalid ? `${id}-error` : undefined}
          className={cn(inputClass, "mt-1 w-80 max-w-full font-mono text-xs")}
        />
      </div>
      <Button type="submit" variant="secondary">
        {t("request.search.submit")}
      </Button>
      {invalid ? (
        <p id={`${id}-error`} role="alert" className="w-full text-xs text-red-600 dark:text-red-400">
          {t("request.search.invalid")}
        </p>
      ) : null}
    </form>
  );
}
