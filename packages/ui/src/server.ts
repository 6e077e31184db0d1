/**
 * `startUi`: the HTTP server. One `node:http` server routes to the tracking protocol
 * (`/api/v1/...`), the OTLP receiver (`POST /v1/traces`), the read API (`/api/runs`,
 * `/api/traces`, `/api/events`), the login (`POST /api/login`) and the page (`/`, `/runs/<id>`,
 * `/dashboard/project/<p>/runs/<id>`, `/compare`, and its files under `/assets/`).
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { isIP, type AddressInfo } from "node:net";
import { resolve } from "node:path";
import { DEFAULT_STORE_DIR } from "@hamilton-ts/store";
import { isAuthorized, isKey, sessionCookie } from "./auth.js";
import { type BodyPace, DEFAULT_MAX_BODY_BYTES, parseJson, readBody } from "./body.js";
import { UiError } from "./errors.js";
import { checkId, HttpError } from "./http-error.js";
import { checkRequestSource, isLoopback, mediaType, requireJson } from "./guard.js";
import {
  createGuardedServer,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
  DEFAULT_MIN_BODY_BYTES_PER_SECOND,
  defaultRequestTimeoutMs,
} from "./http-server.js";
import { IdRegistry } from "./ids.js";
import { IngestGate } from "./ingest-gate.js";
import { type DecodedTraces, decodeTraces, encodeResponse, type OtlpEncoding, otlpEncoding } from "./otlp.js";
import { CONTENT_SECURITY_POLICY, loginPage, safeNext } from "./page.js";
import { getRun, getTrace, listRuns, parseLimit, storeStatus } from "./read-api.js";
import { isPagePath, LOGIN_PATH, matchPage } from "./routes.js";
import { hasRunFile } from "./run-file.js";
import { RunStore } from "./run-store.js";
import { IMMUTABLE, StaticFiles } from "./static-files.js";
import { StoreEvents } from "./store-events.js";
import { warmStoreIndex } from "./store-index.js";
import { TraceFileWriter, tracesFile } from "./traces.js";
import { TrackingProtocol } from "./tracking.js";

/** The port of the Hamilton UI, so `HamiltonUIClient`'s default URL reaches this server. */
export const DEFAULT_PORT = 8241;
/** Loopback: only this machine can connect. */
export const DEFAULT_HOST = "127.0.0.1";

/** Options of {@link startUi}. */
export interface UiOptions {
  /** The store's directory (created when needed). Default: `.hamilton-ts` in the working directory. */
  readonly dir?: string;
  /** The port; 0 picks a free one. Default: 8241, the Hamilton UI's. */
  readonly port?: number;
  /**
   * The address to listen on. Default: `127.0.0.1`. Any other than a loopback address needs an
   * {@link apiKey}: the store holds code, inputs and results.
   */
  readonly host?: string;
  /**
   * A key every request must carry, as `x-api-key` (what both Hamilton SDKs send) or
   * `Authorization: Bearer <key>`; a missing or wrong key is a 401. Default: none (loopback only).
   */
  readonly apiKey?: string;
  /** The largest request body accepted, before and after gzip; larger is a 413. Default: 16 MB. */
  readonly maxBodyBytes?: number;
  /**
   * How long a request's headers may take, in ms, from their first byte (a new connection that
   * sends nothing is dropped after it too); slower is a 408 and the connection destroyed.
   * Default: 10 s.
   */
  readonly headersTimeoutMs?: number;
  /**
   * The slowest a request body may arrive, on average, once `headersTimeoutMs` have passed since
   * the body's start; slower is a 408 and the connection closed. Default: 256 KiB/s.
   */
  readonly minBodyBytesPerSecond?: number;
  /**
   * The longest a whole request (headers and body) may take to arrive, in ms, on every route.
   * Default: twice `headersTimeoutMs` plus `maxBodyBytes` at `minBodyBytesPerSecond` (84 s for
   * the defaults).
   */
  readonly requestTimeoutMs?: number;
  /**
   * How long an idle kept-alive connection stays open, in ms. Default: 65 s, longer than HTTP
   * clients keep theirs, so none reuses a connection the server has just closed (a request lost
   * with `ECONNRESET`).
   */
  readonly keepAliveTimeoutMs?: number;
  /**
   * The most connections one client address may hold at once; a request on a connection beyond
   * it is a 429 (with `retry-after`) and the connection closed, so one client cannot take every
   * descriptor of the process. Default: 64.
   */
  readonly maxConnectionsPerClient?: number;
}

/** A running server. */
export interface UiServer {
  /** Its address, e.g. `http://127.0.0.1:8241`. */
  readonly url: string;
  /** The port it listens on (the free one picked for `port: 0`). */
  readonly port: number;
  /** The absolute directory of the store it serves. */
  readonly dir: string;
  /**
   * Stops listening; resolves once every connection is closed and everything received is written.
   * Requests already being handled are answered first.
   */
  close(): Promise<void>;
}

function resolveOptions(options: UiOptions) {
  const port = options.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UiError(
      "INVALID_OPTION",
      `startUi: option "port" is ${String(port)}; expected a whole number from 0 to 65535 (0 picks a free port).`,
    );
  }
  const host = options.host ?? DEFAULT_HOST;
  if (typeof host !== "string" || host.length === 0) {
    throw new UiError(
      "INVALID_OPTION",
      `startUi: option "host" is ${JSON.stringify(host)}; expected an address such as 127.0.0.1.`,
    );
  }
  const apiKey = options.apiKey === "" ? undefined : options.apiKey;
  if (apiKey !== undefined && typeof apiKey !== "string") {
    throw new UiError("INVALID_OPTION", `startUi: option "apiKey" must be a string.`);
  }
  if (apiKey !== undefined) checkKeyText(apiKey);
  if (apiKey === undefined && !isLoopback(host)) {
    throw new UiError(
      "API_KEY_REQUIRED",
      `startUi: host "${host}" is reachable from other machines, and the store holds code, inputs and results. Give an API key (option apiKey, --api-key or HAMILTON_TS_UI_API_KEY), or listen on 127.0.0.1.`,
    );
  }
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes <= 0) {
    throw new UiError(
      "INVALID_OPTION",
      `startUi: option "maxBodyBytes" is ${String(maxBodyBytes)}; expected a positive whole number of bytes.`,
    );
  }
  const headersTimeoutMs = positiveOption(options, "headersTimeoutMs", DEFAULT_HEADERS_TIMEOUT_MS, "milliseconds");
  const minBodyBytesPerSecond = positiveOption(
    options,
    "minBodyBytesPerSecond",
    DEFAULT_MIN_BODY_BYTES_PER_SECOND,
    "bytes per second",
  );
  const requestTimeoutMs = positiveOption(
    options,
    "requestTimeoutMs",
    defaultRequestTimeoutMs(headersTimeoutMs, maxBodyBytes, minBodyBytesPerSecond),
    "milliseconds",
  );
  if (requestTimeoutMs < headersTimeoutMs) {
    throw new UiError(
      "INVALID_OPTION",
      `startUi: option "requestTimeoutMs" (${requestTimeoutMs}) is shorter than "headersTimeoutMs" (${headersTimeoutMs}); a request's time includes its headers' time.`,
    );
  }
  const keepAliveTimeoutMs = positiveOption(
    options,
    "keepAliveTimeoutMs",
    DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
    "milliseconds",
  );
  const maxConnectionsPerClient = positiveOption(
    options,
    "maxConnectionsPerClient",
    DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
    "connections",
  );
  return {
    dir: resolve(options.dir ?? DEFAULT_STORE_DIR),
    port,
    host,
    apiKey,
    maxBodyBytes,
    pace: { minBytesPerSecond: minBodyBytesPerSecond, graceMs: headersTimeoutMs } satisfies BodyPace,
    limits: { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs, maxConnectionsPerClient },
  };
}

/** Node's timers take at most this many ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A whole-number option above 0 (and within Node's timer range), or its default. */
function positiveOption(options: UiOptions, name: keyof UiOptions, fallback: number, unit: string): number {
  const value = options[name] ?? fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0 || value > MAX_TIMER_MS) {
    throw new UiError(
      "INVALID_OPTION",
      `startUi: option "${name}" is ${String(value)}; expected a whole number of ${unit} from 1 to ${MAX_TIMER_MS}.`,
    );
  }
  return value;
}

/**
 * Refuses a key no HTTP header can carry as it is: with whitespace at either end (often a newline
 * read from a file: clients' headers lose it, so no request would ever match), or with a control
 * or non-ASCII character.
 */
function checkKeyText(apiKey: string): void {
  if (apiKey.trim() !== apiKey) {
    throw new UiError(
      "INVALID_OPTION",
      `startUi: the API key (option apiKey, --api-key or HAMILTON_TS_UI_API_KEY) has whitespace at its start or end (a newline from a file?); HTTP headers drop it, so no request could carry the key. Remove it.`,
    );
  }
  if (!/^[\x20-\x7e]+$/.test(apiKey)) {
    throw new UiError(
      "INVALID_OPTION",
      `startUi: the API key (option apiKey, --api-key or HAMILTON_TS_UI_API_KEY) has a control or non-ASCII character, which HTTP headers cannot carry as it is; use printable ASCII.`,
    );
  }
}

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string | Buffer;
  /** Extra headers (`allow` on a 405, `set-cookie`, `location`, `cache-control`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Answer with the store's event stream instead (`GET /api/events`). */
  readonly events?: true;
  /** Answer nothing: the client has gone (the connection is destroyed). */
  readonly gone?: true;
}

/**
 * The login page. Its `referrer-policy` is `same-origin` (not the server's `no-referrer`): with
 * `no-referrer` a browser sends the form's POST with `Origin: null`, which the Origin check refuses.
 */
const loginAnswer = (status: number, next: string, message: string | undefined): Answer => ({
  ...html(status, loginPage(next, message)),
  headers: { "referrer-policy": "same-origin" },
});

/**
 * Decodes an OTLP export; a body nested too deep for the decoder (the call stack ran out: OTLP
 * values nest, `kvlistValue` in `arrayValue`…) is a 400, not a 500.
 */
async function decodeOtlp(body: Buffer, encoding: OtlpEncoding): Promise<DecodedTraces> {
  try {
    return await decodeTraces(body, encoding);
  } catch (error) {
    if (error instanceof RangeError && /call stack/i.test(error.message)) {
      throw new HttpError(400, `POST /v1/traces: the export is nested too deeply to decode (${error.message}).`);
    }
    throw error;
  }
}

/** The answer to a request whose client has gone. */
const GONE: Answer = { status: 499, contentType: "text/plain", body: "", gone: true };

/** True while the request's client can still read an answer. */
const isConnected = (req: IncomingMessage): boolean => !req.socket.destroyed && req.socket.writable;

/** Trace exports decoded and written at once (the rest wait their turn, in order). */
const INGEST_CONCURRENCY = 2;

/** The largest login body read (a key and a path). */
const MAX_LOGIN_BYTES = 64 * 1024;

const json = (status: number, value: unknown): Answer => ({
  status,
  contentType: "application/json; charset=utf-8",
  body: JSON.stringify(value),
});
const html = (status: number, text: string): Answer => ({
  status,
  contentType: "text/html; charset=utf-8",
  body: text,
});

/**
 * Starts the server; resolves once it is listening.
 *
 * ```ts
 * const ui = await startUi({ dir: ".hamilton-ts", port: 0 });
 * console.log(`open ${ui.url}`);
 * await ui.close();
 * ```
 *
 * @throws UiError `API_KEY_REQUIRED` for a non-loopback host without an API key, `INVALID_OPTION`,
 * or `LISTEN_FAILED` (the port is taken, the address is not this machine's).
 */
export async function startUi(options: UiOptions = {}): Promise<UiServer> {
  const { dir, port, host, apiKey, maxBodyBytes, pace, limits } = resolveOptions(options);
  // Drawn anew at each start: the page's session cookies end with the server (see sessionToken).
  const sessionSecret = randomBytes(32);
  const ids = await IdRegistry.open(dir);
  // The store's index is built before listening, so the first read is as quick as the next ones.
  warmStoreIndex(dir);
  // A write that finds the store deleted writes the id registry again too (clients cache the ids).
  const runs = new RunStore(dir, () => ids.ensureOnDisk());
  const protocol = new TrackingProtocol(ids, runs);
  const traces = new TraceFileWriter(tracesFile(dir));
  const files = new StaticFiles();
  const events = new StoreEvents(dir);
  const ingest = new IngestGate(INGEST_CONCURRENCY);

  /** `POST /api/login`: a form (from the login page) or JSON `{ key, next }`; sets the session cookie. */
  async function login(req: IncomingMessage): Promise<Answer> {
    const type = mediaType(req.headers["content-type"]);
    const form = type === "application/x-www-form-urlencoded";
    if (!form && type !== "application/json") {
      throw new HttpError(
        415,
        `POST /api/login: content-type ${JSON.stringify(type)} is not supported; send a form or application/json { "key": "..." }.`,
      );
    }
    const text = (await readBody(req, MAX_LOGIN_BYTES, pace)).toString("utf8");
    let key: unknown;
    let next: unknown;
    if (form) {
      const params = new URLSearchParams(text);
      key = params.get("key");
      next = params.get("next");
    } else {
      const body = parseJson(Buffer.from(text), "POST /api/login") as { key?: unknown; next?: unknown } | null;
      key = body?.key;
      next = body?.next;
    }
    const target = safeNext(typeof next === "string" ? next : undefined);
    if (apiKey === undefined) {
      return form
        ? { status: 303, contentType: "text/plain; charset=utf-8", body: "", headers: { location: target } }
        : json(200, { ok: true, detail: "This server has no API key." });
    }
    if (typeof key !== "string" || !isKey(key, apiKey)) {
      return form
        ? loginAnswer(401, target, "That is not this server's API key.")
        : json(401, { detail: "That is not this server's API key." });
    }
    const cookie = { "set-cookie": sessionCookie(apiKey, sessionSecret) };
    return form
      ? { status: 303, contentType: "text/plain; charset=utf-8", body: "", headers: { ...cookie, location: target } }
      : { ...json(200, { ok: true }), headers: cookie };
  }

  async function route(req: IncomingMessage, url: URL): Promise<Answer> {
    const method = req.method ?? "GET";
    const path = url.pathname;
    checkRequestSource(req.headers, host, apiKey);
    if (path === LOGIN_PATH) {
      if (method !== "POST")
        return { ...json(405, { error: "POST /api/login takes the API key." }), headers: { allow: "POST" } };
      return login(req);
    }
    if (!isAuthorized(req.headers, apiKey, sessionSecret)) {
      if (method === "GET" && isPagePath(path)) return loginAnswer(401, path + url.search, undefined);
      return json(401, { detail: "A valid API key is required: send it as x-api-key or Authorization: Bearer <key>." });
    }
    if (path.startsWith("/api/v1/")) {
      let body: Promise<unknown> | undefined;
      const answer = await protocol.handle({
        method,
        path: path.slice("/api/v1".length),
        query: url.searchParams,
        user: typeof req.headers["x-api-user"] === "string" ? req.headers["x-api-user"] : undefined,
        body: () =>
          (body ??= (async () => {
            requireJson(req.headers["content-type"], `${method} ${path}`);
            return parseJson(await readBody(req, maxBodyBytes, pace), `${method} ${path}`);
          })()),
      });
      if (answer !== undefined) return json(answer.status, answer.body);
    } else if (path === "/v1/traces") {
      if (method !== "POST")
        return { ...json(405, { error: "POST /v1/traces takes OTLP trace exports." }), headers: { allow: "POST" } };
      const encoding = otlpEncoding(req.headers["content-type"]);
      const body = await readBody(req, maxBodyBytes, pace);
      // First come, first served; an export whose client gave up is not written (see ingest-gate.ts).
      const answer = await ingest.run(
        () => isConnected(req),
        async (): Promise<Answer | undefined> => {
          const decoded = await decodeOtlp(body, encoding);
          if (decoded.spans > 0) {
            if (!isConnected(req)) return undefined;
            await traces.appendLines(decoded.lines);
          }
          const response = encodeResponse(decoded, encoding);
          return { status: 200, contentType: response.contentType, body: response.body };
        },
      );
      return answer ?? GONE;
    } else if (method === "GET" && path === "/api/runs") {
      const q = url.searchParams;
      const project = q.get("project") || undefined;
      return json(200, {
        runs: await listRuns(dir, {
          project: project === undefined ? undefined : checkId("project", project),
          dag: q.get("dag") || undefined,
          status: q.get("status") || undefined,
          limit: parseLimit(q.get("limit")),
        }),
      });
    } else if (method === "GET" && path === "/api/store") {
      return json(200, await storeStatus(dir));
    } else if (method === "GET" && path.startsWith("/api/runs/")) {
      const runId = checkId("run id", decodeURIComponent(path.slice("/api/runs/".length)));
      const run = await getRun(dir, runId);
      return run === undefined
        ? json(404, { error: `No run with id ${JSON.stringify(runId)} in the store.` })
        : json(200, run);
    } else if (method === "GET" && path.startsWith("/api/traces/")) {
      const traceId = decodeURIComponent(path.slice("/api/traces/".length));
      if (!/^[0-9a-f]{32}$/i.test(traceId))
        throw new HttpError(400, `Trace id ${JSON.stringify(traceId.slice(0, 100))} is not 32 hex digits.`);
      return json(200, await getTrace(dir, traceId));
    } else if (method === "GET" && path === "/api/events") {
      return { status: 200, contentType: "text/event-stream", body: "", events: true };
    } else if (method === "GET" && path.startsWith("/assets/")) {
      const file = await files.asset(path.slice("/assets/".length));
      if (file !== undefined)
        return { status: 200, contentType: file.contentType, body: file.body, headers: { "cache-control": IMMUTABLE } };
    } else if (method === "GET") {
      const page = matchPage(path);
      if (page !== undefined) {
        const file = await files.index();
        if (page.view !== "run") return { status: 200, contentType: file.contentType, body: file.body };
        // The page shows "No run <id>" itself; the status says it too, for scripts and crawlers.
        const runId = checkId("run id", page.runId);
        return { status: (await hasRunFile(dir, runId)) ? 200 : 404, contentType: file.contentType, body: file.body };
      }
    }
    return json(404, { error: `No route for ${method} ${path}.` });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let answer: Answer;
    try {
      const url = new URL(req.url ?? "/", "http://localhost");
      answer = await route(req, url);
    } catch (error) {
      if (error instanceof HttpError) answer = json(error.status, { error: error.message, detail: error.message });
      else if (error instanceof URIError)
        answer = json(400, { error: `The path is not valid percent-encoding (${error.message}).` });
      else throw error; // answerFailure: a 500, or nothing when the client went away mid-upload
    }
    if (answer.gone) {
      res.destroy();
      return;
    }
    if (answer.events) {
      events.subscribe(res, {
        "content-security-policy": CONTENT_SECURITY_POLICY,
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
      });
      return;
    }
    const headers: Record<string, string | number> = {
      "content-type": answer.contentType,
      "content-length": Buffer.byteLength(answer.body),
      "content-security-policy": CONTENT_SECURITY_POLICY,
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "cache-control": "no-store",
      ...answer.headers,
    };
    // The rest of a refused body is not read: close the connection after the answer.
    if (answer.status === 413 || !req.complete) headers.connection = "close";
    // A header that cannot be written (writeHead throws) is answered 500 by answerFailure.
    res.writeHead(answer.status, headers);
    res.end(answer.body);
    if (!req.complete) req.resume();
  }

  const pending = new Set<Promise<void>>();
  const { server, sockets } = createGuardedServer(async (req, res) => {
    const done = handle(req, res);
    pending.add(done);
    try {
      await done;
    } finally {
      pending.delete(done);
    }
  }, limits);
  try {
    await new Promise<void>((resolveListen, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolveListen();
      });
    });
  } catch (error) {
    throw new UiError(
      "LISTEN_FAILED",
      `startUi: cannot listen on ${host}:${port} (${(error as Error).message}). Choose another port (--port, or 0 for a free one) or host.`,
      { cause: error },
    );
  }
  const address = server.address() as AddressInfo;
  const urlHost = isIP(host) === 6 ? `[${host}]` : host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    dir,
    close() {
      closing ??= (async () => {
        events.close();
        const closed = new Promise<void>((resolveClose) => server.close(() => resolveClose()));
        server.closeIdleConnections();
        while (pending.size > 0) await Promise.allSettled([...pending]);
        server.closeIdleConnections();
        for (const socket of sockets) socket.destroySoon();
        await closed;
        await Promise.all([runs.idle(), traces.idle(), ids.idle()]);
      })();
      return closing;
    },
  };
}
