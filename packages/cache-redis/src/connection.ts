/**
 * The store's Redis client: made from options (with settings that make a call fail at once while
 * Redis is away, instead of queueing it) or given by the caller, and the rule that keeps a run
 * from waiting on a Redis that is down.
 *
 * @module
 */
import { Redis, type RedisOptions } from "ioredis";
import { CacheRedisError } from "./errors.js";

/** A Redis client the store can use: an ioredis instance (the one a BullMQ setup already has). */
export type RedisClient = Redis;

/** The defaults of the timing options. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 2_000;
export const DEFAULT_COMMAND_TIMEOUT_MS = 2_000;

/** Whether `value` is an ioredis client (by shape: another copy of ioredis is one too). */
export function isClient(value: unknown): value is Redis {
  const v = value as Partial<Redis> | null;
  return (
    typeof v === "object" &&
    v !== null &&
    typeof v.callBuffer === "function" &&
    typeof v.multi === "function" &&
    typeof v.status === "string"
  );
}

/**
 * A client of our own from ioredis options. Calls never wait in ioredis's offline queue: while
 * the connection is down they fail at once (`enableOfflineQueue: false`), a call in flight when
 * it drops fails at the first reconnection attempt (`maxRetriesPerRequest: 0`), and a call a hung
 * server does not answer fails after `commandTimeoutMs`. ioredis keeps reconnecting in the
 * background, so the cache comes back with Redis.
 */
export function makeClient(options: RedisOptions, commandTimeoutMs: number): Redis {
  return new Redis({
    ...options,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: commandTimeoutMs,
  });
}

/** `host:port` of a client, for messages. */
export function whereIs(client: Redis): string {
  const o = client.options;
  return o.path ? o.path : `${o.host ?? "127.0.0.1"}:${o.port ?? 6379}`;
}

/**
 * Hands out the client when it is ready. Only the first call waits for the first connection
 * (up to `connectTimeoutMs`); after that, a call made while the client is not ready (Redis
 * stopped, restarting, unreachable) fails at once with `UNAVAILABLE`: a run with a thousand nodes
 * must not wait a thousand times for a server that is down.
 */
export class ReadyClient {
  readonly client: Redis;
  readonly #connectTimeoutMs: number;
  #first: Promise<void> | undefined;
  #tried = false;
  #lastError: Error | undefined;

  constructor(client: Redis, connectTimeoutMs: number, onError: (error: Error) => void) {
    this.client = client;
    this.#connectTimeoutMs = connectTimeoutMs;
    client.on("error", (error: Error) => {
      this.#lastError = error;
      onError(error);
    });
  }

  /** The client, once ready; rejects with `UNAVAILABLE` as described above. */
  ready(): Redis | Promise<Redis> {
    const client = this.client;
    if (client.status === "ready") return client;
    if (this.#tried) return Promise.reject(this.unavailable(`it is not connected (${client.status})`));
    this.#first ??= this.#connect().finally(() => {
      this.#tried = true;
    });
    return this.#first.then(() => client);
  }

  /** An `UNAVAILABLE` error naming the server and saying what to do. */
  unavailable(what: string, cause?: unknown): CacheRedisError {
    const last = cause ?? this.#lastError;
    const detail = last instanceof Error ? ` (${last.message})` : "";
    return new CacheRedisError(
      "UNAVAILABLE",
      // No closing period: the engine quotes the message inside a sentence of its own.
      `RedisCacheStore: Redis at ${whereIs(this.client)} is unavailable: ${what}${detail}; start Redis, or check ` +
        `the connection options (host, port, password)`,
      { cause: last },
    );
  }

  async #connect(): Promise<void> {
    const client = this.client;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(this.unavailable(`no connection within connectTimeoutMs (${this.#connectTimeoutMs} ms)`)),
        this.#connectTimeoutMs,
      );
    });
    const connected = new Promise<void>((resolve) => {
      const onReady = (): void => {
        client.off("ready", onReady);
        resolve();
      };
      client.on("ready", onReady);
      if (client.status === "wait") client.connect().catch(() => undefined);
    });
    try {
      await Promise.race([connected, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
