import type { ChatCompletionRequest, InjectedFailure } from "./types.js";

/** Why a request body was rejected: the 400 failure and the offending parameter. */
export interface Invalid {
  readonly ok: false;
  readonly failure: InjectedFailure;
  readonly param: string | null;
}

/** A request that passed {@link validateChatRequest}. */
export interface Valid {
  readonly ok: true;
  readonly request: ChatCompletionRequest;
}

const ROLES = ["system", "developer", "user", "assistant", "tool", "function"];

function invalid(message: string, param: string | null, code: string | null): Invalid {
  return { ok: false, failure: { status: 400, message, type: "invalid_request_error", code }, param };
}

/**
 * The JSON type of a request value with its article, as OpenAI's validation errors word it
 * ("but got an array instead", "but got a string", "but got an object"). Not a class name: the
 * values come from `JSON.parse`.
 */
function jsonTypePhrase(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

function isOptionalPositiveInteger(value: unknown, max = Number.MAX_SAFE_INTEGER): boolean {
  return (
    value === undefined ||
    value === null ||
    (Number.isInteger(value) && (value as number) >= 1 && (value as number) <= max)
  );
}

/**
 * Checks a chat-completions body the way OpenAI does (same messages, `param` and `code`), so
 * clients see the errors they would see in production. Returns the request, or why it is invalid.
 */
export function validateChatRequest(body: unknown): Valid | Invalid {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    return invalid(`The request body must be a JSON object, but got ${jsonTypePhrase(body)}.`, null, null);
  }
  const request = body as Record<string, unknown>;
  if (typeof request.model !== "string" || request.model.length === 0) {
    return invalid(
      'you must provide a model parameter (a non-empty string such as "gpt-4o-mini").',
      "model",
      request.model === undefined ? "missing_required_parameter" : "invalid_type",
    );
  }
  const messages = request.messages;
  if (messages === undefined) {
    return invalid("Missing required parameter: 'messages'.", "messages", "missing_required_parameter");
  }
  if (!Array.isArray(messages)) {
    return invalid(
      `Invalid type for 'messages': expected an array of objects, but got ${jsonTypePhrase(messages)} instead.`,
      "messages",
      "invalid_type",
    );
  }
  if (messages.length === 0) {
    return invalid(
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      "messages",
      "empty_array",
    );
  }
  for (const [i, message] of messages.entries()) {
    if (message === null || typeof message !== "object" || Array.isArray(message)) {
      return invalid(
        `Invalid type for 'messages[${i}]': expected an object, but got ${jsonTypePhrase(message)} instead.`,
        `messages[${i}]`,
        "invalid_type",
      );
    }
    const role = (message as { role?: unknown }).role;
    if (typeof role !== "string" || !ROLES.includes(role)) {
      return invalid(
        role === undefined
          ? `Missing required parameter: 'messages[${i}].role'.`
          : `Invalid value: ${JSON.stringify(role)}. Supported values are: ${ROLES.map((r) => `'${r}'`).join(", ")}.`,
        `messages[${i}].role`,
        role === undefined ? "missing_required_parameter" : "invalid_value",
      );
    }
  }
  for (const param of ["max_tokens", "max_completion_tokens"] as const) {
    if (!isOptionalPositiveInteger(request[param])) {
      return invalid(
        `Invalid '${param}': expected an integer of at least 1, but got ${JSON.stringify(request[param])}.`,
        param,
        "invalid_value",
      );
    }
  }
  if (!isOptionalPositiveInteger(request.n, 128)) {
    return invalid(
      `Invalid 'n': expected an integer from 1 to 128, but got ${JSON.stringify(request.n)}.`,
      "n",
      "invalid_value",
    );
  }
  return { ok: true, request: request as ChatCompletionRequest };
}
