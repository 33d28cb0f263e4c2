"use client";

import { useEffect, useState } from "react";
import { useT } from "~/i18n/client";
import { Button } from "../ui/button";

/** Copies `text`; says "Copied" on the button and to screen readers (a live region) for 2 s. */
export function CopyButton({ text, label, autoFocus }: { text: string; label?: string; autoFocus?: boolean }) {
  const t = useT();
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 2000);
    return () => clearTimeout(timer);
  }, [copied]);
  return (
    <>
      <Button
        variant="secondary"
        className="shrink-0"
        data-autofocus={autoFocus ? "" : undefined}
        onClick={async () => {
          try {
            await navigator.clipboard.writeText(text);
            setCopied(true);
          } catch {
            setCopied(false);
          }
        }}
      >
        {copied ? t("common.copied") : (label ?? t("common.copy"))}
      </Button>
      <span role="status" className="sr-only">
        {copied ? t("common.copied") : ""}
      </span>
    </>
  );
}
