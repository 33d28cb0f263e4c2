import type { ReactNode } from "react";
import { cn } from "../ui/cn";

export function PageContainer({ children, className }: { children: ReactNode; className?: string }) {
  return <main id="main" tabIndex={-1} className={cn("mx-auto w-full outline-none max-w-6xl px-4 py-8 sm:px-6 sm:py-10", className)}>{children}</main>;
}
