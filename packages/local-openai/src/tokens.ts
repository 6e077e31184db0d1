import type { ChatMessage } from "./types.js";

/** Characters per token in the estimate: OpenAI's own rule of thumb for English text. */
const CHARS_PER_TOKEN = 4;
/** Tokens OpenAI's chat format adds around each message (role and separators). */
const TOKENS_PER_MESSAGE = 4;
/** Tokens that prime the assistant's reply. */
const REPLY_PRIMING_TOKENS = 2;

/**
 * Estimates the token count of a text: one token per 4 characters, rounded up (0 for "").
 * Deterministic, so tests can assert exact `usage` figures.
 */
export function countTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

/** The text of a message: its string content, or its text parts joined by newlines. */
export function messageText(message: ChatMessage): string {
  const content = message.content;
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  let text = "";
  for (const part of content) {
    if (typeof part?.text === "string") text += (text.length > 0 ? "\n" : "") + part.text;
  }
  return text;
}

/**
 * Estimates the prompt tokens of a conversation: for each message, 4 tokens of framing plus
 * {@link countTokens} of its text, plus 2 tokens priming the reply.
 */
export function countPromptTokens(messages: readonly ChatMessage[]): number {
  let total = REPLY_PRIMING_TOKENS;
  for (const message of messages) total += TOKENS_PER_MESSAGE + countTokens(messageText(message));
  return total;
}

/** The first `maxTokens` tokens' worth of a text (by the same 4-characters rule). */
export function truncateToTokens(text: string, maxTokens: number): string {
  return text.slice(0, Math.max(0, maxTokens) * CHARS_PER_TOKEN);
}

/** A 32-bit FNV-1a hash of a string: cheap, stable, and good enough to pick canned values. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
