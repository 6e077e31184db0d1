/**
 * @packageDocumentation
 * An OpenAI-compatible chat-completions server on 127.0.0.1 for tests and offline demos:
 * deterministic answers, realistic latency, token usage, streaming and injectable failures.
 * No runtime dependencies (node:http only).
 */
export { startLocalOpenAI, defaultLatencyMs } from "./server.js";
export { defaultAnswer, lastUserMessage } from "./answers.js";
export { countTokens, countPromptTokens } from "./tokens.js";
export type {
  ChatCompletionRequest,
  ChatContentPart,
  ChatMessage,
  InjectedFailure,
  LocalOpenAI,
  LocalOpenAIOptions,
  RecordedRequest,
} from "./types.js";
