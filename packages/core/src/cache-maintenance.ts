/**
 * The store's upkeep: expiry and the size budget after each run (`withCache({ maxAgeMs,
 * maxBytes })`), and `driver.cache.delete({ node, olderThanMs })`. Both list the store's entries
 * (`CacheStore.entries`) and delete through `CacheStore.delete`; with a synchronous store all of
 * it is synchronous.
 *
 * @module
 */
import { isThenable } from "@hamilton-ts/lifecycle/internal";
import type { CacheEntryInfo, CacheStore, MaybePromise } from "./cache-store.js";

/** Why an entry was evicted. */
export type EvictionReason = "maxAgeMs" | "maxBytes";

/** The limits of {@link evict}. */
export interface EvictionLimits {
  readonly maxAgeMs: number | undefined;
  readonly maxBytes: number | undefined;
}

/**
 * Deletes the entries written more than `maxAgeMs` before `now`, then, while the rest add up to
 * more than `maxBytes`, the least recently used ones (`lastUsedAt`, then `storedAt`, then the key:
 * the same order in every process). Calls `evicted` for each; resolves (or returns) when done.
 */
export function evict(
  store: CacheStore,
  limits: EvictionLimits,
  now: number,
  evicted: (entry: CacheEntryInfo, reason: EvictionReason) => void,
): MaybePromise<void> {
  return andThen(listEntries(store), (entries) => {
    const doomed: [CacheEntryInfo, EvictionReason][] = [];
    let kept = entries;
    if (limits.maxAgeMs !== undefined) {
      const oldest = now - limits.maxAgeMs;
      kept = [];
      for (const e of entries) {
        if (e.storedAt < oldest) doomed.push([e, "maxAgeMs"]);
        else kept.push(e);
      }
    }
    if (limits.maxBytes !== undefined) {
      let total = 0;
      for (const e of kept) total += e.bytes;
      if (total > limits.maxBytes) {
        const byUse = [...kept].sort(
          (a, b) => a.lastUsedAt - b.lastUsedAt || a.storedAt - b.storedAt || (a.key < b.key ? -1 : 1),
        );
        for (const e of byUse) {
          if (total <= limits.maxBytes) break;
          doomed.push([e, "maxBytes"]);
          total -= e.bytes;
        }
      }
    }
    return andThen(
      deleteAll(
        store,
        doomed.map(([e]) => e.key),
      ),
      () => {
        for (const [e, reason] of doomed) evicted(e, reason);
      },
    );
  });
}

/** Deletes the entries of `node` (when given) written more than `olderThanMs` ago (when given); returns how many. */
export function deleteMatching(
  store: CacheStore,
  node: string | undefined,
  olderThanMs: number | undefined,
  now: number,
): MaybePromise<number> {
  return andThen(listEntries(store), (entries) => {
    const keys: string[] = [];
    for (const e of entries) {
      if (node !== undefined && e.node !== node) continue;
      if (olderThanMs !== undefined && e.storedAt >= now - olderThanMs) continue;
      keys.push(e.key);
    }
    return andThen(deleteAll(store, keys), () => keys.length);
  });
}

/** Every entry of the store, listed synchronously when the store lists synchronously. */
export function listEntries(store: CacheStore): MaybePromise<CacheEntryInfo[]> {
  const listed = store.entries();
  if (Symbol.asyncIterator in listed) {
    return (async () => {
      const out: CacheEntryInfo[] = [];
      for await (const e of listed as AsyncIterable<CacheEntryInfo>) out.push(e);
      return out;
    })();
  }
  return [...(listed as Iterable<CacheEntryInfo>)];
}

function deleteAll(store: CacheStore, keys: readonly string[]): MaybePromise<void> {
  let pending: Promise<void>[] | undefined;
  for (const key of keys) {
    const out = store.delete(key);
    if (isThenable(out)) (pending ??= []).push(Promise.resolve(out));
  }
  return pending === undefined ? undefined : Promise.all(pending).then(() => undefined);
}

/** `f(value)`, after `value` settles when it is a promise. */
export function andThen<T, U>(value: MaybePromise<T>, f: (value: T) => MaybePromise<U>): MaybePromise<U> {
  return isThenable(value) ? Promise.resolve(value).then(f) : f(value as T);
}
