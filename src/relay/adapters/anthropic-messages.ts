/**
 * Anthropic Messages. Usage rules (DESIGN.md): message_start carries input, cache and the 5m/1h
 * split (absent split = all 5m) and a placeholder output; every message_delta usage is cumulative,
 * so each field takes its latest non-null value, never a sum.
 */
import type { EventSourceMessage } from "eventsource-parser";
import { statusForErrorType } from "../errors";
import { estimatePromptTokens } from "../estimate";
import {
  asObject,
  labelField,
  numberField,
  parseJsonObject,
  ServedFacts,
  stringField,
  type JsonObject,
  type StreamErrorInfo,
  type UsageReader,
  type UsageSnapshot,
} from "../usage";
import { FORWARD_AS_IS, positiveIntField, type ProtocolAdapter } from "./types";

/** Events whose data never carries usage, text or errors: not parsed at all. */
const IGNORED_EVENTS = new Set(["ping", "content_block_start", "content_block_stop"]);

export class AnthropicUsageReader implements UsageReader {
  private input: number | null = null;
  private cacheRead: number | null = null;
  private cacheCreation: number | null = null;
  private split5m: number | null = null;
  private split1h: number | null = null;
  private output: number | null = null;
  /** Served model, speed, geo, tier, server tool calls, thinking tokens. */
  readonly served = new ServedFacts();
  private readonly text: string[] = [];
  private complete = false;
  private error: StreamErrorInfo | null = null;

  onEvent(event: EventSourceMessage): boolean {
    const name = event.event;
    if (name === "message_stop") {
      this.complete = true;
      return false;
    }
    if (name !== undefined && IGNORED_EVENTS.has(name)) return false;
    const data = parseJsonObject(event.data);
    if (!data) return false;
    switch (name ?? stringField(data, "type")) {
      case "content_block_delta":
        this.onDelta(asObject(data.delta));
        break;
      case "message_start": {
        const message = asObject(data.message);
        this.served.setModel(stringField(message, "model"));
        this.applyUsage(asObject(message?.usage), true);
        break;
      }
      case "message_delta":
        this.applyUsage(asObject(data.usage), false);
        break;
      case "message_stop":
        this.complete = true;
        break;
      case "error": {
        const err = asObject(data.error);
        this.error = {
          status: statusForErrorType(stringField(err, "type")),
          message: stringField(err, "message") ?? "upstream error",
        };
        break;
      }
    }
    return false;
  }

  onJson(body: unknown): void {
    const msg = asObject(body);
    if (!msg) return;
    this.served.setModel(stringField(msg, "model"));
    this.applyUsage(asObject(msg.usage), false);
    const content = msg.content;
    if (Array.isArray(content)) {
      for (const block of content) {
        const b = asObject(block);
        const text = stringField(b, "text") ?? stringField(b, "thinking");
        if (text) this.text.push(text);
        else if (b && b.input !== undefined) this.text.push(JSON.stringify(b.input));
      }
    }
    if (stringField(msg, "type") === "error") {
      const err = asObject(msg.error);
      this.error = { status: statusForErrorType(stringField(err, "type")), message: stringField(err, "message") ?? "upstream error" };
    }
    this.complete = true;
  }

  snapshot(): UsageSnapshot {
    const split1h = this.split1h ?? 0;
    const cacheWrite5m =
      this.cacheCreation !== null ? Math.max(this.cacheCreation - split1h, 0) : (this.split5m ?? 0);
    return {
      input:
        this.input === null
          ? null
          : { input: this.input, cacheRead: this.cacheRead ?? 0, cacheWrite5m, cacheWrite1h: split1h },
      output: this.output,
      outputText: this.text,
      complete: this.complete,
      error: this.error,
      ...this.served.snapshotFields(),
    };
  }

  private onDelta(delta: JsonObject | null): void {
    const piece =
      stringField(delta, "text") ?? stringField(delta, "partial_json") ?? stringField(delta, "thinking");
    if (piece) this.text.push(piece);
  }

  private applyUsage(usage: JsonObject | null, isMessageStart: boolean): void {
    if (!usage) return;
    this.input = numberField(usage, "input_tokens") ?? this.input;
    this.cacheRead = numberField(usage, "cache_read_input_tokens") ?? this.cacheRead;
    this.cacheCreation = numberField(usage, "cache_creation_input_tokens") ?? this.cacheCreation;
    const split = asObject(usage.cache_creation);
    if (split) {
      this.split5m = numberField(split, "ephemeral_5m_input_tokens") ?? this.split5m;
      this.split1h = numberField(split, "ephemeral_1h_input_tokens") ?? this.split1h;
    }
    // message_start's output_tokens is a placeholder (1), not a count.
    if (!isMessageStart) this.output = numberField(usage, "output_tokens") ?? this.output;
    const tools = asObject(usage.server_tool_use);
    const f = this.served;
    if (tools) {
      f.webSearchRequests = numberField(tools, "web_search_requests") ?? f.webSearchRequests;
      f.webFetchRequests = numberField(tools, "web_fetch_requests") ?? f.webFetchRequests;
    }
    f.reasoningTokens = numberField(asObject(usage.output_tokens_details), "thinking_tokens") ?? f.reasoningTokens;
    // Only message_start (or the whole body) says how it was served; message_delta never repeats it.
    f.speed = labelField(usage, "speed") ?? f.speed;
    f.inferenceGeo = labelField(usage, "inference_geo") ?? f.inferenceGeo;
    f.serviceTier = labelField(usage, "service_tier") ?? f.serviceTier;
  }
}

export const anthropicMessages: ProtocolAdapter = {
  name: "anthropic-messages",
  provider: "ANTHROPIC",
  protocol: "anthropic",
  path: "/v1/messages",
  prepare: () => FORWARD_AS_IS,
  createReader: () => new AnthropicUsageReader(),
  estimateInput: (body) => {
    const messages = Array.isArray(body.messages) ? body.messages : [];
    return estimatePromptTokens([body.system, messages, body.tools], messages.length);
  },
  maxOutputTokens: (body) => positiveIntField(body, "max_tokens"),
};
