/**
 * What went wrong, as a stable code callers can branch on.
 *
 * - `INVALID_OPTION`: the exporter was given no file path (or not a string).
 * - `SHUT_DOWN`: spans were exported after `shutdown()`; they are not written.
 * - `WRITE_FAILED`: a line could not be written (the folder cannot be made, the disk is full, ...);
 *   the underlying error is the `cause`.
 */
export type OtlpFileErrorCode = "INVALID_OPTION" | "SHUT_DOWN" | "WRITE_FAILED";

// The cross-copy mark written out here, not taken from `@hamilton-ts/lifecycle/internal`'s
// `defineErrorMarker` (which every other package's error class uses): this exporter depends on
// OpenTelemetry only, so an app that writes its traces with it installs nothing of hamilton-ts
// besides. Keep it as that helper does it: a read-only `true` under `Symbol.for(<key>)`.
const MARKER = Symbol.for("hamilton-ts.otlp-file.error");

/**
 * The error `@hamilton-ts/otlp-file` throws, or hands to an export's result callback. Branch on
 * `code`; use {@link OtlpFileError.isInstance} rather than `instanceof`, which fails across package
 * copies.
 */
export class OtlpFileError extends Error {
  /** What went wrong; see {@link OtlpFileErrorCode}. */
  readonly code: OtlpFileErrorCode;

  constructor(code: OtlpFileErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, "cause" in options ? { cause: options.cause } : undefined);
    this.name = "OtlpFileError";
    this.code = code;
    Object.defineProperty(this, MARKER, { value: true });
  }

  /** True for any error of this package, from any copy of it. */
  static isInstance(error: unknown): error is OtlpFileError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}
