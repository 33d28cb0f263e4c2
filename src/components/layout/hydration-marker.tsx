"use client";

import { useEffect } from "react";

/**
 * Marks <html data-hydrated="true"> once React has hydrated the page, so browser tests (and
 * anything automating the portal) can wait for interactive forms instead of typing into inputs
 * that hydration would reset.
 */
export function HydrationMarker(): null {
  useEffect(() => {
    document.documentElement.dataset.hydrated = "true";
  }, []);
  return null;
}
