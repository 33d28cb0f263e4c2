/**
 * Where to go after sign-in: only a path on this site. Browsers read "\" as "/" and drop tabs and
 * newlines inside URLs, so "/\evil.example" and "/<TAB>/evil.example" are really "//evil.example",
 * another host; those characters are refused outright, and what is left must resolve to this
 * origin. Safe in the browser and on the server (no Node APIs).
 */
const PROBE_ORIGIN = "http://metergate.invalid";

export function safeCallbackPath(raw: string | null | undefined, fallback = "/dashboard"): string {
  if (!raw) return fallback;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(raw) || !raw.startsWith("/") || raw.startsWith("//")) return fallback;
  let url: URL;
  try {
    url = new URL(raw, PROBE_ORIGIN);
  } catch {
    return fallback;
  }
  if (url.origin !== PROBE_ORIGIN) return fallback;
  return `${url.pathname}${url.search}${url.hash}`;
}
