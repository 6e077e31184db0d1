/**
 * Where cached results live: the {@link CacheStore} interface and {@link FileCacheStore}, the
 * embedded default.
 *
 * @module
 */
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeSync,
} from "node:fs";
import { join, resolve } from "node:path";

/**
 * A place for serialized results, by key. Synchronous on purpose: a cache hit of a synchronous
 * node stays synchronous (no promise per node), as the engine's hot path requires; a store over
 * the network belongs behind a local file store, not in the node loop.
 *
 * The engine calls `set` before `execute` settles, and treats a `get` that throws or returns bytes
 * it cannot read as a miss; a `set` that throws is reported once per driver and the run goes on.
 */
export interface CacheStore {
  /** The bytes stored under `key`, or `undefined` when there are none (or they cannot be read). */
  get(key: string): Uint8Array | undefined;
  /** Stores `data` under `key`, replacing what was there as one whole entry. */
  set(key: string, data: Uint8Array): void;
  /** Removes every entry. */
  clear(): void;
}

/**
 * The cache's directory when none is given, relative to the working directory: a `.cache` folder
 * in the tracker's store (`.hamilton-ts`). A tracker project folder can never be called `.cache`:
 * the store's file names encode a leading `.` as `%2E`, so a project named `.cache` (or `cache`)
 * gets a folder of another name.
 */
export const DEFAULT_CACHE_DIR = join(".hamilton-ts", ".cache");

/** The first bytes of every entry file: anything else is not an entry (a miss). */
const MAGIC = Buffer.from("hamilton-ts cache 1\n", "utf8");
const CHECKSUM_BYTES = 32;
const HEADER_BYTES = MAGIC.length + CHECKSUM_BYTES;
const ENTRY_EXTENSION = ".entry";
const TEMPORARY_EXTENSION = ".tmp";
const SHARD = /^[0-9a-f]{2}$/;
const PLAIN_KEY = /^[0-9a-f]{8,128}$/;

/**
 * A {@link CacheStore} in a directory: one file per key, `<dir>/<first two hex digits>/<key>.entry`.
 *
 * - Each file is written to a temporary name and renamed into place, so a reader (or a concurrent
 *   writer of the same key) sees a whole entry or none.
 * - Files are created readable by the owner only (`0o600`), directories `0o700`: the cache holds
 *   the values nodes returned, so it is as sensitive as they are.
 * - A file starts with a marker and a SHA-256 of the key and the data: a corrupt, truncated or
 *   foreign file (or one copied under another key's name) reads as a miss, and the next `set`
 *   replaces it.
 * - `clear()` removes only the files this store writes, never anything else in the directory.
 */
export class FileCacheStore implements CacheStore {
  /** The directory, absolute. */
  readonly dir: string;

  /** @param dir The directory; default {@link DEFAULT_CACHE_DIR} in the working directory. */
  constructor(dir: string = DEFAULT_CACHE_DIR) {
    this.dir = resolve(dir);
  }

  get(key: string): Uint8Array | undefined {
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.#file(key));
    } catch {
      return undefined;
    }
    if (bytes.length < HEADER_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
    const data = bytes.subarray(HEADER_BYTES);
    const expected = checksum(key, data);
    return expected.equals(bytes.subarray(MAGIC.length, HEADER_BYTES)) ? data : undefined;
  }

  set(key: string, data: Uint8Array): void {
    const file = this.#file(key);
    const folder = join(file, "..");
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const temporary = `${file}.${process.pid}.${randomBytes(6).toString("hex")}${TEMPORARY_EXTENSION}`;
    const fd = openSync(temporary, "wx", 0o600);
    try {
      writeAll(fd, MAGIC);
      writeAll(fd, checksum(key, data));
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
  }

  clear(): void {
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

  #file(key: string): string {
    const name = PLAIN_KEY.test(key) ? key : createHash("sha256").update(key).digest("hex");
    return join(this.dir, name.slice(0, 2), `${name}${ENTRY_EXTENSION}`);
  }
}

function checksum(key: string, data: Uint8Array): Buffer {
  return createHash("sha256").update(key).update("\0").update(data).digest();
}

function writeAll(fd: number, data: Uint8Array): void {
  let offset = 0;
  while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset);
}
