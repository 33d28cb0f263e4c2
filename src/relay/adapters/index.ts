export type { AdapterName, PreparedRequest, ProtocolAdapter } from "./types";
export { anthropicMessages, AnthropicUsageReader } from "./anthropic-messages";
export { openAiChat } from "./openai-chat";
export { openAiResponses } from "./openai-responses";
