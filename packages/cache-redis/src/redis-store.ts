/**
 * {@link RedisCacheStore}: core's cache store on Redis — its options, a hit in one round trip
 * with an integrity check, atomic writes, listing by SCAN, deletes confined to its prefix.
 *
 * @module
 */
import type { Redis, RedisOptions } from "ioredis";
import {
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  isClient,
  makeClient,
  ReadyClient,
} from "./connection.js";
import { checksum, entryName, GET_SCRIPT, GET_SCRIPT_SHA, isEntryName, scanPattern } from "./entry-format.js";
import { CacheRedisError } from "./errors.js";
import type { CacheEntryInfo, CacheStoreShape } from "./store-shape.js";

/** Options of {@link RedisCacheStore}. */
export interface RedisCacheStoreOptions {
  /**
   * Where Redis is: ioredis options (`{ host, port, password, db, tls, … }`, as BullMQ takes
   * them), or an ioredis client to share. A client you give stays yours: `close()` leaves it open,
   * and its own settings decide how long a call may wait (see the README).
   */
  readonly connection: RedisOptions | Redis;
  /**
   * The prefix of every key the store writes, `<prefix>:<hex>` (default `"hamilton-ts:cache"`).
   * `clear()` and `entries()` see only that prefix's entries; stores with other prefixes on the
   * same Redis (another project, a test) never see each other's.
   */
  readonly prefix?: string;
  /**
   * How long the first call waits for the first connection, in ms (default 2,000). After that a
   * call made while Redis is away fails at once, so a run never waits on a Redis that is down.
   */
  readonly connectTimeoutMs?: number;
  /**
   * How long a call waits for Redis's answer, in ms (default 2,000), for a server that is up but
   * hung. Applies to a client the store makes (a client you give has its own `commandTimeout`).
   * Raise it for very large values on a slow link.
   */
  readonly commandTimeoutMs?: number;
  /** Where connection errors go (ioredis reports each failed reconnection); default: dropped. */
  readonly onError?: (error: Error) => void;
}

/** The prefix when none is given. */
export const DEFAULT_PREFIX = "hamilton-ts:cache";

const SCAN_COUNT = 1_000;

/**
 * A cache store (core's `CacheStore`) on Redis: `Builder.withCache({ store: new RedisCacheStore({ connection }) })`
 * lets processes, machines and BullMQ workers share node results.
 *
 * - **A hit is one round trip**: a Lua script reads the entry and sets its `lastUsedAt`.
 * - **Atomic writes**: an entry is one Redis hash, replaced by one `MULTI` (delete, then all its
 *   fields), so no reader sees half an entry, and concurrent writers of one key leave one whole
 *   entry (the last one's).
 * - **Integrity**: each entry carries a SHA-256 of its key, node and bytes (with the format's
 *   version); a corrupt, foreign or older-format entry reads as a miss, and the next `set`
 *   replaces it.
 * - **Its prefix only**: `entries()` and `clear()` walk the prefix with `SCAN` (never `KEYS`,
 *   which blocks Redis) and touch only the keys this store makes.
 * - **Redis down**: calls reject with a `CacheRedisError` (`UNAVAILABLE`) at once instead of
 *   queueing (see `connectTimeoutMs`, `commandTimeoutMs`); the engine then computes the node and
 *   warns once per run. The client reconnects in the background.
 *
 * Call `close()` when done: a client the store made keeps the process alive.
 */
export class RedisCacheStore implements CacheStoreShape {
  /** The prefix of the store's keys. */
  readonly prefix: string;
  readonly #ready: ReadyClient;
  readonly #owned: boolean;
  #closed = false;

  constructor(options: RedisCacheStoreOptions) {
    const where = "new RedisCacheStore(options)";
    if (options === null || typeof options !== "object") {
      throw new CacheRedisError(
        "INVALID_OPTION",
        `${where}: options must be an object such as { connection: { host: "127.0.0.1", port: 6379 } }, got ${describe(options)}.`,
      );
    }
    const known = ["connection", "prefix", "connectTimeoutMs", "commandTimeoutMs", "onError"];
    const unknown = Object.keys(options).filter((k) => !known.includes(k));
    if (unknown.length > 0) {
      throw new CacheRedisError(
        "INVALID_OPTION",
        `${where}: unknown option ${unknown.map((u) => `"${u}"`).join(", ")}; the options are ${known.join(", ")}.`,
      );
    }
    const prefix = options.prefix ?? DEFAULT_PREFIX;
    if (typeof prefix !== "string" || prefix.length === 0) {
      throw new CacheRedisError(
        "INVALID_OPTION",
        `${where}: prefix must be a non-empty string such as "myproject:cache", got ${describe(prefix)}.`,
      );
    }
    const connectTimeoutMs = checkMs(options.connectTimeoutMs, "connectTimeoutMs", where, DEFAULT_CONNECT_TIMEOUT_MS);
    const commandTimeoutMs = checkMs(options.commandTimeoutMs, "commandTimeoutMs", where, DEFAULT_COMMAND_TIMEOUT_MS);
    if (options.onError !== undefined && typeof options.onError !== "function") {
      throw new CacheRedisError("INVALID_OPTION", `${where}: onError must be a function (error: Error) => void.`);
    }
    const connection = options.connection;
    if (connection === null || typeof connection !== "object") {
      throw new CacheRedisError(
        "INVALID_OPTION",
        `${where}: connection must be ioredis options such as { host: "127.0.0.1", port: 6379 } or an ioredis client, got ${describe(connection)}.`,
      );
    }
    const given = isClient(connection);
    const keyPrefix = given ? connection.options.keyPrefix : (connection as RedisOptions).keyPrefix;
    if (keyPrefix !== undefined && keyPrefix !== "") {
      throw new CacheRedisError(
        "INVALID_OPTION",
        `${where}: the connection has keyPrefix ${JSON.stringify(keyPrefix)}, which SCAN does not apply, so entries() ` +
          `and clear() would miss the entries. Drop keyPrefix and pass it as the store's prefix instead.`,
      );
    }
    const client = given ? connection : makeClient(connection as RedisOptions, commandTimeoutMs);
    this.prefix = prefix;
    this.#owned = !given;
    this.#ready = new ReadyClient(client, connectTimeoutMs, options.onError ?? (() => undefined));
  }

  /** The bytes under `key`, or `undefined` (none, or not a whole entry of this format); a hit sets `lastUsedAt`. */
  async get(key: string): Promise<Uint8Array | undefined> {
    const client = await this.#client();
    const name = entryName(this.prefix, key);
    const now = String(Date.now());
    let reply: unknown;
    try {
      reply = await client.callBuffer("evalsha", [GET_SCRIPT_SHA, 1, name, now]);
    } catch (error) {
      if (!isNoScript(error)) throw this.#failed("a read", error);
      try {
        reply = await client.callBuffer("eval", [GET_SCRIPT, 1, name, now]);
      } catch (again) {
        throw this.#failed("a read", again);
      }
    }
    if (!Array.isArray(reply)) return undefined;
    const [sum, data, storedKey, node] = reply as (Buffer | null)[];
    if (data == null || sum == null || storedKey == null) return undefined;
    if (storedKey.toString("utf8") !== key) return undefined;
    const expected = checksum(key, node == null ? "" : node.toString("utf8"), data);
    return sum.toString("latin1") === expected ? data : undefined;
  }

  /** Stores `data` under `key` as one whole entry (replacing what was there), in one `MULTI`. */
  async set(key: string, data: Uint8Array, info?: { readonly node?: string }): Promise<void> {
    const client = await this.#client();
    const name = entryName(this.prefix, key);
    const node = typeof info?.node === "string" ? info.node : "";
    const now = String(Date.now());
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const fields: (string | Buffer)[] = ["k", key, "d", bytes, "c", checksum(key, node, data), "s", now, "u", now];
    if (node !== "") fields.push("n", node);
    let replies: [Error | null, unknown][] | null;
    try {
      replies = await client
        .multi()
        .del(name)
        .hset(name, ...fields)
        .exec();
    } catch (error) {
      throw this.#failed("a write", error);
    }
    const failure = replies?.find(([error]) => error !== null)?.[0];
    if (replies === null || failure)
      throw this.#failed("a write", failure ?? new Error("the transaction was discarded"));
  }

  /** Removes the entry under `key`, if any. */
  async delete(key: string): Promise<void> {
    const client = await this.#client();
    try {
      await client.del(entryName(this.prefix, key));
    } catch (error) {
      throw this.#failed("a delete", error);
    }
  }

  /** Removes every entry under the prefix (and nothing else), walking it with `SCAN`. */
  async clear(): Promise<void> {
    for await (const names of this.#scan()) {
      if (names.length === 0) continue;
      const client = await this.#client();
      try {
        await client.unlink(...names);
      } catch (error) {
        throw this.#failed("a delete", error);
      }
    }
  }

  /** Every entry under the prefix: key, node, size and times (one `SCAN` step and one pipeline per batch). */
  async *entries(): AsyncIterable<CacheEntryInfo> {
    for await (const names of this.#scan()) {
      if (names.length === 0) continue;
      const client = await this.#client();
      const pipeline = client.pipeline();
      for (const name of names) pipeline.hmget(name, "k", "n", "s", "u").hstrlen(name, "d");
      let replies: [Error | null, unknown][] | null;
      try {
        replies = await pipeline.exec();
      } catch (error) {
        throw this.#failed("a listing", error);
      }
      if (replies === null) throw this.#failed("a listing", new Error("the pipeline was discarded"));
      for (let i = 0; i < names.length; i++) {
        const [fieldsError, fields] = replies[2 * i]!;
        const [sizeError, size] = replies[2 * i + 1]!;
        // Something else under the prefix (not a hash) answers WRONGTYPE: not an entry.
        if (fieldsError !== null || sizeError !== null) continue;
        const [key, node, storedAt, lastUsedAt] = fields as (string | null)[];
        if (key == null || storedAt == null || typeof size !== "number" || size === 0) continue;
        if (entryName(this.prefix, key) !== names[i]) continue;
        const stored = Number(storedAt);
        const used = lastUsedAt == null ? stored : Number(lastUsedAt);
        const entry: CacheEntryInfo =
          node == null
            ? { key, bytes: size, storedAt: stored, lastUsedAt: used }
            : { key, node, bytes: size, storedAt: stored, lastUsedAt: used };
        yield entry;
      }
    }
  }

  /**
   * Closes the client the store made (a client you gave stays open). Calls after it reject
   * with `CLOSED`.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#owned) return;
    const client = this.#ready.client;
    if (client.status === "ready") {
      try {
        await client.quit();
        return;
      } catch {
        // Gone meanwhile: disconnect below.
      }
    }
    client.disconnect();
  }

  /** The prefix's entry names, a SCAN batch at a time. */
  async *#scan(): AsyncIterable<string[]> {
    const pattern = scanPattern(this.prefix);
    let cursor = "0";
    do {
      const client = await this.#client();
      let reply: [string, string[]];
      try {
        reply = await client.scan(cursor, "MATCH", pattern, "COUNT", SCAN_COUNT);
      } catch (error) {
        throw this.#failed("a listing", error);
      }
      cursor = reply[0];
      yield reply[1].filter((name) => isEntryName(this.prefix, name));
    } while (cursor !== "0");
  }

  #client(): Redis | Promise<Redis> {
    if (this.#closed)
      return Promise.reject(new CacheRedisError("CLOSED", "RedisCacheStore: the store was closed; make a new one."));
    return this.#ready.ready();
  }

  #failed(what: string, error: unknown): CacheRedisError {
    if (CacheRedisError.isInstance(error)) return error;
    return this.#ready.unavailable(`${what} failed`, error);
  }
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("NOSCRIPT");
}

function checkMs(value: unknown, name: string, where: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new CacheRedisError(
      "INVALID_OPTION",
      `${where}: ${name} must be a whole number of ms ≥ 1, got ${describe(value)}.`,
    );
  }
  return value;
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number") return String(value);
  return typeof value;
}
