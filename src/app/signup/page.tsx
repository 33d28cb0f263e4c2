import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { z } from "zod";
import { AuthCard } from "~/components/auth/auth-card";
import { SignUpForm } from "~/components/auth/sign-up-form";
import { getServerAuthSession } from "~/server/auth";

export const metadata: Metadata = { title: "Sign up" };
export const dynamic = "force-dynamic";

const searchSchema = z.object({ callbackUrl: z.string().max(2000).optional().catch(undefined) });

export default async function SignUpPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { callbackUrl } = searchSchema.parse(await searchParams);
  if (await getServerAuthSession()) redirect("/dashboard");
  return (
    <AuthCard
      title="Create your account"
      subtitle="Then create a tenant and your first API key."
      footer={
        <>
          Already have an account?{" "}
          <Link href={callbackUrl ? `/signin?callbackUrl=${encodeURIComponent(callbackUrl)}` : "/signin"} className="font-semibold text-indigo-600 hover:underline dark:text-indigo-400">
            Sign in
          </Link>
        </>
      }
    >
      <SignUpForm callbackUrl={callbackUrl} />
    </AuthCard>
  );
}
