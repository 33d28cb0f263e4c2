/**
 * The shape of a URL the server will send requests to, checked without I/O: http(s) only, no
 * credentials, no fragment, and for upstream base URLs no query and no path tricks, so a base
 * URL can only ever add a path prefix in front of the relay's own endpoint paths. Also: joining a
 * base URL with an endpoint path, and URLs as they may appear in logs and the audit log.
 * Pure (no env) so src/infra/env.ts can check the deployment's own upstream URLs with it.
 */

/** "upstream": a provider base URL the relay appends its endpoint paths to. "webhook": a full URL POSTed to as is. */
export type EgressUrlKind = "upstream" | "webhook";

export type UrlCheck = { ok: true; url: URL } | { ok: false; message: string };

const CONTROL_OR_SPACE = /[\s\u0000-\u001f\u007f]/;
/** "/." or "/.." as a whole segment, raw or percent-encoded, and encoded slashes / backslashes. */
const DOT_SEGMENT = /\/(\.|%2e){1,2}(\/|$|\?|#)/i;
const ENCODED_SEPARATOR = /%2f|%5c|%2e/i;

export function checkUrlShape(raw: string, kind: EgressUrlKind): UrlCheck {
  // The URL parser silently drops tabs and newlines and trims spaces; refuse instead of guessing.
  if (CONTROL_OR_SPACE.test(raw)) return { ok: false, message: "The URL must not contain spaces or control characters" };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, message: "Not a valid URL (an absolute http(s) URL such as https://api.example.com)" };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return { ok: false, message: "Only http and https URLs are allowed" };
  if (!url.hostname) return { ok: false, message: "The URL has no host" };
  if (url.username !== "" || url.password !== "" || /^[a-z][a-z0-9+.-]*:[/\\]*[^/\\?#]*@/i.test(raw)) {
    return {
      ok: false,
      message:
        kind === "upstream"
          ? "Credentials in the URL (user:password@) are not allowed: put the provider key in the credential field"
          : "Credentials in the URL (user:password@) are not allowed: receivers authenticate requests with the webhook signature",
    };
  }
  // url.hash is "" for a bare trailing "#", which still cuts off whatever is appended: check the text.
  if (raw.includes("#")) return { ok: false, message: "A fragment (#…) is not allowed in the URL" };
  if (raw.includes("\\")) return { ok: false, message: "Backslashes are not allowed in the URL" };
  if (kind === "upstream") {
    if (raw.includes("?")) return { ok: false, message: "A query string (?…) is not allowed in a base URL" };
    if (DOT_SEGMENT.test(raw) || ENCODED_SEPARATOR.test(url.pathname)) {
      return { ok: false, message: "The base URL path must not contain '.' or '..' segments or encoded separators" };
    }
  }
  return { ok: true, url };
}

/** Thrown when a URL fails the shape rules at use time (a row saved before the rules existed). */
export class EgressUrlError extends Error {
  readonly code = "EGRESS_URL_REFUSED";
}

/**
 * baseUrl + one of the relay's endpoint paths + the client's query string. A base ending in /v1
 * (common for compatible APIs) is not doubled. Built with the URL API on the checked base, so
 * the result always has the base's origin and the base path as its prefix.
 */
/**
 * Paths the relay itself builds (e.g. `/v1/models/gpt-4.1`, `/v1/models/ft%3Agpt-4o%3Aacme`):
 * segments of unreserved characters and percent escapes, none of them a dot segment or an
 * encoded separator, so a joined path can only go below the base.
 */
function isSafeUpstreamPath(path: string): boolean {
  if (!path.startsWith("/")) return false;
  return path
    .slice(1)
    .split("/")
    .every((seg) => /^(?:[A-Za-z0-9._~:@+-]|%[0-9A-Fa-f]{2})+$/.test(seg) && !/^(?:\.|%2e)+$/i.test(seg) && !/%(?:2f|5c)/i.test(seg));
}

const joined = new Map<string, string>();

/**
 * The upstream URL for a base URL, a relay path and a query. Pure, and the relay asks it for every
 * request with the same few bases and paths: results without a query are memoized (bounded).
 */
export function joinUpstreamUrl(baseUrl: string, path: string, search: string): string {
  if (search !== "") return joinUpstreamUrlOnce(baseUrl, path, search);
  const cacheKey = `${baseUrl}\n${path}`;
  const hit = joined.get(cacheKey);
  if (hit !== undefined) return hit;
  const url = joinUpstreamUrlOnce(baseUrl, path, "");
  if (joined.size >= 1000) joined.clear();
  joined.set(cacheKey, url);
  return url;
}

function joinUpstreamUrlOnce(baseUrl: string, path: string, search: string): string {
  const checked = checkUrlShape(baseUrl, "upstream");
  if (!checked.ok) throw new EgressUrlError(`upstream base URL refused: ${checked.message}`);
  if (!isSafeUpstreamPath(path)) throw new EgressUrlError("upstream path refused");
  const url = checked.url;
  const basePath = url.pathname.replace(/\/+$/, "");
  const rel = basePath.endsWith("/v1") && path.startsWith("/v1/") ? path.slice(3) : path;
  url.pathname = basePath + rel;
  const q = search.split("#", 1)[0]!;
  url.search = q.startsWith("?") ? q.slice(1) : q;
  url.hash = "";
  if (url.origin !== checked.url.origin) throw new EgressUrlError("upstream URL refused: the path changed the origin");
  return url.toString();
}

/**
 * A URL as it may be shown in logs, errors and the audit log: credentials and query values
 * replaced, fragment dropped; returned unchanged when there is nothing to hide. `keepQuery`:
 * keep query values (for the admin's own settings form). Anything unparsable is not echoed.
 */
export function redactUrl(raw: string, opts: { keepQuery?: boolean } = {}): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "[unparsable URL]";
  }
  const userinfo = url.username !== "" || url.password !== "" || /^[a-z][a-z0-9+.-]*:[/\\]*[^/\\?#]*@/i.test(raw);
  const hidesQuery = !opts.keepQuery && url.search !== "";
  if (!userinfo && !hidesQuery && !raw.includes("#")) return raw;
  url.username = "";
  url.password = "";
  url.hash = "";
  if (hidesQuery) {
    const keys = [...new Set(url.searchParams.keys())];
    url.search = keys.map((k) => `${encodeURIComponent(k)}=[redacted]`).join("&");
  }
  const out = url.toString().replace(/%5Bredacted%5D/g, "[redacted]");
  return userinfo ? out.replace("://", "://[redacted]@") : out;
}
