import type { ProviderName } from "~/ledger/types";
import type { WireProtocol } from "../errors";
import type { JsonObject, UsageReader } from "../usage";

export type AdapterName = "anthropic-messages" | "openai-chat" | "openai-responses";

export interface PreparedRequest {
  /** A rewritten upstream body, or null to forward the client's bytes untouched. */
  upstreamBody: string | null;
  /** Drop usage-only frames the client did not ask for (OpenAI chat include_usage). */
  withholdUsageFrames: boolean;
  /**
   * What the request asked for that prices it and that the response may not repeat: OpenAI
   * `prompt_cache_retention` (absent = not said).
   */
  promptCacheRetention?: string | null;
}

/** Everything the relay needs to know about one wire protocol; the machinery is shared. */
export interface ProtocolAdapter {
  readonly name: AdapterName;
  readonly provider: ProviderName;
  readonly protocol: WireProtocol;
  /** Path on the upstream, e.g. "/v1/messages". */
  readonly path: string;
  prepare(body: JsonObject, stream: boolean): PreparedRequest;
  createReader(prepared: PreparedRequest): UsageReader;
  /** Estimated billed input tokens of a request body, for responses without usage. */
  estimateInput(body: JsonObject): Promise<number>;
  /** The output-token ceiling the request sets (max_tokens and its per-protocol names); null = none. */
  maxOutputTokens(body: JsonObject): number | null;
}

/** The first of `fields` holding a positive integer (anything else is the upstream's to reject). */
export function positiveIntField(body: JsonObject, ...fields: string[]): number | null {
  for (const f of fields) {
    const v = body[f];
    if (typeof v === "number" && Number.isSafeInteger(v) && v > 0) return v;
  }
  return null;
}

export const FORWARD_AS_IS: PreparedRequest = Object.freeze({ upstreamBody: null, withholdUsageFrames: false });
