"use client";

/** Client-only state that must not change what the server renders (hydration must match it). */
import { useEffect, useState, useSyncExternalStore, type RefObject } from "react";

const subscribeNever = () => () => {};

/**
 * False while server-rendering and hydrating, true afterwards: gates what depends on data another
 * streamed section brings, which the server may or may not have had when it rendered this one.
 */
export function useHydrated(): boolean {
  return useSyncExternalStore(subscribeNever, () => true, () => false);
}

/** Whether the element is on screen or within `margin` of it; follows scrolling (IntersectionObserver). */
export function useNearViewport(ref: RefObject<Element | null>, margin = "600px"): boolean {
  const [near, setNear] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    if (typeof IntersectionObserver === "undefined") {
      setNear(true);
      return;
    }
    const observer = new IntersectionObserver(([entry]) => setNear(entry?.isIntersecting ?? false), { rootMargin: margin });
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref, margin]);
  return near;
}
