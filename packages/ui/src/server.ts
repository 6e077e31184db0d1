/**
 * `startUi`: the HTTP server. One `node:http` server routes to the tracking protocol
 * (`/api/v1/...`), the OTLP receiver (`POST /v1/traces`), the read API (`/api/runs`,
 * `/api/traces`, `/api/activity`, `/api/nodes/history`, `/api/store`, `/api/events`), the login
 * (`POST /api/login`) and the page (`/`, `/runs/<id>`, `/dashboard/project/<p>/runs/<id>`,
 * `/compare`, and its files under `/assets/`). What it serves from — the store's files and their
 * embedded index, or a team's PostgreSQL database — is a {@link ServerBackend}.
 */
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
import { IngestGate } from "./ingest-gate.js";
import { type DecodedTraces, decodeTraces, encodeResponse, type OtlpEncoding, otlpEncoding } from "./otlp.js";
import { CONTENT_SECURITY_POLICY, loginPage, safeNext } from "./page.js";
import { DEFAULT_PRICES, mergePrices, type PriceTable, parsePrices } from "./prices.js";
import { type ReadSource, readRoute } from "./read-routes.js";
import { startRetention } from "./retention.js";
import { isPagePath, LOGIN_PATH, matchPage } from "./routes.js";
import { isDatabaseUnavailable } from "./sql/team-unavailable.js";
import { IMMUTABLE, StaticFiles } from "./static-files.js";
import { StoreEvents } from "./store-events.js";
import { openEmbeddedBackend, openTeamBackend, type ServerBackend } from "./backend.js";
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
  /**
   * Team mode: store everything in this PostgreSQL database (`postgres://user:password@host:5432/db`,
   * PostgreSQL 15 or newer) instead of the store's files; several servers on one database serve
   * the same runs. Default: `HAMILTON_TS_UI_DATABASE_URL` is not read here (the command line reads
   * it); none, the store's files with their embedded index.
   */
  readonly databaseUrl?: string;
  /**
   * Retention: at start and every hour, delete the finished runs that started more than this many
   * days ago (embedded: their files too). Default: none, runs are kept.
   */
  readonly retainDays?: number;
  /**
   * LLM prices, in USD per 1M tokens, that extend and override the shipped table (`DEFAULT_PRICES`)
   * for the runs' cost: `{ "<model>": { input, output } }`, a key ending in `*` matching every model
   * it prefixes (the exact name first, then the longest prefix). Default: the shipped table.
   * `hamilton-ts-ui --prices prices.json` reads one from a file.
   */
  readonly prices?: PriceTable;
}

/** A running server. */
export interface UiServer {
  /** Its address, e.g. `http://127.0.0.1:8241`. */
  readonly url: string;
  /** The port it listens on (the free one picked for `port: 0`). */
  readonly port: number;
  /** The absolute directory of the store it serves (unused in team mode). */
  readonly dir: string;
  /**
   * Resolves once everything the store's files held when the server started is indexed (`GET
   * /api/store` says `catchingUp` until then); at once in team mode. Reads during the first
   * seconds wait for it by themselves; a large store is served partly meanwhile.
   */
  caughtUp(): Promise<void>;
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
  const retainDays = options.retainDays;
  if (retainDays !== undefined && (typeof retainDays !== "number" || !Number.isFinite(retainDays) || retainDays <= 0)) {
    throw new UiError(
      "INVALID_OPTION",
      `startUi: option "retainDays" is ${String(retainDays)}; expected a number of days above 0 (runs older are deleted).`,
    );
  }
  const prices = resolvePrices(options.prices);
  const databaseUrl = options.databaseUrl === "" ? undefined : options.databaseUrl;
  if (databaseUrl !== undefined && typeof databaseUrl !== "string") {
    throw new UiError("INVALID_OPTION", `startUi: option "databaseUrl" must be a postgres:// URL string.`);
  }
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
    databaseUrl,
    retainDays,
    prices,
    maxBodyBytes,
    pace: { minBytesPerSecond: minBodyBytesPerSecond, graceMs: headersTimeoutMs } satisfies BodyPace,
    limits: { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs, maxConnectionsPerClient },
  };
}

/** The shipped price table with the option's entries added (checked as a price file is). */
function resolvePrices(prices: PriceTable | undefined): PriceTable | undefined {
  if (prices === undefined) return undefined;
  let text: string | undefined;
  try {
    text = JSON.stringify(prices);
  } catch (error) {
    throw new UiError(
      "INVALID_OPTION",
      `startUi: option "prices" cannot be read as JSON (${(error as Error)?.message}); give { "<model>": { "input": <usd>, "output": <usd> } }.`,
    );
  }
  return mergePrices(DEFAULT_PRICES, parsePrices(text ?? "null", 'startUi: option "prices"'));
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
 * Embedded (the default), it takes the store directory's lock first, opens the store's index
 * (`.hamilton-ts-ui/index`; one that cannot be used is rebuilt from the files), listens, and
 * indexes what was appended while no server ran in the background (`GET /api/store` says
 * `catchingUp`). With {@link UiOptions.databaseUrl} it serves from that database instead.
 *
 * @throws UiError `API_KEY_REQUIRED` for a non-loopback host without an API key, `INVALID_OPTION`,
 * `LISTEN_FAILED` (the port is taken, the address is not this machine's), `STORE_LOCKED` (another
 * server serves the store: the message names its pid and host), or `DATABASE_UNAVAILABLE` (the
 * team database cannot be reached: the message names its host and port).
 */
export async function startUi(options: UiOptions = {}): Promise<UiServer> {
  const { dir, port, host, apiKey, databaseUrl, retainDays, prices, maxBodyBytes, pace, limits } =
    resolveOptions(options);
  const backend: ServerBackend =
    databaseUrl === undefined ? await openEmbeddedBackend(dir) : await openTeamBackend(databaseUrl);
  try {
    return await serveBackend(backend, { dir, port, host, apiKey, retainDays, prices, maxBodyBytes, pace, limits });
  } catch (error) {
    await backend.close().catch(() => undefined);
    throw error;
  }
}

async function serveBackend(
  backend: ServerBackend,
  {
    dir,
    port,
    host,
    apiKey,
    retainDays,
    prices,
    maxBodyBytes,
    pace,
    limits,
  }: Omit<ReturnType<typeof resolveOptions>, "databaseUrl">,
): Promise<UiServer> {
  // The read routes price LLM calls with the server's table (the shipped one when none was given).
  const source: ReadSource = prices === undefined ? backend.source : { ...backend.source, prices };
  const protocol = new TrackingProtocol(backend.ids, backend.runs);
  const files = new StaticFiles();
  const events = new StoreEvents(backend.onChange);
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
    const cookie = { "set-cookie": sessionCookie(apiKey, backend.sessionSecret()) };
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
    if (!isAuthorized(req.headers, apiKey, backend.sessionSecret())) {
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
            await backend.writeTraces(decoded);
          }
          const response = encodeResponse(decoded, encoding);
          return { status: 200, contentType: response.contentType, body: response.body };
        },
      );
      return answer ?? GONE;
    } else if (path.startsWith("/api/")) {
      const answer = await readRoute(method, path, url.searchParams, source);
      if (answer !== undefined) {
        if (answer.json !== undefined)
          return { status: answer.status, contentType: "application/json; charset=utf-8", body: answer.json };
        if (answer.status === 204) return { status: 204, contentType: "text/plain; charset=utf-8", body: "" };
        return json(answer.status, answer.body);
      }
      if (method === "GET" && path === "/api/events")
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
        return { status: (await backend.hasRun(runId)) ? 200 : 404, contentType: file.contentType, body: file.body };
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
      else if (isDatabaseUnavailable(error)) {
        // Nothing was acknowledged: the client may send it again once the database is back.
        const message = (error as Error).message;
        answer = { ...json(503, { error: message, detail: message }), headers: { "retry-after": "1" } };
      } else throw error; // answerFailure: a 500, or nothing when the client went away mid-upload
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
  const url = `http://${urlHost}:${address.port}`;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      events.close();
      const closed = new Promise<void>((resolveClose) => server.close(() => resolveClose()));
      server.closeIdleConnections();
      while (pending.size > 0) await Promise.allSettled([...pending]);
      server.closeIdleConnections();
      for (const socket of sockets) socket.destroySoon();
      await closed;
      await retention?.stop();
      await backend.close();
    })());
  const retention = retainDays === undefined ? undefined : startRetention(source, retainDays, () => backend.caughtUp());
  try {
    // The CLI's `runs` and `show` ask this server (the lock file names it).
    await backend.listening(url);
  } catch (error) {
    await close();
    throw error;
  }
  return {
    url,
    caughtUp: () => backend.caughtUp(),
    port: address.port,
    dir,
    close,
  };
}
