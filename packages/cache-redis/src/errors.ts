/**
 * The package's one error class, {@link CacheRedisError}, and its codes.
 *
 * @module
 */

/**
 * What went wrong, as a stable code callers can branch on.
 *
 * - `INVALID_OPTION`: `new RedisCacheStore(options)` was given a bad option (the message names it).
 * - `UNAVAILABLE`: Redis could not be reached, or a command failed or timed out (the server is down,
 *   restarting, or hung); the underlying error is the `cause`. The engine then computes the node.
 * - `CLOSED`: the store was used after `close()`.
 */
export type CacheRedisErrorCode = "INVALID_OPTION" | "UNAVAILABLE" | "CLOSED";

// The cross-copy mark, as every hamilton-ts error class has one: a read-only `true` under
// `Symbol.for(<key>)`, written out here so that the package depends on ioredis only.
const MARKER = Symbol.for("hamilton-ts.cache-redis.error");

/**
 * The error `@hamilton-ts/cache-redis` throws or rejects with. Branch on `code`; use
 * {@link CacheRedisError.isInstance} rather than `instanceof`, which fails across package copies.
 */
export class CacheRedisError extends Error {
  /** What went wrong; see {@link CacheRedisErrorCode}. */
  readonly code: CacheRedisErrorCode;

  constructor(code: CacheRedisErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, "cause" in options ? { cause: options.cause } : undefined);
    this.name = "CacheRedisError";
    this.code = code;
    Object.defineProperty(this, MARKER, { value: true });
  }

  /** True for any error of this package, from any copy of it. */
  static isInstance(error: unknown): error is CacheRedisError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}
