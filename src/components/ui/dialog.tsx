"use client";

import { useEffect, useRef, type ReactNode } from "react";
import { cn } from "./cn";
import { cycleTab, focusablesIn } from "./focus";

/**
 * A modal dialog on the native <dialog> (showModal): open while mounted. The rest of the page is
 * inert and Tab cycles inside (screen readers see only the dialog), it is announced by its title
 * and description, Escape closes it (`onClose`). Focus moves to the element marked
 * `data-autofocus` (else the first focusable one); when it closes, to `returnFocus()` (the next
 * sensible place on the page), else back to where it was before it opened.
 */

export function Dialog({
  titleId,
  descriptionId,
  onClose,
  returnFocus,
  children,
  className,
  testId,
}: {
  titleId: string;
  descriptionId?: string;
  onClose: () => void;
  returnFocus?: () => HTMLElement | null | undefined;
  children: ReactNode;
  className?: string;
  testId?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const returnFocusRef = useRef(returnFocus);
  returnFocusRef.current = returnFocus;
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) dialog.showModal();
    dialog.querySelector<HTMLElement>("[data-autofocus]")?.focus();
    return () => {
      if (dialog.open) dialog.close();
      // After the dialog left the page: the caller's choice, else where focus was (if still usable).
      const target = returnFocusRef.current?.() ?? (before?.isConnected && !before.matches(":disabled") ? before : null);
      target?.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      aria-describedby={descriptionId}
      data-testid={testId}
      onKeyDown={(e) => {
        // Tab cycles inside (the page behind is inert, but the browser's own UI is not).
        cycleTab(e, focusablesIn(e.currentTarget));
      }}
      onCancel={(e) => {
        // Escape: let React state close it (unmount), so focus is returned the same way.
        e.preventDefault();
        onClose();
      }}
      className={cn(
        "m-auto w-[min(34rem,calc(100vw-2rem))] rounded-2xl border border-zinc-200 bg-white p-5 text-zinc-900 shadow-xl backdrop:bg-zinc-950/50 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100",
        className,
      )}
    >
      {children}
    </dialog>
  );
}
