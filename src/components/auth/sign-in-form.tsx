"use client";

import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { useT } from "~/i18n/client";
import { safeCallbackPath } from "~/lib/safe-redirect";
import { Button } from "../ui/button";
import { Field, FormError } from "../ui/field";


export function SignInForm({ defaultEmail, callbackUrl }: { defaultEmail?: string; callbackUrl?: string }) {
  const router = useRouter();
  const t = useT();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setError(null);
    const result = await signIn("credentials", {
      email: String(form.get("email") ?? ""),
      password: String(form.get("password") ?? ""),
      redirect: false,
    });
    if (result?.ok && !result.error) {
      router.push(safeCallbackPath(callbackUrl));
      router.refresh();
      return;
    }
    setPending(false);
    setError(result?.error === "SignInThrottled" ? t("auth.signIn.throttled") : t("auth.signIn.wrong"));
  }

  return (
    <form onSubmit={onSubmit} className="space-y-4">
      <FormError message={error} />
      <Field id="email" name="email" type="email" label={t("auth.field.email")} autoComplete="email" required defaultValue={defaultEmail} />
      <Field id="password" name="password" type="password" label={t("auth.field.password")} autoComplete="current-password" required />
      <Button type="submit" className="w-full" disabled={pending}>
        {pending ? t("auth.signIn.pending") : t("auth.signIn.submit")}
      </Button>
    </form>
  );
}
