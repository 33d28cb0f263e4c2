/**
 * Token estimation for responses that carry no usage. gpt-tokenizer is loaded lazily (it costs
 * ~150 ms and some memory) and only when an estimate is actually needed.
 */
type Counter = (text: string) => number;

let counter: Promise<Counter> | undefined;

function loadCounter(): Promise<Counter> {
  counter ??= import("gpt-tokenizer").then((m) => (text: string) => m.countTokens(text));
  return counter;
}

/** Above this many characters, ~4 characters per token is close enough and does not block the loop. */
const TOKENIZE_LIMIT = 200_000;

export async function countTextTokens(text: string): Promise<number> {
  if (text.length === 0) return 0;
  if (text.length > TOKENIZE_LIMIT) return Math.ceil(text.length / 4);
  const count = await loadCounter();
  return count(text);
}

/** Keys whose string values are not prompt text (ids, roles, media, cache hints). */
const SKIP_KEYS = new Set(["type", "role", "id", "tool_use_id", "call_id", "cache_control", "media_type", "data", "image_url", "url", "file_id", "detail"]);

/** Collects every prompt string under the given value (message texts, tool inputs, schemas). */
export function collectText(value: unknown, out: string[]): void {
  if (typeof value === "string") {
    out.push(value);
  } else if (Array.isArray(value)) {
    for (const item of value) collectText(item, out);
  } else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (!SKIP_KEYS.has(k)) collectText(v, out);
    }
  }
}

/** Per-message framing tokens the providers add; keeps an estimate from being zero. */
const PER_MESSAGE_OVERHEAD = 4;

export async function estimatePromptTokens(parts: readonly unknown[], messageCount: number): Promise<number> {
  const texts: string[] = [];
  for (const p of parts) collectText(p, texts);
  const tokens = await countTextTokens(texts.join("\n"));
  return Math.max(1, tokens + PER_MESSAGE_OVERHEAD * Math.max(1, messageCount));
}
