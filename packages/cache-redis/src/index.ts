/**
 * @packageDocumentation
 * `@hamilton-ts/cache-redis`: a hamilton-ts cache store on Redis (`RedisCacheStore`), so that
 * processes, machines and BullMQ workers share node results:
 * `new Builder().withCache({ store: new RedisCacheStore({ connection: { host, port } }) })`.
 */
export { RedisCacheStore, DEFAULT_PREFIX } from "./redis-store.js";
export type { RedisCacheStoreOptions } from "./redis-store.js";
export { CacheRedisError } from "./errors.js";
export type { CacheRedisErrorCode } from "./errors.js";
export type { CacheEntryInfo, MaybePromise } from "./store-shape.js";
