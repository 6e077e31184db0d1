/**
 * The `node:http` server under `startUi`, built so that no client can stop it or lock others out:
 * - no exception of a request's handler takes the process down: it is a 500 (or, once the answer's
 *   headers are out, the connection is destroyed), and the next request is served;
 * - slow clients are dropped: a request's headers must arrive within `headersTimeoutMs` of its
 *   first byte (a connection that sends nothing within it is dropped too), the whole request within
 *   `requestTimeoutMs`; sockets are destroyed, never half-closed;
 * - one client address holds at most `maxConnectionsPerClient` connections at once; a request on
 *   a connection beyond it is answered 429 and the connection closed;
 * - idle kept-alive connections stay open `keepAliveTimeoutMs` (65 s), longer than HTTP clients
 *   keep theirs (Node's fetch 4 s; Node's own server default, 5 s, raced them), so a client never
 *   reuses a connection the server has just closed.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

/** How long a request's headers may take, from its first byte (or from the connection's opening), in ms. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/** How long an idle kept-alive connection stays open, in ms: longer than clients keep theirs. */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** The slowest a request body may arrive, on average, after the first `headersTimeoutMs`: 256 KiB/s. */
export const DEFAULT_MIN_BODY_BYTES_PER_SECOND = 256 * 1024;
/** The most connections one client address may hold at once. */
export const DEFAULT_MAX_CONNECTIONS_PER_CLIENT = 64;

/** The limits the server applies to every connection; see the module's comment. */
export interface ConnectionLimits {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly maxConnectionsPerClient: number;
}

/** A request handler; a rejection (or a throw) is answered 500 by {@link createGuardedServer}. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** The server and its open connections. */
export interface GuardedServer {
  readonly server: Server;
  /** Every open connection (for closing). */
  readonly sockets: ReadonlySet<Socket>;
}

/**
 * The default `requestTimeoutMs` for a body limit: the headers' time, then the largest body at the
 * minimum rate after a grace of the headers' time again.
 */
export function defaultRequestTimeoutMs(
  headersTimeoutMs: number,
  maxBodyBytes: number,
  minBodyBytesPerSecond: number,
): number {
  return 2 * headersTimeoutMs + Math.ceil((maxBodyBytes / minBodyBytesPerSecond) * 1000);
}

/** A connection beyond the per-address cap gets this long to send its request (to be told 429). */
const REFUSED_GRACE_MS = 1000;

const ignore = (): void => {};

/** A status line and headers written on the raw socket when the parser gave up on a request. */
function rawAnswer(status: number, reason: string): string {
  return `HTTP/1.1 ${status} ${reason}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`;
}

/**
 * Answers 500 for a handler that failed, or destroys the connection when the answer's headers
 * were sent already (the client sees a cut answer, never a wrong one). Never throws.
 */
export function answerFailure(req: IncomingMessage, res: ServerResponse, error: unknown): void {
  if (req.destroyed && !req.complete) return; // the client went away mid-request: nobody to answer
  process.emitWarning(`hamilton-ts-ui: ${req.method} ${req.url}: ${(error as Error)?.stack ?? String(error)}`);
  if (res.headersSent || res.writableEnded) {
    res.destroy();
    return;
  }
  try {
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    const body = JSON.stringify({ error: `The server failed: ${(error as Error)?.message ?? String(error)}` });
    res.writeHead(500, {
      "content-type": "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(body),
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      connection: "close",
    });
    res.end(body);
  } catch {
    res.destroy();
  }
}

/** Answers 429 on a connection beyond the per-address cap, and closes it. */
function answerTooMany(res: ServerResponse, limit: number): void {
  const body = JSON.stringify({
    error: `Too many connections from this address: the server takes at most ${limit} at once from one client (maxConnectionsPerClient). Close idle connections, or send fewer requests at once.`,
  });
  res.writeHead(429, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "retry-after": "1",
    connection: "close",
  });
  res.end(body);
}

/** Creates the guarded server around `handler` (not listening yet). */
export function createGuardedServer(handler: RequestHandler, limits: ConnectionLimits): GuardedServer {
  const refused = new WeakSet<Socket>();
  const perClient = new Map<string, number>();
  const sockets = new Set<Socket>();
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // Node checks the two timeouts on this interval (30 s by default, which would let a slow
      // client stay up to 30 s longer than allowed).
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
    },
    (req, res) => {
      // An error on the answer's stream (a write after the client left) is not the process's end.
      res.on("error", ignore);
      if (refused.has(req.socket)) return answerTooMany(res, limits.maxConnectionsPerClient);
      let done: Promise<void>;
      try {
        done = handler(req, res);
      } catch (error) {
        done = Promise.reject(error);
      }
      done.catch((error: unknown) => answerFailure(req, res, error));
    },
  );
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    const address = socket.remoteAddress ?? "";
    const count = (perClient.get(address) ?? 0) + 1;
    perClient.set(address, count);
    let refusal: NodeJS.Timeout | undefined;
    if (count > limits.maxConnectionsPerClient) {
      refused.add(socket);
      // It holds a descriptor: it gets a short time to send the request it is to be refused.
      refusal = setTimeout(() => socket.destroy(), Math.min(REFUSED_GRACE_MS, limits.headersTimeoutMs));
      refusal.unref();
    }
    socket.once("close", () => {
      clearTimeout(refusal);
      sockets.delete(socket);
      const left = (perClient.get(address) ?? 1) - 1;
      if (left === 0) perClient.delete(address);
      else perClient.set(address, left);
    });
  });
  // The parser gave up (malformed request, headers or request too slow, too large): answer when
  // no answer is under way, and destroy the socket (a half-closed one would stay open).
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    const answering = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage?.headersSent === true;
    if (socket.writable && !answering) {
      const code = error.code;
      socket.write(
        code === "ERR_HTTP_REQUEST_TIMEOUT"
          ? rawAnswer(408, "Request Timeout")
          : code === "HPE_HEADER_OVERFLOW"
            ? rawAnswer(431, "Request Header Fields Too Large")
            : rawAnswer(400, "Bad Request"),
      );
    }
    socket.destroy();
  });
  return { server, sockets };
}
