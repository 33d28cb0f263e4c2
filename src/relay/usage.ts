/**
 * What a protocol reader learned about a response's usage, and the one rule that turns it into
 * the TokenUsage the ledger records (upstream numbers when complete, estimates where missing).
 */
import type { EventSourceMessage } from "eventsource-parser";
import type { TokenUsage, UsageSourceName } from "~/ledger/types";
import { isValidModelName, validModelOr } from "~/ledger/sanitize";
import { countTextTokens } from "./estimate";

export interface InputUsage {
  input: number;
  cacheRead: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
}

export interface StreamErrorInfo {
  /** The HTTP status the error stands for (overloaded 529, rate limit 429, api_error 500). */
  status: number;
  message: string;
}

export interface UsageSnapshot {
  /** Input side as the upstream reported it, or null if it never did. */
  input: InputUsage | null;
  /** Output tokens as the upstream reported them (never a placeholder), or null. */
  output: number | null;
  /** Generated text seen so far, for estimation. */
  outputText: readonly string[];
  /** The protocol's terminal event arrived (message_stop, [DONE], response.completed…). */
  complete: boolean;
  error: StreamErrorInfo | null;
  /**
   * The model the upstream says served the request (the response's `model`), only when it follows
   * the ledger's model-name rule; null otherwise, and then the requested model stands (servedModelOf).
   */
  servedModel?: string | null;
}

/** The response's `model` field if it follows the model-name rule, else null (never trusted as is). */
export function reportedModel(obj: JsonObject | null): string | null {
  const v = obj?.model;
  return typeof v === "string" && isValidModelName(v) ? v : null;
}

/** The model to bill: the valid served model the upstream reported, else the requested one. */
export function servedModelOf(snapshot: Pick<UsageSnapshot, "servedModel">, requested: string): string {
  return validModelOr(snapshot.servedModel, requested);
}

/** Reads one protocol's SSE events (or JSON body) and keeps what it needs for usage. */
export interface UsageReader {
  /** Sees one SSE event; returns true when the whole frame must be withheld from the client. */
  onEvent(event: EventSourceMessage): boolean;
  /** Reads a non-streaming JSON response body. */
  onJson(body: unknown): void;
  snapshot(): UsageSnapshot;
}

export interface ResolvedUsage {
  usage: TokenUsage;
  source: UsageSourceName;
}

/**
 * Upstream numbers are trusted only when the stream completed and carried both sides; anything
 * missing is estimated (input from the request, output from the text forwarded), never zero.
 */
export async function resolveUsage(snapshot: UsageSnapshot, estimateInput: () => Promise<number>): Promise<ResolvedUsage> {
  const { input, output, complete } = snapshot;
  if (complete && input !== null && output !== null) {
    return { usage: { ...input, output }, source: "UPSTREAM" };
  }
  const inputSide: InputUsage = input ?? { input: await estimateInput(), cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0 };
  const outputTokens = output ?? (await countTextTokens(snapshot.outputText.join("")));
  return { usage: { ...inputSide, output: outputTokens }, source: "ESTIMATED" };
}

// ---- small helpers for reading untrusted JSON without `any` ----

export type JsonObject = Record<string, unknown>;

export function asObject(value: unknown): JsonObject | null {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as JsonObject) : null;
}

export function numberField(obj: JsonObject | null, key: string): number | null {
  const v = obj?.[key];
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? Math.round(v) : null;
}

export function stringField(obj: JsonObject | null, key: string): string | null {
  const v = obj?.[key];
  return typeof v === "string" ? v : null;
}

/** JSON.parse that returns null instead of throwing (upstream frames are untrusted). */
export function parseJsonObject(text: string): JsonObject | null {
  try {
    return asObject(JSON.parse(text));
  } catch {
    return null;
  }
}

/** OpenAI counts cached tokens inside the prompt: billed input = prompt − cached. */
export function openAiInput(prompt: number, cached: number | null): InputUsage {
  const cacheRead = Math.min(cached ?? 0, prompt);
  return { input: prompt - cacheRead, cacheRead, cacheWrite5m: 0, cacheWrite1h: 0 };
}
