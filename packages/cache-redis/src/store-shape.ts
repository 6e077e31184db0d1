/**
 * The shape of a hamilton-ts cache store, as `@hamilton-ts/core` declares it (`CacheStore`,
 * `CacheEntryInfo`). Written out here rather than imported, so that this package depends on
 * ioredis only: TypeScript compares shapes, and a {@link RedisCacheStore} is accepted wherever
 * core asks for a `CacheStore`.
 *
 * @module
 */

/** A value, or a promise of it. */
export type MaybePromise<T> = T | Promise<T>;

/** One entry of a store, as `entries()` lists it. */
export interface CacheEntryInfo {
  /** The key the entry is stored under (what `get` and `delete` take). */
  readonly key: string;
  /** The node whose result it holds, when the writer said. */
  readonly node?: string;
  /** The size of the stored bytes. */
  readonly bytes: number;
  /** When it was written, in milliseconds since the epoch. */
  readonly storedAt: number;
  /** When a hit last read it (or it was written), in milliseconds since the epoch. */
  readonly lastUsedAt: number;
}

/** core's `CacheStore`. */
export interface CacheStoreShape {
  get(key: string): MaybePromise<Uint8Array | undefined>;
  set(key: string, data: Uint8Array, info?: { readonly node?: string }): MaybePromise<void>;
  delete(key: string): MaybePromise<void>;
  clear(): MaybePromise<void>;
  entries(): Iterable<CacheEntryInfo> | AsyncIterable<CacheEntryInfo>;
}
