/**
 * What went wrong, as a stable code callers can branch on.
 *
 * - `INVALID_OPTION`: the exporter was given no file path (or not a string).
 * - `SHUT_DOWN`: spans were exported after `shutdown()`; they are not written.
 * - `WRITE_FAILED`: a line could not be written (the folder cannot be made, the disk is full, ...);
 *   the underlying error is the `cause`.
 */
export type OtlpFileErrorCode = "INVALID_OPTION" | "SHUT_DOWN" | "WRITE_FAILED";

import { defineErrorMarker, errorOptions } from "@hamilton-ts/lifecycle/internal";

const MARKER = defineErrorMarker<OtlpFileError>("hamilton-ts.otlp-file.error", "OtlpFileError");

/**
 * The error `@hamilton-ts/otlp-file` throws, or hands to an export's result callback. Branch on
 * `code`; use {@link OtlpFileError.isInstance} rather than `instanceof`, which fails across package
 * copies.
 */
export class OtlpFileError extends Error {
  /** What went wrong; see {@link OtlpFileErrorCode}. */
  readonly code: OtlpFileErrorCode;

  constructor(code: OtlpFileErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, errorOptions(options));
    MARKER.mark(this);
    this.code = code;
  }

  /** True for any error of this package, from any copy of it. */
  static isInstance(error: unknown): error is OtlpFileError {
    return MARKER.isInstance(error);
  }
}
