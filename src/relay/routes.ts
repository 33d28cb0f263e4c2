import type { RelayEndpoint } from "./relay";

const ENDPOINTS: Record<string, RelayEndpoint> = {
  "/v1/messages": "anthropic-messages",
  "/v1/messages/count_tokens": "anthropic-count-tokens",
  "/v1/chat/completions": "openai-chat",
  "/v1/responses": "openai-responses",
  "/v1/models": "models",
};

/** The relay endpoint a path maps to; unknown paths get the protocol's 404. */
export function endpointForPath(pathname: string): RelayEndpoint {
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, "") : pathname;
  return ENDPOINTS[path] ?? "not-found";
}
