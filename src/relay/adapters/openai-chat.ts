/**
 * OpenAI Chat Completions. Usage comes only with stream_options.include_usage, in a last chunk
 * with `choices: []`; the relay turns it on for streams and withholds that chunk when the client
 * did not ask. prompt_tokens includes cached_tokens.
 */
import type { EventSourceMessage } from "eventsource-parser";
import { statusForErrorType } from "../errors";
import { estimatePromptTokens } from "../estimate";
import {
  asObject,
  labelField,
  numberField,
  openAiInput,
  parseJsonObject,
  requestedCacheRetention,
  ServedFacts,
  stringField,
  type InputUsage,
  type JsonObject,
  type StreamErrorInfo,
  type UsageReader,
  type UsageSnapshot,
} from "../usage";
import { FORWARD_AS_IS, positiveIntField, type PreparedRequest, type ProtocolAdapter } from "./types";

export function openAiError(body: JsonObject | null): StreamErrorInfo | null {
  const err = asObject(body?.error);
  if (!err) return null;
  const code = stringField(err, "code") ?? stringField(err, "type");
  return { status: statusForErrorType(code), message: stringField(err, "message") ?? "upstream error" };
}

class OpenAiChatUsageReader implements UsageReader {
  private input: InputUsage | null = null;
  private output: number | null = null;
  private readonly served = new ServedFacts();
  private readonly text: string[] = [];
  private complete = false;
  private error: StreamErrorInfo | null = null;

  constructor(
    private readonly withholdUsageFrames: boolean,
    promptCacheRetention: string | null,
  ) {
    this.served.promptCacheRetention = promptCacheRetention;
  }

  onEvent(event: EventSourceMessage): boolean {
    if (event.data === "[DONE]") {
      this.complete = true;
      return false;
    }
    const chunk = parseJsonObject(event.data);
    if (!chunk) return false;
    const error = openAiError(chunk);
    if (error) {
      this.error = error;
      return false;
    }
    this.applyServed(chunk);
    const choices = chunk.choices;
    if (Array.isArray(choices)) {
      for (const choice of choices) this.collectText(asObject(asObject(choice)?.delta));
    }
    const hasUsage = this.applyUsage(asObject(chunk.usage));
    return this.withholdUsageFrames && hasUsage && Array.isArray(choices) && choices.length === 0;
  }

  onJson(body: unknown): void {
    const completion = asObject(body);
    if (!completion) return;
    this.error = openAiError(completion);
    this.applyServed(completion);
    const choices = completion.choices;
    if (Array.isArray(choices)) {
      for (const choice of choices) this.collectText(asObject(asObject(choice)?.message));
    }
    this.applyUsage(asObject(completion.usage));
    this.complete = true;
  }

  snapshot(): UsageSnapshot {
    return {
      input: this.input,
      output: this.output,
      outputText: this.text,
      complete: this.complete,
      error: this.error,
      ...this.served.snapshotFields(),
    };
  }

  /** Every chunk names the model and the tier that served it; the latest value wins. */
  private applyServed(obj: JsonObject): void {
    this.served.setModel(stringField(obj, "model"));
    this.served.serviceTier = labelField(obj, "service_tier") ?? this.served.serviceTier;
  }

  private collectText(delta: JsonObject | null): void {
    if (!delta) return;
    const content = stringField(delta, "content") ?? stringField(delta, "refusal");
    if (content) this.text.push(content);
    const toolCalls = delta.tool_calls;
    if (Array.isArray(toolCalls)) {
      for (const call of toolCalls) {
        const args = stringField(asObject(asObject(call)?.function), "arguments");
        if (args) this.text.push(args);
      }
    }
  }

  private applyUsage(usage: JsonObject | null): boolean {
    const prompt = numberField(usage, "prompt_tokens");
    if (prompt === null) return false;
    this.input = openAiInput(prompt, asObject(usage?.prompt_tokens_details ?? null));
    this.output = numberField(usage, "completion_tokens") ?? this.output;
    const reasoning = numberField(asObject(usage?.completion_tokens_details ?? null), "reasoning_tokens");
    this.served.reasoningTokens = reasoning ?? this.served.reasoningTokens;
    return true;
  }
}

export const openAiChat: ProtocolAdapter = {
  name: "openai-chat",
  provider: "OPENAI",
  protocol: "openai",
  path: "/v1/chat/completions",
  prepare(body, stream): PreparedRequest {
    const promptCacheRetention = requestedCacheRetention(body);
    const asIs = promptCacheRetention === null ? FORWARD_AS_IS : { ...FORWARD_AS_IS, promptCacheRetention };
    if (!stream) return asIs;
    const options = asObject(body.stream_options);
    if (options?.include_usage === true) return asIs;
    // Sending stream_options without stream is an upstream error, hence only here.
    const upstreamBody = JSON.stringify({ ...body, stream_options: { ...options, include_usage: true } });
    return { upstreamBody, withholdUsageFrames: true, promptCacheRetention };
  },
  createReader: (prepared) => new OpenAiChatUsageReader(prepared.withholdUsageFrames, prepared.promptCacheRetention ?? null),
  estimateInput: (body) => {
    const messages = Array.isArray(body.messages) ? body.messages : [];
    return estimatePromptTokens([messages, body.tools, body.functions], messages.length);
  },
  // max_tokens is the deprecated name; when both are sent the upstream uses max_completion_tokens.
  maxOutputTokens: (body) => positiveIntField(body, "max_completion_tokens", "max_tokens"),
};
