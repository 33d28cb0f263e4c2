"use client";

import { signOut } from "next-auth/react";
import { useRouter } from "next/navigation";
import { Button } from "../ui/button";

export function SignOutButton({ label, className }: { label: string; className?: string }) {
  const router = useRouter();
  return (
    <Button
      variant="secondary"
      className={className}
      onClick={async () => {
        await signOut({ redirect: false });
        router.push("/");
        router.refresh();
      }}
    >
      {label}
    </Button>
  );
}
