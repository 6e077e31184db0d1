import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { defaultAnswer, lastUserMessage } from "./answers.js";
import { completionBody, makeReply, streamChunks } from "./completion.js";
import { checkFailure, sendError, sendJson } from "./errors.js";
import { hashString } from "./tokens.js";
import type {
  ChatCompletionRequest,
  InjectedFailure,
  LocalOpenAI,
  LocalOpenAIOptions,
  RecordedRequest,
} from "./types.js";
import { validateChatRequest } from "./validate.js";

/** Largest request body accepted (OpenAI's own limit is of the same order). */
const MAX_BODY_BYTES = 10 * 1024 * 1024;
const DEFAULT_MODELS = ["gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "gpt-4.1", "o4-mini"];
/** Delay between streamed chunks when the request has a non-zero latency. */
const DEFAULT_CHUNK_DELAY_MS = 10;
/** How many recent requests `requests` keeps. */
const KEPT_REQUESTS = 100;
/** Time a connection has to send a whole request. */
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/**
 * How long an idle kept-alive connection stays open: longer than clients keep theirs (undici, under
 * `fetch` and the openai client, keeps a socket 4 s by default, or this server's `Keep-Alive:
 * timeout` hint less 1 s). With Node's 5 s, a client on a busy machine whose idle timer fired late
 * reused a socket the server had just closed, and its request failed with ECONNRESET.
 */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** Longest timer Node runs as asked (a longer one fires after 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The default latency: 40–120 ms, the same for the same last user message. */
export function defaultLatencyMs(request: ChatCompletionRequest): number {
  return 40 + (hashString(lastUserMessage(request)) % 81);
}

function checkOptions(options: LocalOpenAIOptions): void {
  const where = "startLocalOpenAI";
  const { port, latencyMs, chunkDelayMs, answer, failWith, models, requestTimeoutMs } = options;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new RangeError(
      `${where}: port must be an integer from 0 to 65535 (0 picks a free port), got ${String(port)}.`,
    );
  }
  for (const [name, value] of [
    ["latencyMs", latencyMs],
    ["chunkDelayMs", chunkDelayMs],
  ] as const) {
    if (
      value !== undefined &&
      typeof value !== "function" &&
      !(typeof value === "number" && Number.isFinite(value) && value >= 0)
    ) {
      throw new RangeError(
        `${where}: ${name} must be a finite number of milliseconds >= 0, got ${String(value)}. Use 0 for no delay.`,
      );
    }
  }
  if (typeof chunkDelayMs === "function") {
    throw new TypeError(`${where}: chunkDelayMs must be a number of milliseconds, got a function.`);
  }
  if (answer !== undefined && typeof answer !== "function") {
    throw new TypeError(`${where}: answer must be a function (request) => string, got ${typeof answer}.`);
  }
  if (failWith !== undefined && typeof failWith !== "function") checkFailure(failWith, `${where}: failWith`);
  if (
    requestTimeoutMs !== undefined &&
    !(typeof requestTimeoutMs === "number" && requestTimeoutMs > 0 && requestTimeoutMs <= MAX_TIMER_MS)
  ) {
    throw new RangeError(
      `${where}: requestTimeoutMs must be a number of milliseconds above 0 and at most ${MAX_TIMER_MS} (Node's timer limit), got ${String(requestTimeoutMs)}.`,
    );
  }
  if (models !== undefined && (!Array.isArray(models) || models.some((m) => typeof m !== "string"))) {
    throw new TypeError(`${where}: models must be an array of model id strings, e.g. ["gpt-4o-mini"].`);
  }
}

class BodyTooLarge extends Error {}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text.length === 0) return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/** Waits, unless the signal aborts first; resolves false when aborted. */
async function wait(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (ms <= 0) return true;
  try {
    await delay(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/**
 * Closes a connection that has not sent a whole request in time: armed when the connection opens
 * and again after each response, disarmed once a request has been read. After a response the
 * time is at least Node's keep-alive timeout plus a second: an idle kept-alive connection is then
 * always closed by Node first, which announces its timeout to the client (`Keep-Alive: timeout=5`),
 * so a client reusing the connection is never cut off mid-request ("other side closed").
 */
class RequestDeadline {
  #timer: NodeJS.Timeout | undefined;
  readonly #socket: Socket;

  constructor(socket: Socket, ms: number) {
    this.#socket = socket;
    socket.once("close", () => this.disarm());
    this.arm(ms);
  }

  arm(ms: number): void {
    this.disarm();
    if (this.#socket.destroyed) return;
    this.#timer = setTimeout(() => this.#socket.destroy(), ms);
    this.#timer.unref();
  }

  disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/** A thrown value's message for a 500 response: an Error's `message`, else the value as text. */
function errorMessageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Starts an OpenAI-compatible server on 127.0.0.1 (by default on a free port) for tests and
 * offline demos. It serves `POST /v1/chat/completions` (plain and streaming, with deterministic
 * token `usage`), `GET /v1/models` and `GET /v1/models/{id}`, validates requests as OpenAI does,
 * can inject failures, and records every request it receives.
 *
 * @example
 * ```ts
 * const server = await startLocalOpenAI({ latencyMs: 0 });
 * const client = new OpenAI({ apiKey: "local", baseURL: server.baseURL });
 * const reply = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Please center my HTML <div> tag" }] });
 * await server.close();
 * ```
 */
export async function startLocalOpenAI(options: LocalOpenAIOptions = {}): Promise<LocalOpenAI> {
  checkOptions(options);
  const host = options.host ?? "127.0.0.1";
  const models = options.models ?? DEFAULT_MODELS;
  const answer = options.answer ?? defaultAnswer;
  const requests: RecordedRequest[] = [];
  let requestCount = 0;
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const deadlines = new WeakMap<Socket, RequestDeadline>();
  const startedAt = Math.floor(Date.now() / 1000);
  let counter = 0;

  const latencyFor = (request: ChatCompletionRequest): number => {
    const { latencyMs } = options;
    if (latencyMs === undefined) return defaultLatencyMs(request);
    const ms = typeof latencyMs === "function" ? latencyMs(request) : latencyMs;
    return Number.isFinite(ms) && ms > 0 ? ms : 0;
  };

  const failureFor = (request: ChatCompletionRequest): InjectedFailure | undefined => {
    const { failWith } = options;
    if (failWith === undefined) return undefined;
    if (typeof failWith !== "function") return failWith;
    const failure = failWith(request);
    return failure === undefined ? undefined : checkFailure(failure, "The failWith function's result");
  };

  const chat = async (body: unknown, res: ServerResponse, signal: AbortSignal): Promise<void> => {
    const checked = validateChatRequest(body);
    if (!checked.ok) return sendError(res, checked.failure, checked.param);
    const request = checked.request;
    const latency = latencyFor(request);
    if (!(await wait(latency, signal))) return;
    const failure = failureFor(request);
    if (failure) return sendError(res, failure);
    let content: unknown;
    try {
      content = await answer(request);
    } catch (error) {
      return sendError(res, {
        status: 500,
        message: `The local server's answer function threw: ${errorMessageOf(error)}`,
      });
    }
    if (typeof content !== "string") {
      return sendError(res, {
        status: 500,
        message: `The local server's answer function returned ${typeof content}; it must return the answer as a string.`,
      });
    }
    const reply = makeReply(content, request);
    const identity = {
      id: `chatcmpl-local${String(++counter).padStart(6, "0")}`,
      created: Math.floor(Date.now() / 1000),
    };
    if (request.stream !== true) return sendJson(res, 200, completionBody(identity, request, reply));

    const chunkDelay = options.chunkDelayMs ?? (latency > 0 ? DEFAULT_CHUNK_DELAY_MS : 0);
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
    let first = true;
    for (const chunk of streamChunks(identity, request, reply)) {
      if (!first && !(await wait(chunkDelay, signal))) {
        res.destroy();
        return;
      }
      first = false;
      res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    }
    res.end("data: [DONE]\n\n");
  };

  const route = async (req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> => {
    const method = req.method ?? "GET";
    const path = new URL(req.url ?? "/", "http://local").pathname.replace(/\/+$/, "") || "/";
    let text: string;
    try {
      text = await readBody(req);
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        return sendError(res, { status: 413, message: `The request body is larger than ${MAX_BODY_BYTES} bytes.` });
      }
      throw error;
    }
    deadlines.get(req.socket)?.disarm(); // the request is in: answering it takes the server's time
    const parsed = parseJson(text);
    requestCount++;
    if (requests.length >= KEPT_REQUESTS) requests.shift();
    requests.push({ method, path, headers: req.headers, body: parsed.ok ? parsed.value : text });

    if (path === "/v1/chat/completions" && method === "POST") {
      if (!parsed.ok) {
        return sendError(res, {
          status: 400,
          message:
            "We could not parse the JSON body of your request. The API expects a JSON payload (content-type: application/json), but what was sent was not valid JSON.",
        });
      }
      return chat(parsed.value, res, signal);
    }
    if (path === "/v1/models" && method === "GET") {
      return sendJson(res, 200, {
        object: "list",
        data: models.map((id) => ({ id, object: "model", created: startedAt, owned_by: "local-openai" })),
      });
    }
    const modelId = /^\/v1\/models\/(.+)$/.exec(path)?.[1];
    if (modelId !== undefined && method === "GET") {
      let id: string;
      try {
        id = decodeURIComponent(modelId);
      } catch {
        id = modelId; // a malformed escape names no model: answer 404 like any unknown id
      }
      if (models.includes(id))
        return sendJson(res, 200, { id, object: "model", created: startedAt, owned_by: "local-openai" });
      return sendError(
        res,
        {
          status: 404,
          message: `The model '${id}' does not exist or you do not have access to it.`,
          code: "model_not_found",
        },
        "model",
      );
    }
    return sendError(res, {
      status: 404,
      message: `Invalid URL (${method} ${path}). This local server serves POST /v1/chat/completions, GET /v1/models and GET /v1/models/{id}.`,
    });
  };

  const server = createServer((req, res) => {
    // Aborted when the response closes: the client went away, or close() cut every connection.
    const done = new AbortController();
    res.on("close", () => done.abort());
    // Kept alive after the response, the connection has the time again to send its next request.
    res.on("finish", () => deadlines.get(req.socket)?.arm(Math.max(requestTimeoutMs, server.keepAliveTimeout + 1_000)));
    route(req, res, done.signal).catch((error: unknown) => {
      if (!res.headersSent)
        sendError(res, { status: 500, message: `The local OpenAI server failed: ${errorMessageOf(error)}` });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;

  server.on("connection", (socket: Socket) => deadlines.set(socket, new RequestDeadline(socket, requestTimeoutMs)));

  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(
        new Error(
          `startLocalOpenAI could not listen on ${host}:${options.port ?? 0}: ${error.message}. Use port 0 to pick a free port.`,
          { cause: error },
        ),
      );
    });
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const hostInUrl = host.includes(":") ? `[${host}]` : host;

  let closed: Promise<void> | undefined;
  return {
    baseURL: `http://${hostInUrl}:${port}/v1`,
    port,
    requests,
    get requestCount() {
      return requestCount;
    },
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
