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

import { defineErrorMarker, errorOptions } from "@hamilton-ts/lifecycle/internal";

const MARKER = defineErrorMarker<CacheRedisError>("hamilton-ts.cache-redis.error", "CacheRedisError");

/**
 * The error `@hamilton-ts/cache-redis` throws or rejects with. Branch on `code`; use
 * {@link CacheRedisError.isInstance} rather than `instanceof`, which fails across package copies.
 */
export class CacheRedisError extends Error {
  /** What went wrong; see {@link CacheRedisErrorCode}. */
  readonly code: CacheRedisErrorCode;

  constructor(code: CacheRedisErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, errorOptions(options));
    MARKER.mark(this);
    this.code = code;
  }

  /** True for any error of this package, from any copy of it. */
  static isInstance(error: unknown): error is CacheRedisError {
    return MARKER.isInstance(error);
  }
}
