import { countPromptTokens, countTokens, truncateToTokens } from "./tokens.js";
import type { ChatCompletionRequest } from "./types.js";

/** The answer as it is sent: possibly cut to the request's token limit. */
export interface Reply {
  readonly content: string;
  readonly finishReason: "stop" | "length";
}

/** Token usage in OpenAI's shape. */
export interface Usage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
}

/** What identifies one response: its id, creation time (Unix seconds) and fingerprint. */
export interface ResponseIdentity {
  readonly id: string;
  readonly created: number;
}

const SYSTEM_FINGERPRINT = "fp_local_openai";

function choiceCount(request: ChatCompletionRequest): number {
  return request.n ?? 1;
}

/** Cuts the answer to `max_completion_tokens` (or `max_tokens`), as a real model stops at the limit. */
export function makeReply(answer: string, request: ChatCompletionRequest): Reply {
  const limit = request.max_completion_tokens ?? request.max_tokens;
  if (limit == null || countTokens(answer) <= limit) return { content: answer, finishReason: "stop" };
  return { content: truncateToTokens(answer, limit), finishReason: "length" };
}

/** The deterministic usage of a request and its reply (every choice counts). */
export function usageFor(request: ChatCompletionRequest, reply: Reply): Usage {
  const prompt = countPromptTokens(request.messages);
  const completion = countTokens(reply.content) * choiceCount(request);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** The body of a non-streaming `chat.completion` response. */
export function completionBody(identity: ResponseIdentity, request: ChatCompletionRequest, reply: Reply) {
  const choices = [];
  for (let index = 0; index < choiceCount(request); index++) {
    choices.push({
      index,
      message: { role: "assistant", content: reply.content, refusal: null, annotations: [] },
      logprobs: null,
      finish_reason: reply.finishReason,
    });
  }
  return {
    id: identity.id,
    object: "chat.completion",
    created: identity.created,
    model: request.model,
    choices,
    usage: usageFor(request, reply),
    service_tier: "default",
    system_fingerprint: SYSTEM_FINGERPRINT,
  };
}

/** Splits a text into streaming pieces: each word with the whitespace that follows it. */
export function splitForStreaming(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

/**
 * The `chat.completion.chunk` objects of a streamed response, in order: a role chunk, one chunk
 * per piece of content, a chunk with the finish reason (per choice), and — when the request
 * asked for `stream_options.include_usage` — a last chunk with empty `choices` and the usage
 * (every other chunk then carries `usage: null`, as OpenAI's do).
 */
export function streamChunks(identity: ResponseIdentity, request: ChatCompletionRequest, reply: Reply): object[] {
  const includeUsage = request.stream_options?.include_usage === true;
  const base = {
    id: identity.id,
    object: "chat.completion.chunk",
    created: identity.created,
    model: request.model,
    service_tier: "default",
    system_fingerprint: SYSTEM_FINGERPRINT,
  };
  const chunk = (choice: object) =>
    includeUsage ? { ...base, choices: [choice], usage: null } : { ...base, choices: [choice] };
  const chunks: object[] = [];
  const pieces = splitForStreaming(reply.content);
  for (let index = 0; index < choiceCount(request); index++) {
    chunks.push(
      chunk({ index, delta: { role: "assistant", content: "", refusal: null }, logprobs: null, finish_reason: null }),
    );
    for (const content of pieces)
      chunks.push(chunk({ index, delta: { content }, logprobs: null, finish_reason: null }));
    chunks.push(chunk({ index, delta: {}, logprobs: null, finish_reason: reply.finishReason }));
  }
  if (includeUsage) chunks.push({ ...base, choices: [], usage: usageFor(request, reply) });
  return chunks;
}
