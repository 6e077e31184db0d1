/**
 * What went wrong, as a stable code callers can branch on.
 *
 * - `INVALID_LINE`: a line handed to an append holds a newline (a record must be one line) or is
 *   not a string.
 * - `RECORD_TOO_LARGE`: one line is larger than a single write may be (see `MAX_WRITE_BYTES`).
 * - `WRITE_FAILED`: the file could not be opened or written (its folder is missing, the disk is
 *   full, ...); the underlying error is the `cause`.
 */
export type StoreErrorCode = "INVALID_LINE" | "RECORD_TOO_LARGE" | "WRITE_FAILED";

// The cross-copy mark is written out here rather than taken from `@hamilton-ts/lifecycle/internal`'s
// `defineErrorMarker` (which every other package's error class uses): the store has no runtime
// dependencies, and one helper is not worth its first. Keep it as that helper does it: the name,
// and a read-only `true` under `Symbol.for(<key>)`, whose key must never change.
const MARKER = Symbol.for("hamilton-ts.store.error");

/**
 * The error `@hamilton-ts/store` throws. Branch on `code`; use {@link StoreError.isInstance} rather
 * than `instanceof`, which fails across package copies.
 */
export class StoreError extends Error {
  /** What went wrong; see {@link StoreErrorCode}. */
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, "cause" in options ? { cause: options.cause } : undefined);
    this.name = "StoreError";
    this.code = code;
    Object.defineProperty(this, MARKER, { value: true });
  }

  /** True for any error of this package, from any copy of it. */
  static isInstance(error: unknown): error is StoreError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}
