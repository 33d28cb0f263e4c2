import type { RelayEndpoint } from "./relay";

const ENDPOINTS: Record<string, RelayEndpoint> = {
  "/v1/messages": "anthropic-messages",
  "/v1/messages/count_tokens": "anthropic-count-tokens",
  "/v1/chat/completions": "openai-chat",
  "/v1/responses": "openai-responses",
  "/v1/models": "models",
};

/** The methods each endpoint answers (OPTIONS and 405 answers list them in `allow`). */
export const ENDPOINT_METHODS: Record<RelayEndpoint, readonly string[]> = {
  "anthropic-messages": ["POST"],
  "anthropic-count-tokens": ["POST"],
  "openai-chat": ["POST"],
  "openai-responses": ["POST"],
  models: ["GET", "HEAD"],
  "not-found": [],
};

const trimSlashes = (pathname: string): string => (pathname.length > 1 ? pathname.replace(/\/+$/, "") : pathname);

/** The relay endpoint a path maps to; unknown paths get the protocol's 404. */
export function endpointForPath(pathname: string): RelayEndpoint {
  const path = trimSlashes(pathname);
  return ENDPOINTS[path] ?? (modelsUpstreamPath(path) ? "models" : "not-found");
}

/** One model id segment: what both providers' ids (and fine-tuned "ft:…:…" ids) are made of. */
const MODEL_ID_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,127}$/;

/**
 * The upstream path for `/v1/models` (the list) or `/v1/models/{id}` (one model; ids of compatible
 * upstreams may have a slash), or null for anything else. Each id segment is decoded, checked and
 * re-encoded, so no "..", empty segment or odd byte reaches the upstream URL.
 */
export function modelsUpstreamPath(pathname: string): string | null {
  const path = trimSlashes(pathname);
  if (path === "/v1/models") return path;
  if (!path.startsWith("/v1/models/")) return null;
  const segments = path.slice("/v1/models/".length).split("/");
  if (segments.length > 3) return null;
  const decoded: string[] = [];
  for (const raw of segments) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (!MODEL_ID_SEGMENT.test(segment)) return null;
    decoded.push(encodeURIComponent(segment));
  }
  return `/v1/models/${decoded.join("/")}`;
}

/**
 * The path of a request URL, or "" (an unknown path: answered 404) when it does not parse. Never
 * throws: a request line no URL parser accepts must get an answer, not stop the process.
 */
export function pathnameOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return "";
  }
}
