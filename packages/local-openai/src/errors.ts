import type { ServerResponse } from "node:http";
import type { InjectedFailure } from "./types.js";

/** OpenAI's error body: `{ error: { message, type, param, code } }`. */
export interface OpenAIErrorBody {
  readonly error: {
    readonly message: string;
    readonly type: string;
    readonly param: string | null;
    readonly code: string | null;
  };
}

/** The `error.type` OpenAI uses for an HTTP status. */
export function errorTypeFor(status: number): string {
  if (status === 400 || status === 422) return "invalid_request_error";
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 429) return "rate_limit_error";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

/** The `error.code` OpenAI commonly uses for an HTTP status, or null. */
export function errorCodeFor(status: number): string | null {
  if (status === 401) return "invalid_api_key";
  if (status === 429) return "rate_limit_exceeded";
  return null;
}

/** Builds OpenAI's error body for a failure. */
export function errorBody(failure: InjectedFailure, param: string | null = null): OpenAIErrorBody {
  return {
    error: {
      message: failure.message,
      type: failure.type ?? errorTypeFor(failure.status),
      param,
      code: failure.code === undefined ? errorCodeFor(failure.status) : failure.code,
    },
  };
}

/** Writes a JSON response. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** Writes an OpenAI-shaped error response. */
export function sendError(res: ServerResponse, failure: InjectedFailure, param: string | null = null): void {
  sendJson(res, failure.status, errorBody(failure, param));
}

/**
 * Checks an injected failure before it is used, so a typo in a test fails loudly instead of
 * producing a confusing response.
 */
export function checkFailure(failure: InjectedFailure, where: string): InjectedFailure {
  if (
    failure === null ||
    typeof failure !== "object" ||
    !Number.isInteger(failure.status) ||
    failure.status < 400 ||
    failure.status > 599 ||
    typeof failure.message !== "string"
  ) {
    throw new TypeError(
      `${where} must be { status: <400-599>, message: string }, got ${JSON.stringify(failure)}. ` +
        `Example: failWith: { status: 429, message: "Rate limit reached" }.`,
    );
  }
  return failure;
}
