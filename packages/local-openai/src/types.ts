/** One part of a multi-part message content (`[{ type: "text", text: "..." }, ...]`). */
export interface ChatContentPart {
  readonly type: string;
  readonly text?: string;
  readonly [key: string]: unknown;
}

/** One message of a chat-completions request, as the server reads it. */
export interface ChatMessage {
  /** `system`, `developer`, `user`, `assistant`, `tool` or `function`. */
  readonly role: string;
  /** A string, a list of content parts, or null (an assistant message with tool calls). */
  readonly content?: string | readonly ChatContentPart[] | null;
  readonly name?: string;
  readonly [key: string]: unknown;
}

/**
 * A validated `POST /v1/chat/completions` request body. Fields the server does not use are kept
 * (see the index signature), so an `answer` function can read anything the client sent.
 */
export interface ChatCompletionRequest {
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly stream?: boolean | null;
  readonly stream_options?: { readonly include_usage?: boolean | null } | null;
  /** Caps the answer's length (the answer is cut and `finish_reason` becomes `"length"`). */
  readonly max_tokens?: number | null;
  /** The newer name of {@link max_tokens}; wins when both are given. */
  readonly max_completion_tokens?: number | null;
  /** How many choices to return (default 1). */
  readonly n?: number | null;
  /** `{ type: "json_object" }` makes the default answer a JSON object `{"answer": "..."}`. */
  readonly response_format?: { readonly type?: string } | null;
  readonly [key: string]: unknown;
}

/** An error the server answers with, in OpenAI's shape `{ error: { message, type, param, code } }`. */
export interface InjectedFailure {
  /** The HTTP status, e.g. 429, 500 or 401. */
  readonly status: number;
  /** The error message the client sees (`error.message`). */
  readonly message: string;
  /**
   * OpenAI's `error.type`. Default: derived from the status as OpenAI does (400
   * `invalid_request_error`, 401 `authentication_error`, 403 `permission_error`, 404
   * `not_found_error`, 429 `rate_limit_error`, 5xx `server_error`).
   */
  readonly type?: string;
  /** OpenAI's `error.code`. Default: derived from the status (e.g. 429 `rate_limit_exceeded`), else null. */
  readonly code?: string | null;
}

/** Options of {@link startLocalOpenAI}. All are optional. */
export interface LocalOpenAIOptions {
  /** The interface to listen on. Default `127.0.0.1` (never exposed beyond this machine). */
  readonly host?: string;
  /** The port to listen on. Default `0`: a free port chosen by the OS (read it from `port`). */
  readonly port?: number;
  /**
   * Milliseconds before the response (or the first streamed chunk) is sent, to behave like a real
   * model. Default: 40–120 ms, derived from the last user message, so the same prompt always
   * waits the same time. `0` answers at once (use it in tests). A function decides per request.
   */
  readonly latencyMs?: number | ((request: ChatCompletionRequest) => number);
  /**
   * Milliseconds between streamed chunks. Default: 10 when the latency is non-zero, else 0, so a
   * demo's stream visibly streams while `latencyMs: 0` tests stay instant.
   */
  readonly chunkDelayMs?: number;
  /**
   * Produces the assistant's answer. Default: {@link defaultAnswer}, a deterministic canned answer
   * chosen from the last user message. A thrown error becomes a 500 `server_error` response.
   */
  readonly answer?: (request: ChatCompletionRequest) => string | Promise<string>;
  /**
   * Makes chat-completion requests fail: a fixed failure for every request, or a function that
   * returns a failure for the requests that should fail (and `undefined` for the others).
   * Validation errors (400) come first; `GET /v1/models` never fails.
   */
  readonly failWith?: InjectedFailure | ((request: ChatCompletionRequest) => InjectedFailure | undefined);
  /** The model ids `GET /v1/models` lists. Default: a few common OpenAI chat models. Any model name is accepted by chat completions. */
  readonly models?: readonly string[];
  /**
   * Milliseconds a connection may take to send a whole request (headers and body), counted from
   * when it opens and again after each response: a connection that has not completed a request
   * in time is closed (a client that opens sockets and trickles bytes cannot hold them open).
   * After a response the time is at least Node's keep-alive timeout + 1 s, so an idle kept-alive
   * connection is closed by Node first (as announced to the client) and a client reusing it is
   * never cut off. Default 10,000. The time the server itself takes to answer does not count.
   */
  readonly requestTimeoutMs?: number;
}

/** One request the server received, in arrival order. */
export interface RecordedRequest {
  readonly method: string;
  /** The path without the query string, e.g. `/v1/chat/completions`. */
  readonly path: string;
  /** The request headers (lower-case names), e.g. to check a propagated `traceparent`. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The parsed JSON body; `undefined` for a request without a body, the raw text when it is not JSON. */
  readonly body: unknown;
}

/** A running local OpenAI-compatible server. */
export interface LocalOpenAI {
  /** The base URL to give an OpenAI client, ending with `/v1`, e.g. `http://127.0.0.1:51234/v1`. */
  readonly baseURL: string;
  /** The port the server listens on. */
  readonly port: number;
  /**
   * The last 100 requests received, in arrival order (live: it grows as requests arrive, and the
   * oldest is dropped once there are 100, so bodies of up to 10 MB each cannot pile up).
   */
  readonly requests: readonly RecordedRequest[];
  /** How many requests were received in all, including those no longer in {@link requests}. */
  readonly requestCount: number;
  /**
   * Stops the server: pending and streaming responses are cut off, connections are closed.
   * Resolves when the port is free. Calling it again is harmless.
   */
  close(): Promise<void>;
}
