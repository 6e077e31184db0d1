/**
 * Redis connections that never hang: bullmq waits for `ready` forever and re-emits connection
 * errors as `error` events (which crash a process with no listener), so connections are made
 * here, with an `error` listener and a timer of our own.
 *
 * @module
 */
import { Redis, type RedisOptions } from "ioredis";
import { BullMQError } from "./errors.js";

/** Where Redis is: ioredis options (`host`, `port`, `password`, `db`, `tls`, …). */
export type ConnectionOptions = RedisOptions;

/** The default of `connectTimeoutMs`. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/** Checks a positive whole number of milliseconds (or count) option. */
export function checkPositive(value: unknown, name: string, where: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new BullMQError("INVALID_OPTION", `${where}: ${name} must be a whole number ≥ 1, got ${String(value)}.`);
  }
  return value;
}

/** Checks the `connection` option. */
export function checkConnection(value: unknown, where: string): ConnectionOptions {
  if (value === null || typeof value !== "object") {
    throw new BullMQError(
      "INVALID_OPTION",
      `${where}: connection must be Redis connection options, e.g. { host: "127.0.0.1", port: 6379 }, got ${value === null ? "null" : typeof value}.`,
    );
  }
  return value as ConnectionOptions;
}

/**
 * A connected Redis client, or a `BullMQError` (`CONNECTION`) after `timeoutMs`. Its later errors
 * go to `onError` (never unhandled).
 */
export async function connect(
  options: ConnectionOptions,
  timeoutMs: number,
  onError: (error: Error) => void,
): Promise<Redis> {
  const redis = new Redis({
    ...options,
    lazyConnect: true,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    // `subscribe` below does it, with a catch.
    autoResubscribe: false,
  });
  let last: Error | undefined;
  redis.on("error", (error: Error) => {
    last = error;
    onError(error);
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const where = whereIs(options);
  try {
    await Promise.race([
      redis.connect(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new BullMQError(
                "CONNECTION",
                `Redis at ${where} could not be reached within ${timeoutMs} ms${last ? ` (${last.message})` : ""}. ` +
                  `Start it, or check connection (host, port, password) and connectTimeoutMs.`,
                { cause: last },
              ),
            ),
          timeoutMs,
        );
      }),
    ]);
  } catch (error) {
    redis.disconnect();
    if (BullMQError.isInstance(error)) throw error;
    throw new BullMQError(
      "CONNECTION",
      `Redis at ${where} could not be reached: ${(error instanceof Error ? error.message : String(error)).replace(/\.$/, "")}. ` +
        `Start it, or check connection (host, port, password).`,
      { cause: error },
    );
  } finally {
    clearTimeout(timer);
  }
  return redis;
}

/**
 * Subscribes a client made by `connect` to `channel`, and again each time it is ready after a
 * reconnection; those later failures go to `onError`. ioredis's own resubscription leaves its
 * SUBSCRIBE's promise unhandled: a client closed while that SUBSCRIBE was on its way (Redis back
 * just before `close()`) left an unhandled rejection ("Connection is closed") in the process.
 */
export async function subscribe(redis: Redis, channel: string, onError: (error: Error) => void): Promise<void> {
  await redis.subscribe(channel);
  redis.on("ready", () => void redis.subscribe(channel).catch(onError));
}

/** `host:port` of a connection, for messages. */
export function whereIs(options: ConnectionOptions): string {
  return `${options.host ?? "127.0.0.1"}:${options.port ?? 6379}`;
}

/**
 * Calls `onLost` once a connected client has been disconnected for `timeoutMs` without becoming
 * ready again (ioredis reconnects on its own; a short drop that heals in time is not reported).
 * Returns a function that stops watching.
 */
export function watchConnection(redis: Redis, timeoutMs: number, onLost: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const lost = (): void => {
    timer ??= setTimeout(() => {
      timer = undefined;
      if (redis.status !== "ready") onLost();
    }, timeoutMs);
  };
  const back = (): void => {
    clearTimeout(timer);
    timer = undefined;
  };
  redis.on("close", lost);
  redis.on("end", lost);
  redis.on("ready", back);
  return () => {
    back();
    redis.off("close", lost);
    redis.off("end", lost);
    redis.off("ready", back);
  };
}
