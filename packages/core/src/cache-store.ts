/**
 * Where cached results live: the {@link CacheStore} interface and {@link FileCacheStore}, the
 * embedded default.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeSync,
} from "node:fs";
import { join, resolve, sep } from "node:path";
import { sha256Hex, sha256Parts } from "./sha256.js";

/** A value, or a promise of it: what a {@link CacheStore} method may return. */
export type MaybePromise<T> = T | Promise<T>;

/** One entry of a {@link CacheStore}, as {@link CacheStore.entries} lists it (for expiry, size limits and deletes). */
export interface CacheEntryInfo {
  /** The key the entry is stored under (what `get` and `delete` take). */
  readonly key: string;
  /** The node whose result (or last-entry record) it holds, when the store knows it. */
  readonly node?: string;
  /** Its size in bytes. */
  readonly bytes: number;
  /** When it was written, in milliseconds since the epoch. */
  readonly storedAt: number;
  /** When it was last read by a hit (or written), in milliseconds since the epoch. */
  readonly lastUsedAt: number;
}

/**
 * A place for serialized results, by key. Each method may answer synchronously or with a promise:
 * the engine awaits only when a promise comes back, so a synchronous store ({@link FileCacheStore})
 * keeps a synchronous node's hit synchronous (no promise per node, as the engine's hot path
 * requires), while a store over the network (Redis) answers asynchronously.
 *
 * The engine writes (`set`) before `execute` settles (it waits for a store's promises). A `get`
 * or `set` that throws or rejects means the node computes: the run goes on without the cache
 * (one warning per run, naming the store and the error) and never fails because of it. Bytes a
 * `get` returns that are not an entry (corrupt, foreign, an older format) are a miss.
 */
export interface CacheStore {
  /** The bytes stored under `key`, or `undefined` when there are none. A hit refreshes the entry's `lastUsedAt` (LRU). */
  get(key: string): MaybePromise<Uint8Array | undefined>;
  /** Stores `data` under `key`, replacing what was there as one whole entry; `info.node` names the node it belongs to. */
  set(key: string, data: Uint8Array, info?: { readonly node?: string }): MaybePromise<void>;
  /** Removes the entry under `key`, if any. */
  delete(key: string): MaybePromise<void>;
  /** Removes every entry. */
  clear(): MaybePromise<void>;
  /** Every entry's key, node, size and times (for expiry, the size budget and `driver.cache.delete`). */
  entries(): Iterable<CacheEntryInfo> | AsyncIterable<CacheEntryInfo>;
}

/**
 * The cache's directory when none is given, relative to the working directory: a `.cache` folder
 * in the tracker's store (`.hamilton-ts`). A tracker project folder can never be called `.cache`:
 * the store's file names encode a leading `.` as `%2E`, so a project named `.cache` (or `cache`)
 * gets a folder of another name.
 */
export const DEFAULT_CACHE_DIR = join(".hamilton-ts", ".cache");

/**
 * The first bytes of every entry file: anything else is not an entry (a miss). The digit is the
 * file format's version: a file of another version (`hamilton-ts cache 1`, before the node's name
 * was kept) reads as a miss, never as a wrong hit, and is replaced by the next `set`.
 */
const MAGIC = Buffer.from("hamilton-ts cache 2\n", "utf8");
const CHECKSUM_BYTES = 32;
/** Marker, checksum, then the node name's length (2 bytes) and the name, then the data. */
const HEADER_BYTES = MAGIC.length + CHECKSUM_BYTES + 2;
/** A node name longer than this (in UTF-8 bytes) is not kept in the file (its entry has no `node`). */
const MAX_NODE_BYTES = 1024;
const ENTRY_EXTENSION = ".entry";
const TEMPORARY_EXTENSION = ".tmp";
const SHARD = /^[0-9a-f]{2}$/;
const PLAIN_KEY = /^[0-9a-f]{8,128}$/;
const NO_NODE = Buffer.alloc(0);
/** Hits whose access times are set in the background, at most this long after the hit. */
const TOUCH_DELAY_MS = 1000;
/** Past this many hits waiting for their access times, they are set at once. */
const MAX_PENDING_TOUCHES = 100_000;
/**
 * A hit sets its entry's access time only when this store has not set it for this long: the
 * least-recently-used order is kept to the minute, and a pipeline run again and again within a
 * minute costs no write per hit (nor a stat: the store remembers what it set).
 */
const TOUCH_GRANULARITY_MS = 60_000;
/** Stores with hits waiting for their access times: set before the process exits. */
const touching = new Set<FileCacheStore>();
let exitHook = false;

/**
 * A {@link CacheStore} in a directory: one file per key, `<dir>/<first two hex digits>/<key>.entry`.
 *
 * - Each file is written to a temporary name and renamed into place, so a reader (or a concurrent
 *   writer of the same key) sees a whole entry or none.
 * - Files are created readable by the owner only (`0o600`), directories `0o700`: the cache holds
 *   the values nodes returned, so it is as sensitive as they are.
 * - A file starts with a marker (the format's version), a SHA-256 of the key, the node's name and
 *   the data, and the node's name: a corrupt, truncated or foreign file, one of another format
 *   version (or one copied under another key's name) reads as a miss, and the next `set` replaces it.
 * - Times ({@link CacheEntryInfo}) come from the file: `storedAt` is its modification time (the
 *   write), `lastUsedAt` its access time, which this store sets to the time of a hit itself, to
 *   the minute (so the least recently used order does not depend on how the file system is
 *   mounted: `noatime`, `relatime`; a hit within a minute of the last one sets nothing) — off the hit's path, in the background a second later, before
 *   `entries()` lists, and before the process exits ({@link FileCacheStore.flushUses}).
 * - `clear()` and `entries()` see only the files this store writes, never anything else in the directory.
 *
 * All of it is synchronous: a hit of a synchronous node stays synchronous.
 */
export class FileCacheStore implements CacheStore {
  /** The directory, absolute. */
  readonly dir: string;
  /** Hits whose access time is still to be set: file → time of its last hit. */
  readonly #pending = new Map<string, number>();
  /** Files whose access time this store set (or is about to) in the last minute: file → that time. */
  readonly #touchedAt = new Map<string, number>();

  /** @param dir The directory; default {@link DEFAULT_CACHE_DIR} in the working directory. */
  constructor(dir: string = DEFAULT_CACHE_DIR) {
    this.dir = resolve(dir);
  }

  get(key: string): Uint8Array | undefined {
    const file = this.#file(key);
    let bytes: Buffer;
    try {
      // O_NOATIME: the access time is this store's to set (the hit's time, see #touch), not the kernel's.
      // (A number is a valid flag: readFileSync hands it to openSync, whose types allow it.)
      bytes = readFileSync(file, { flag: QUIET_READ as string });
    } catch (error) {
      if (QUIET_READ === "r" || (error as NodeJS.ErrnoException).code !== "EPERM") return undefined;
      // Not the file's owner, so O_NOATIME is refused: read it plainly.
      try {
        bytes = readFileSync(file);
      } catch {
        return undefined;
      }
    }
    const data = parse(key, bytes)?.data;
    if (data !== undefined) {
      const now = Date.now();
      const touched = this.#touchedAt.get(file);
      if (touched === undefined || now - touched >= TOUCH_GRANULARITY_MS) {
        this.#remember(file, now);
        this.#touch(file, now);
      }
    }
    return data;
  }

  set(key: string, data: Uint8Array, info?: { readonly node?: string }): void {
    const file = this.#file(key);
    const folder = join(file, "..");
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const temporary = `${file}.${process.pid}.${randomBytes(6).toString("hex")}${TEMPORARY_EXTENSION}`;
    let node = info?.node === undefined ? NO_NODE : Buffer.from(info.node, "utf8");
    if (node.length > MAX_NODE_BYTES) node = NO_NODE;
    const length = Buffer.alloc(2);
    length.writeUInt16BE(node.length);
    const fd = openSync(temporary, "wx", 0o600);
    try {
      writeAll(fd, MAGIC);
      writeAll(fd, checksum(key, node, data));
      writeAll(fd, length);
      writeAll(fd, node);
      writeAll(fd, data);
    } catch (error) {
      closeSync(fd);
      rmSync(temporary, { force: true });
      throw error;
    }
    closeSync(fd);
    try {
      renameSync(temporary, file);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw error;
    }
    // A file just written was just accessed: its hits within the minute need not set the time again.
    this.#remember(file, Date.now());
  }

  /** Notes that the file's access time is `at`, forgetting the stale notes when there are many. */
  #remember(file: string, at: number): void {
    const touchedAt = this.#touchedAt;
    if (touchedAt.size >= MAX_PENDING_TOUCHES && !touchedAt.has(file)) {
      for (const [other, when] of touchedAt) if (at - when >= TOUCH_GRANULARITY_MS) touchedAt.delete(other);
      // All recent: forget them all (their next hits set the time once more, nothing else).
      if (touchedAt.size >= MAX_PENDING_TOUCHES) touchedAt.clear();
    }
    touchedAt.set(file, at);
  }

  /** Keeps a hit's time, to set it as the file's access time soon (see {@link flushUses}). */
  #touch(file: string, usedAt: number): void {
    const pending = this.#pending;
    if (pending.size === 0) {
      touching.add(this);
      if (!exitHook) {
        exitHook = true;
        process.once("beforeExit", () => {
          exitHook = false;
          for (const store of touching) store.flushUses();
        });
      }
      setTimeout(() => this.flushUses(), TOUCH_DELAY_MS).unref();
    }
    pending.set(file, usedAt);
    if (pending.size >= MAX_PENDING_TOUCHES) this.flushUses();
  }

  /**
   * Sets the access time of the files hit since the last call to the time of their last hit,
   * keeping their modification time (`storedAt`). Called a second after a hit, by `entries()`,
   * and before the process exits; a write per hit on the hit's path made a hit a third slower.
   */
  flushUses(): void {
    const pending = this.#pending;
    if (pending.size === 0) return;
    touching.delete(this);
    for (const [file, usedAt] of pending) {
      try {
        utimesSync(file, usedAt / 1000, statSync(file).mtimeMs / 1000);
      } catch {
        // Gone, or not this process's to touch: its LRU time stays the file system's.
      }
    }
    pending.clear();
    const now = Date.now();
    for (const [file, at] of this.#touchedAt) if (now - at >= TOUCH_GRANULARITY_MS) this.#touchedAt.delete(file);
  }

  delete(key: string): void {
    rmSync(this.#file(key), { force: true });
  }

  clear(): void {
    for (const { folder, names } of this.#shards()) {
      for (const name of names) {
        if (name.endsWith(ENTRY_EXTENSION) || name.endsWith(TEMPORARY_EXTENSION))
          rmSync(join(folder, name), { force: true });
      }
      try {
        rmdirSync(folder);
      } catch {
        // Not empty: something else lives there; leave it.
      }
    }
  }

  /**
   * Every entry file: its key (the file's name: a key that is not plain hex is listed as its
   * SHA-256, which `get` and `delete` take too), its node (read from the file's header; none for
   * a file of another format version, which is listed so that expiry and deletes remove it),
   * its size and times. A file that vanishes while being listed is skipped.
   */
  *entries(): Iterable<CacheEntryInfo> {
    this.flushUses();
    const header = Buffer.allocUnsafe(HEADER_BYTES + MAX_NODE_BYTES);
    for (const { folder, names } of this.#shards()) {
      for (const name of names) {
        if (!name.endsWith(ENTRY_EXTENSION)) continue;
        const fd = openQuietly(join(folder, name));
        if (fd === undefined) continue;
        let info: CacheEntryInfo;
        try {
          const stat = fstatSync(fd);
          const n = readSync(fd, header, 0, header.length, 0);
          const node = nodeOf(header.subarray(0, n));
          const key = name.slice(0, -ENTRY_EXTENSION.length);
          info = {
            key,
            node,
            bytes: stat.size,
            storedAt: stat.mtimeMs,
            lastUsedAt: Math.max(stat.atimeMs, stat.mtimeMs),
          };
        } catch {
          continue;
        } finally {
          closeSync(fd);
        }
        yield info;
      }
    }
  }

  *#shards(): Iterable<{ folder: string; names: string[] }> {
    let shards: string[];
    try {
      shards = readdirSync(this.dir).filter((name) => SHARD.test(name));
    } catch {
      return;
    }
    for (const shard of shards) {
      const folder = join(this.dir, shard);
      let names: string[];
      try {
        names = readdirSync(folder);
      } catch {
        continue;
      }
      yield { folder, names };
    }
  }

  #file(key: string): string {
    const name = PLAIN_KEY.test(key) ? key : sha256Hex(key);
    // Concatenated, not join()ed: dir is absolute and normalised, the rest has no separators.
    return `${this.dir}${sep}${name.slice(0, 2)}${sep}${name}${ENTRY_EXTENSION}`;
  }
}

/**
 * Opens a file to read without the kernel moving its access time: `O_NOATIME` where the platform
 * has it (Linux; the owner only), so listing entries is not a use, and a hit's use is set by the
 * store itself (at the hit's time), whatever the mount's `relatime`/`strictatime` would do.
 */
function openQuietly(file: string): number | undefined {
  if (NOATIME !== 0) {
    try {
      return openSync(file, constants.O_RDONLY | NOATIME);
    } catch (error) {
      // Gone: no second try. Not the owner (EPERM): read it plainly.
      if ((error as NodeJS.ErrnoException).code !== "EPERM") return undefined;
    }
  }
  try {
    return openSync(file, "r");
  } catch {
    return undefined;
  }
}

const NOATIME: number = (constants as { O_NOATIME?: number }).O_NOATIME ?? 0;
/** How a hit opens its file: read-only without moving the access time where the platform can. */
const QUIET_READ: number | "r" = NOATIME === 0 ? "r" : constants.O_RDONLY | NOATIME;

/** The node and data of an entry file's bytes, or undefined when they are not this key's entry. */
function parse(key: string, bytes: Buffer): { node: Buffer; data: Buffer } | undefined {
  if (bytes.length < HEADER_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const nodeEnd = HEADER_BYTES + bytes.readUInt16BE(HEADER_BYTES - 2);
  if (nodeEnd > bytes.length) return undefined;
  const node = bytes.subarray(HEADER_BYTES, nodeEnd);
  const data = bytes.subarray(nodeEnd);
  const expected = checksum(key, node, data);
  return expected.equals(bytes.subarray(MAGIC.length, MAGIC.length + CHECKSUM_BYTES)) ? { node, data } : undefined;
}

/** The node's name in an entry file's first bytes; undefined for none, or a file of another format. */
function nodeOf(head: Buffer): string | undefined {
  if (head.length < HEADER_BYTES || !head.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const length = head.readUInt16BE(HEADER_BYTES - 2);
  if (length === 0 || HEADER_BYTES + length > head.length) return undefined;
  return head.subarray(HEADER_BYTES, HEADER_BYTES + length).toString("utf8");
}

/** SHA-256 of the key, the node name (length first) and the data. */
function checksum(key: string, node: Uint8Array, data: Uint8Array): Buffer {
  return sha256Parts(`${key}\0${node.length}\0`, [node, data]);
}

function writeAll(fd: number, data: Uint8Array): void {
  let offset = 0;
  while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset);
}
