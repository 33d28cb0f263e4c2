"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { useT } from "~/i18n/client";
import { useTRPC } from "~/trpc/react";
import { Button } from "../ui/button";
import { Field, FormError } from "../ui/field";

export function SignUpForm({ callbackUrl }: { callbackUrl?: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const t = useT();
  const [email, setEmail] = useState("");
  const signUp = useMutation(
    trpc.auth.signUp.mutationOptions({
      onSuccess: (user) => {
        const next = new URLSearchParams({ registered: "1", email: user.email });
        if (callbackUrl) next.set("callbackUrl", callbackUrl);
        router.push(`/signin?${next.toString()}`);
      },
    }),
  );
  const fieldErrors = signUp.error?.data?.zodError?.fieldErrors;

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    signUp.mutate({
      name: String(form.get("name") ?? ""),
      email: String(form.get("email") ?? ""),
      password: String(form.get("password") ?? ""),
    });
  }

  return (
    <form onSubmit={onSubmit} className="space-y-4" noValidate>
      <FormError message={signUp.error && !fieldErrors ? signUp.error.message : null} />
      <Field id="name" name="name" label={t("auth.field.name")} autoComplete="name" maxLength={100} />
      <Field
        id="email"
        name="email"
        type="email"
        label={t("auth.field.email")}
        autoComplete="email"
        required
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        error={fieldErrors?.email?.[0]}
      />
      <Field
        id="password"
        name="password"
        type="password"
        label={t("auth.field.password")}
        autoComplete="new-password"
        required
        minLength={10}
        error={fieldErrors?.password?.[0]}
      />
      <p className="text-xs text-zinc-500 dark:text-zinc-400">{t("auth.signUp.passwordHint")}</p>
      <Button type="submit" className="w-full" disabled={signUp.isPending}>
        {signUp.isPending ? t("auth.signUp.pending") : t("auth.signUp.submit")}
      </Button>
    </form>
  );
}
