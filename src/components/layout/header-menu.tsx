"use client";

import { usePathname } from "next/navigation";
import { useEffect, useRef, useState, type ReactNode } from "react";
import { cn } from "../ui/cn";
import { cycleTab, focusablesIn } from "../ui/focus";

/**
 * The header's links and controls: in one row from 640 px up; below, behind a "Menu" button that
 * opens them as a panel under the header. While open, Tab and Shift+Tab cycle through the button
 * and the panel (nothing behind the open panel takes focus); Escape or a click elsewhere closes
 * it, Escape with focus back on the button. Rendered once, so each link exists once in the page.
 */
export function HeaderMenu({ label, children }: { label: string; children: ReactNode }) {
  const [open, setOpen] = useState(false);
  const pathname = usePathname();
  const button = useRef<HTMLButtonElement>(null);
  const panel = useRef<HTMLDivElement>(null);
  useEffect(() => setOpen(false), [pathname]);
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      const toggle = button.current;
      // Hidden from 640 px up, where the links sit in the header row: nothing to trap then.
      if (!toggle || toggle.offsetParent === null) return;
      if (e.key === "Escape") {
        setOpen(false);
        toggle.focus();
        return;
      }
      if (panel.current) cycleTab(e, [toggle, ...focusablesIn(panel.current)]);
    };
    const onPointer = (e: PointerEvent) => {
      const target = e.target as Node;
      if (!panel.current?.contains(target) && !button.current?.contains(target)) setOpen(false);
    };
    document.addEventListener("keydown", onKey);
    document.addEventListener("pointerdown", onPointer);
    return () => {
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("pointerdown", onPointer);
    };
  }, [open]);
  return (
    <>
      <button
        ref={button}
        type="button"
        aria-expanded={open}
        aria-controls="site-menu"
        onClick={() => setOpen((o) => !o)}
        data-testid="site-menu-button"
        className="inline-flex items-center gap-1.5 rounded-lg px-3 py-2 text-sm font-semibold text-zinc-700 ring-1 ring-inset ring-zinc-300 hover:bg-zinc-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 sm:hidden dark:text-zinc-200 dark:ring-zinc-700 dark:hover:bg-zinc-800"
      >
        <svg aria-hidden viewBox="0 0 16 16" className="size-4" fill="none" stroke="currentColor" strokeWidth={1.75} strokeLinecap="round">
          {open ? <path d="M4 4l8 8M12 4l-8 8" /> : <path d="M2.5 4.5h11M2.5 8h11M2.5 11.5h11" />}
        </svg>
        {label}
      </button>
      <div
        ref={panel}
        id="site-menu"
        className={cn(
          "flex items-center gap-1 whitespace-nowrap text-sm",
          open
            ? "max-sm:absolute max-sm:inset-x-0 max-sm:top-full max-sm:z-30 max-sm:flex-col max-sm:items-stretch max-sm:border-b max-sm:border-zinc-200 max-sm:bg-white max-sm:p-3 max-sm:shadow-lg max-sm:dark:border-zinc-800 max-sm:dark:bg-zinc-900"
            : "max-sm:hidden",
        )}
      >
        {children}
      </div>
    </>
  );
}
