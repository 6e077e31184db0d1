/**
 * The HTTP side of `HamiltonUIClient`: one request to the Hamilton UI's API with its headers,
 * timeout and error mapping, no redirects followed, at most a bounded part of the answer read,
 * and server text in error messages redacted.
 */
import { REDACTED, redactText } from "@hamilton-ts/lifecycle";
import { errorStack, headOf, setErrorStack } from "@hamilton-ts/lifecycle/internal";
import { TrackerError } from "./errors.js";

/** Largest response body read; a larger one is not the Hamilton UI's. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/** Errors of requests that never reached the server (connection refused): nothing can be stored. */
const unsent = new WeakSet<object>();

/** True for an error of a request that never reached the server: nothing of it can have been stored. */
export function isUnsent(error: unknown): boolean {
  return typeof error === "object" && error !== null && unsent.has(error);
}

/**
 * A response's text, at most `maxBytes` of it: the rest is not read (the stream is cancelled), so
 * a huge answer cannot fill the memory.
 */
async function readText(response: Response, maxBytes: number): Promise<{ text: string; tooLong: boolean }> {
  if (response.body === null) return { text: "", tooLong: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > maxBytes) {
      chunks.push(value.subarray(0, maxBytes - size));
      await reader.cancel().catch(() => {});
      return { text: Buffer.concat(chunks).toString("utf8"), tooLong: true };
    }
    chunks.push(value);
    size += value.byteLength;
  }
  return { text: Buffer.concat(chunks).toString("utf8"), tooLong: false };
}

/**
 * The start of a server's answer for an error message: redacted (an error page can echo the
 * request's key) before it is cut, and from a bounded slice, so redaction stays cheap.
 */
export function excerpt(text: string, length: number, hide: (text: string) => string = noHiding): string {
  const redacted = redactText(hide(text.slice(0, length + 2_000)));
  return redacted.length > length ? `${headOf(redacted, length)}…` : redacted;
}

/** Errors of requests whose reused connection dropped before any answer (see {@link isDropped}). */
const dropped = new WeakSet<object>();
const droppedCauses = new WeakSet<object>();

function markDropped(cause: unknown): unknown {
  if (typeof cause === "object" && cause !== null) droppedCauses.add(cause);
  return cause;
}

/**
 * True for the error of a request that was not idempotent and whose reused kept-alive connection
 * dropped before any answer: the server most likely never read it, but may have stored it. The
 * caller checks what the server has and sends it again at once.
 */
export function isDropped(error: unknown): boolean {
  return typeof error === "object" && error !== null && dropped.has(error);
}

/** Transport errors of a connection that dropped before any byte of the answer came back. */
const DROPPED_CONNECTION = new Set(["UND_ERR_SOCKET", "ECONNRESET", "EPIPE"]);

/**
 * True when fetch failed because the connection it used dropped before the answer started: the
 * race of a kept-alive connection the server closed (idle) just as the client reused it. For
 * undici's `UND_ERR_SOCKET` the socket's `bytesRead` tells a reused connection (it read earlier
 * answers) from a fresh one, which is not retried at once: a server that drops a fresh connection
 * is in trouble, and the queue's backoff is the right pace for it.
 */
function droppedBeforeAnswer(cause: unknown): boolean {
  const inner = (cause as { cause?: { code?: unknown; socket?: { bytesRead?: unknown } } } | null)?.cause;
  const code = inner?.code;
  if (typeof code !== "string" || !DROPPED_CONNECTION.has(code)) return false;
  const read = inner?.socket?.bytesRead;
  return code !== "UND_ERR_SOCKET" || typeof read !== "number" || read > 0;
}

function noHiding(text: string): string {
  return text;
}

/**
 * Shortest API key whose value is hidden wherever it appears: a shorter one would hide ordinary
 * words (and is no real key).
 */
const MIN_HIDDEN_KEY = 6;

/**
 * A function that replaces the configured API key's own value, in every form a server may echo
 * it (as is, URL-encoded, JSON-escaped; its `Bearer` form holds it as is), with `[REDACTED]`. The
 * shared redaction rule knows key formats (`sk-…`, `Bearer …`) and secret-looking names, not an
 * opaque key or a UUID echoed in an error page: this one knows the key itself.
 */
export function keyHider(apiKey: string | undefined): (text: string) => string {
  if (apiKey === undefined || apiKey.length < MIN_HIDDEN_KEY) return noHiding;
  const forms = [...new Set([apiKey, encodeURIComponent(apiKey), JSON.stringify(apiKey).slice(1, -1)])];
  return (text) => {
    let out = text;
    for (const form of forms) if (out.includes(form)) out = out.split(form).join(REDACTED);
    return out;
  };
}

/**
 * Hides the key (see {@link keyHider}) in an error's message and stack and along its `cause`
 * chain, in place: the error keeps its identity (a write's `setAside` list is read by the
 * tracker). Only own string data properties (and V8's own stack accessor) are touched; no other
 * getter is run.
 */
export function hideInError(error: unknown, hide: (text: string) => string): void {
  let current = error;
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth++) {
    const message = Object.getOwnPropertyDescriptor(current, "message");
    if (message !== undefined && "value" in message && typeof message.value === "string" && message.writable) {
      (current as Record<string, unknown>).message = hide(message.value);
    }
    // A stack is V8's own accessor on Node 22 and 24 (data on 20): read and replaced by the one rule.
    const stack = errorStack(current);
    if (stack !== undefined) setErrorStack(current, hide(stack));
    const cause = Object.getOwnPropertyDescriptor(current, "cause");
    current = cause !== undefined && "value" in cause ? cause.value : undefined;
  }
}

/** `"http://h:p"` of a URL: where a request would go, without path, query or credentials. */
function originOf(url: URL): string {
  const port = url.port || (url.protocol === "https:" ? "443" : url.protocol === "http:" ? "80" : "");
  return `${url.protocol}//${url.hostname}${port ? `:${port}` : ""}`;
}

/** An option's text with anything between `//` and `@` hidden: a URL's user and password. */
function hideUserinfo(text: string): string {
  return text.replace(/\/\/[^/?#]*@/g, "//***@");
}

/**
 * Parses a URL option: `option` names it in errors (`baseUrl`), `source` says where its value came
 * from when not from the option (`$HAMILTON_API_URL`). A URL with a user or password is refused:
 * fetch cannot send it, and the password would end up in every log line that names the URL.
 */
export function parseUrl(option: string, text: string, source?: string): URL {
  const name = `option "${option}"${source === undefined ? "" : ` (from ${source})`}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch (cause) {
    throw new TrackerError(
      "INVALID_OPTION",
      `HamiltonUIClient: ${name} is ${JSON.stringify(hideUserinfo(String(text)))}, not a URL; expected e.g. "http://localhost:8241".`,
      {
        cause,
        retryable: false,
      },
    );
  }
  if (url.username !== "" || url.password !== "") {
    throw new TrackerError(
      "INVALID_OPTION",
      `HamiltonUIClient: ${name}, ${originOf(url)}, holds a user name or password; remove them from the URL ` +
        `and pass the key as option apiKey (sent as x-api-key) and the user as option username (sent as x-api-user).`,
      { retryable: false },
    );
  }
  return url;
}

/** Where and as whom {@link HamiltonUIHttp} sends. */
export interface HamiltonUIHttpOptions {
  /** The API server, without `/api/v1` (shown in errors). */
  readonly baseUrl: string;
  readonly username: string;
  readonly apiKey: string | undefined;
  readonly timeoutMs: number;
}

/** Requests to one Hamilton UI API server. */
export class HamiltonUIHttp {
  readonly baseUrl: string;
  readonly #api: string;
  readonly #username: string;
  readonly #apiKey: string | undefined;
  readonly #timeoutMs: number;
  /** Hides the API key's value in text from the server (see {@link keyHider}). */
  readonly hide: (text: string) => string;

  constructor(options: HamiltonUIHttpOptions) {
    this.hide = keyHider(options.apiKey);
    this.baseUrl = options.baseUrl;
    this.#api = `${options.baseUrl}/api/v1`;
    this.#username = options.username;
    this.#apiKey = options.apiKey;
    this.#timeoutMs = options.timeoutMs;
  }

  /** The full URL of an API path. */
  url(path: string): string {
    return this.#api + path;
  }

  /**
   * Sends one request and returns the parsed JSON answer (null for an empty one). `body` is sent
   * as JSON (a string is taken as JSON already). `check` names the verification calls, whose 4xx
   * answers mean bad credentials or a missing project. At most `maxBytes` of the answer are read.
   *
   * A request whose reused connection dropped before any answer (a kept-alive connection the
   * server had just closed as idle) is sent once more at once, silently, when it is `idempotent`
   * (default: a GET). Otherwise its error is marked {@link isDropped}, for the caller to check what
   * the server stored, at once, before it sends it again.
   * @throws TrackerError `SINK_UNAVAILABLE`, `SINK_TIMEOUT`, `HTTP_ERROR`, `UNAUTHORIZED`,
   * `PROJECT_NOT_FOUND` or `BAD_RESPONSE`; or the reason of `signal` once it fired.
   */
  async request(
    method: "GET" | "POST" | "PUT",
    path: string,
    body: unknown,
    signal: AbortSignal | undefined,
    check?: "phone_home" | "project",
    maxBytes = MAX_RESPONSE_BYTES,
    idempotent = method === "GET",
  ): Promise<unknown> {
    const url = this.url(path);
    const headers: Record<string, string> = { accept: "application/json", "x-api-user": this.#username };
    if (this.#apiKey !== undefined) headers["x-api-key"] = this.#apiKey;
    if (body !== undefined) headers["content-type"] = "application/json";
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const combined = signal === undefined ? timeout : AbortSignal.any([timeout, signal]);
    let status: number;
    let text: string;
    let tooLong: boolean;
    let location: string | null;
    const init: RequestInit = {
      method,
      headers,
      // A string is a body already serialised by the caller.
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
      signal: combined,
      // Never follow a redirect: the next address would get x-api-key and the run's data.
      redirect: "manual",
    };
    try {
      let response: Response;
      try {
        response = await fetch(url, init);
      } catch (cause) {
        if (combined.aborted || !droppedBeforeAnswer(cause)) throw cause;
        // The connection dropped before any byte of an answer: most likely a kept-alive connection
        // the server closed as idle just as this request went out on it (the server never read
        // it). But a server that processed the request and then lost the connection looks the
        // same from here, so only a request whose repeat stores nothing new is sent again blindly
        // (a GET, a run's end, which sets the same fields again). One that creates something (a
        // run, a template, attributes) is marked dropped: the client then asks the server what it
        // stored before it sends it again, at once, in the same write, so nothing is stored twice.
        if (!idempotent) throw markDropped(cause);
        response = await fetch(url, init);
      }
      status = response.status;
      location = response.headers.get("location");
      ({ text, tooLong } = await readText(response, maxBytes));
    } catch (cause) {
      if (signal?.aborted) throw signal.reason ?? cause;
      if (timeout.aborted) {
        throw new TrackerError(
          "SINK_TIMEOUT",
          `${method} ${url}: the Hamilton UI did not answer within ${this.#timeoutMs} ms. The records are kept and retried; ` +
            `raise timeoutMs if the server is just slow.`,
          { cause },
        );
      }
      const code = (cause as { cause?: { code?: unknown } }).cause?.code;
      const error = new TrackerError(
        "SINK_UNAVAILABLE",
        `${method} ${url}: could not reach the Hamilton UI (${typeof code === "string" ? code : String(cause)}). ` +
          `Is it running at ${this.baseUrl}? The records are kept and retried.`,
        { cause },
      );
      // Refused or unresolvable: the request never reached a server, so nothing was stored.
      if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN") unsent.add(error);
      if (droppedCauses.has(cause as object)) dropped.add(error);
      throw error;
    }
    if (status >= 300 && status < 400) throw this.#redirectError(method, url, status, location);
    if (status < 200 || status >= 300) throw this.#httpError(method, url, status, text, check);
    if (tooLong) {
      throw new TrackerError(
        "BAD_RESPONSE",
        `${method} ${url}: the answer is larger than ${maxBytes} bytes; the client reads no more. Is baseUrl the Hamilton UI's API server?`,
        { status, retryable: false },
      );
    }
    if (text.trim() === "") return null;
    try {
      return JSON.parse(text) as unknown;
    } catch (cause) {
      throw new TrackerError(
        "BAD_RESPONSE",
        `${method} ${url}: the answer is not JSON (${excerpt(text, 200, this.hide)}). Is baseUrl the Hamilton UI's API server?`,
        {
          cause,
          status,
        },
      );
    }
  }

  #redirectError(method: string, url: string, status: number, location: string | null): TrackerError {
    let target = "an address it did not give";
    if (location !== null) {
      try {
        const to = new URL(location, url);
        target = `${to.hostname}, port ${to.port || (to.protocol === "https:" ? "443" : "80")} (${originOf(to)}${to.origin === new URL(url).origin ? ", the same server" : ""})`;
      } catch {
        target = "an address that is not a URL";
      }
    }
    return new TrackerError(
      "HTTP_ERROR",
      `${method} ${url}: the Hamilton UI answered HTTP ${status}, a redirect to ${target}. The client does not follow redirects, ` +
        `so that x-api-key and the run's data never go to another address: set baseUrl to the address the Hamilton UI's API ` +
        `answers at. These records are discarded.`,
      { status, retryable: false },
    );
  }

  #httpError(
    method: string,
    url: string,
    status: number,
    text: string,
    check: "phone_home" | "project" | undefined,
  ): TrackerError {
    const answer = excerpt(text, 300, this.hide);
    if (status === 401 || status === 403 || (check === "phone_home" && status >= 400 && status < 500)) {
      return new TrackerError(
        "UNAUTHORIZED",
        `${method} ${url}: the Hamilton UI refused user "${this.#username}" (HTTP ${status}). Check the username and the API key ` +
          `(option apiKey or $HAMILTON_API_KEY).`,
        { status, retryable: false },
      );
    }
    if (check === "project" && status >= 400 && status < 500) {
      return new TrackerError(
        "PROJECT_NOT_FOUND",
        `${method} ${url}: the Hamilton UI has no such project (HTTP ${status}). Create the project in the UI first and pass its id as projectId.`,
        { status, retryable: false },
      );
    }
    const retryable = status >= 500 || status === 408 || status === 429;
    return new TrackerError(
      "HTTP_ERROR",
      `${method} ${url}: the Hamilton UI answered HTTP ${status}${answer ? ` (${answer})` : ""}. ` +
        (retryable
          ? "The records are kept and retried."
          : "The request was refused as invalid; these records are discarded."),
      { status, retryable },
    );
  }
}
