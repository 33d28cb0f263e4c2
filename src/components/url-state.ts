"use client";

/** useUrlParam: one piece of page state in the URL's query string (codecs in ./url-params). */
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useCallback, useMemo } from "react";
import type { ParamCodec } from "./url-params";

/** Changes made in the same tick (e.g. a new range that also resets the bucket) build on each other. */
let pending: URLSearchParams | null = null;
function currentParams(): URLSearchParams {
  if (!pending) {
    pending = new URLSearchParams(window.location.search);
    queueMicrotask(() => (pending = null));
  }
  return pending;
}

/**
 * [value, set]: writes replace the history entry (no back-button trail per click) and keep the
 * other parameters; setting the default (or undefined) removes the parameter.
 */
export function useUrlParam<T>(name: string, codec: ParamCodec<NonNullable<T>>, fallback: T): [T, (next: T | undefined) => void] {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const raw = params.get(name);
  // The raw text identifies the value; codec and fallback are module constants.
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const value = useMemo((): T => (raw ? (codec.parse(raw) ?? fallback) : fallback), [raw]);
  const set = useCallback(
    (next: T | undefined) => {
      const q = currentParams();
      const text = next === undefined || next === null ? null : codec.format(next);
      if (text === null || (fallback !== undefined && fallback !== null && text === codec.format(fallback))) q.delete(name);
      else q.set(name, text);
      const search = q.toString();
      router.replace(search ? `${pathname}?${search}` : pathname, { scroll: false });
    },
    [name, codec, fallback, pathname, router],
  );
  return [value, set];
}

