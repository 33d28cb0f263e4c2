/**
 * What a protocol reader learned about a response's usage, and the one rule that turns it into
 * the TokenUsage the ledger records (upstream numbers when complete, estimates where missing).
 */
import type { EventSourceMessage } from "eventsource-parser";
import type { TokenUsage, UsageSourceName } from "~/ledger/types";
import { isValidModelName, validModelOr } from "~/ledger/sanitize";
import { NO_MODIFIERS, type BillingModifiers } from "~/pricing/request";
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
  /** The model that served, as the response names it (null: not said). */
  servedModel: string | null;
  /** What the response reported about how it was served. */
  billing: BillingModifiers;
  /** Reasoning / thinking tokens (inside output), or null if not reported. */
  reasoningTokens: number | null;
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

/** Response facts every reader keeps besides the token counts: served model, modifiers, reasoning. */
export class ServedFacts {
  servedModel: string | null = null;
  speed: string | null = null;
  inferenceGeo: string | null = null;
  serviceTier: string | null = null;
  webSearchRequests: number | null = null;
  webFetchRequests: number | null = null;
  reasoningTokens: number | null = null;
  /** From the request (PreparedRequest), or a Responses response's echo when the request did not say. */
  promptCacheRetention: string | null = null;

  /** A model id that follows the ledger's model-name rule, or nothing: the response is untrusted. */
  setModel(value: string | null): void {
    if (value !== null && isValidModelName(value)) this.servedModel = value;
  }

  billing(): BillingModifiers {
    return {
      speed: this.speed,
      inferenceGeo: this.inferenceGeo,
      serviceTier: this.serviceTier,
      webSearchRequests: this.webSearchRequests ?? 0,
      webFetchRequests: this.webFetchRequests ?? 0,
      promptCacheRetention: this.promptCacheRetention,
    };
  }

  snapshotFields(): Pick<UsageSnapshot, "servedModel" | "billing" | "reasoningTokens"> {
    return { servedModel: this.servedModel, billing: this.billing(), reasoningTokens: this.reasoningTokens };
  }
}

/** A snapshot of a request that never got an answer. */
export const NO_ANSWER: Pick<UsageSnapshot, "servedModel" | "billing" | "reasoningTokens"> = {
  servedModel: null,
  billing: NO_MODIFIERS,
  reasoningTokens: null,
};

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

/** A short label reported by the upstream (tier, speed, geo), or null when absent or odd. */
export function labelField(obj: JsonObject | null, key: string): string | null {
  const v = stringField(obj, key);
  // Printable ASCII only: these values are stored and shown, and come from an untrusted upstream.
  return v !== null && v.length <= 64 && /^[\x21-\x7e]+$/.test(v) ? v : null;
}

/**
 * OpenAI's `prompt_cache_retention` as the request body asks for it ("in_memory" | "24h"; chat
 * completions and responses, stream or not), or null. A label, not trusted beyond that: the
 * catalog decides what a value costs (today the same as the default: catalog.json cites why).
 */
export function requestedCacheRetention(body: JsonObject): string | null {
  return labelField(body, "prompt_cache_retention");
}

/** JSON.parse that returns null instead of throwing (upstream frames are untrusted). */
export function parseJsonObject(text: string): JsonObject | null {
  try {
    return asObject(JSON.parse(text));
  } catch {
    return null;
  }
}

/**
 * OpenAI counts cached tokens and cache writes inside the prompt: billed input = prompt − cached −
 * cache writes. Cache writes are kept as the short-retention write kind (cacheWrite5m), whose rate
 * the catalog gives per model.
 */
export function openAiInput(prompt: number, details: JsonObject | null): InputUsage {
  const cacheRead = Math.min(numberField(details, "cached_tokens") ?? 0, prompt);
  const cacheWrite5m = Math.min(numberField(details, "cache_write_tokens") ?? 0, prompt - cacheRead);
  return { input: prompt - cacheRead - cacheWrite5m, cacheRead, cacheWrite5m, cacheWrite1h: 0 };
}
