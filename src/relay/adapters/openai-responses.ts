/**
 * OpenAI Responses. Usage arrives in response.completed (or .incomplete / .failed, which also end
 * the stream); no [DONE]. input_tokens includes cached tokens, output includes reasoning.
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

const TEXT_DELTAS = new Set([
  "response.output_text.delta",
  "response.function_call_arguments.delta",
  "response.reasoning_summary_text.delta",
  "response.refusal.delta",
]);
const TERMINAL = new Set(["response.completed", "response.incomplete", "response.failed"]);

class OpenAiResponsesUsageReader implements UsageReader {
  private input: InputUsage | null = null;
  private output: number | null = null;
  private readonly served = new ServedFacts();
  private readonly text: string[] = [];
  private complete = false;
  private error: StreamErrorInfo | null = null;

  constructor(promptCacheRetention: string | null) {
    this.served.promptCacheRetention = promptCacheRetention;
  }

  onEvent(event: EventSourceMessage): boolean {
    const name = event.event;
    // Only deltas, terminal events and errors matter; the rest are not parsed.
    if (name !== undefined && !TEXT_DELTAS.has(name) && !TERMINAL.has(name) && name !== "error") return false;
    const data = parseJsonObject(event.data);
    if (!data) return false;
    const type = name ?? stringField(data, "type") ?? "";
    if (TEXT_DELTAS.has(type)) {
      const delta = stringField(data, "delta");
      if (delta) this.text.push(delta);
    } else if (TERMINAL.has(type)) {
      this.onResponse(asObject(data.response));
      this.complete = true;
    } else if (type === "error") {
      const code = stringField(data, "code") ?? stringField(asObject(data.error), "code");
      const message = stringField(data, "message") ?? stringField(asObject(data.error), "message");
      this.error = { status: statusForErrorType(code), message: message ?? "upstream error" };
    }
    return false;
  }

  onJson(body: unknown): void {
    const response = asObject(body);
    if (!response) return;
    this.onResponse(response);
    const output = response.output;
    if (Array.isArray(output)) {
      for (const item of output) {
        const it = asObject(item);
        const args = stringField(it, "arguments");
        if (args) this.text.push(args);
        const content = it?.content;
        if (Array.isArray(content)) {
          for (const part of content) {
            const text = stringField(asObject(part), "text");
            if (text) this.text.push(text);
          }
        }
      }
    }
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

  private onResponse(response: JsonObject | null): void {
    if (!response) return;
    const served = this.served;
    served.setModel(stringField(response, "model"));
    served.serviceTier = labelField(response, "service_tier") ?? served.serviceTier;
    served.promptCacheRetention ??= labelField(response, "prompt_cache_retention");
    const output = response.output;
    if (Array.isArray(output)) {
      const searches = output.filter((item) => stringField(asObject(item), "type") === "web_search_call").length;
      if (searches > 0) served.webSearchRequests = searches;
    }
    const usage = asObject(response.usage);
    const prompt = numberField(usage, "input_tokens");
    if (prompt !== null) {
      this.input = openAiInput(prompt, asObject(usage?.input_tokens_details ?? null));
      this.output = numberField(usage, "output_tokens") ?? this.output;
      served.reasoningTokens = numberField(asObject(usage?.output_tokens_details ?? null), "reasoning_tokens") ?? served.reasoningTokens;
    }
    const err = asObject(response.error);
    if (err) {
      this.error = { status: statusForErrorType(stringField(err, "code")), message: stringField(err, "message") ?? "response failed" };
    }
  }
}

export const openAiResponses: ProtocolAdapter = {
  name: "openai-responses",
  provider: "OPENAI",
  protocol: "openai",
  path: "/v1/responses",
  prepare(body): PreparedRequest {
    const promptCacheRetention = requestedCacheRetention(body);
    return promptCacheRetention === null ? FORWARD_AS_IS : { ...FORWARD_AS_IS, promptCacheRetention };
  },
  createReader: (prepared) => new OpenAiResponsesUsageReader(prepared.promptCacheRetention ?? null),
  estimateInput: (body) => {
    const input = body.input;
    const count = Array.isArray(input) ? input.length : 1;
    return estimatePromptTokens([body.instructions, input, body.tools], count);
  },
  maxOutputTokens: (body) => positiveIntField(body, "max_output_tokens"),
};
