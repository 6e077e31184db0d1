/**
 * @packageDocumentation
 * `@hamilton-ts/cache-redis`: a hamilton-ts cache store on Redis (`RedisCacheStore`), so that
 * processes, machines and BullMQ workers share node results.
 */
export { CacheRedisError } from "./errors.js";
export type { CacheRedisErrorCode } from "./errors.js";
