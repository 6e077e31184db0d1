/**
 * What went wrong, as a stable code callers can branch on.
 *
 * - `INVALID_OPTION`: a constructor option has the wrong type or value.
 * - `UNAUTHORIZED`: the Hamilton UI refused the `username` / `apiKey` (HTTP 401 or 403).
 * - `PROJECT_NOT_FOUND`: the Hamilton UI has no project with the tracker's `projectId`.
 * - `HTTP_ERROR`: the Hamilton UI answered with another error status.
 * - `BAD_RESPONSE`: the Hamilton UI answered with a body the client cannot use.
 * - `SINK_UNAVAILABLE`: the sink could not be reached (connection refused, reset, DNS, ...).
 * - `SINK_TIMEOUT`: the sink did not answer in time.
 * - `UNKNOWN_RUN`: node records arrived for a run the sink never saw start.
 */
export type TrackerErrorCode =
  | "INVALID_OPTION"
  | "UNAUTHORIZED"
  | "PROJECT_NOT_FOUND"
  | "HTTP_ERROR"
  | "BAD_RESPONSE"
  | "SINK_UNAVAILABLE"
  | "SINK_TIMEOUT"
  | "UNKNOWN_RUN";

import { defineErrorMarker, errorOptions } from "@hamilton-ts/lifecycle/internal";
import type { TrackerRecord } from "./records.js";

const MARKER = defineErrorMarker<TrackerError>("hamilton-ts.tracker.error", "TrackerError");

/** Options of {@link TrackerError}. */
export interface TrackerErrorOptions {
  /** The underlying error. */
  cause?: unknown;
  /**
   * Whether delivering the same records again may succeed. The delivery queue retries retryable
   * errors with backoff and discards (and reports) the batch on a non-retryable one. Default: true.
   */
  retryable?: boolean;
  /** The HTTP status, for errors from an HTTP sink. */
  status?: number;
  /**
   * For a non-retryable error of a sink's `write`: the records of the batch that were not
   * delivered (in full). The queue sets aside only these and counts the rest of the batch as
   * delivered. Without it, the whole batch is set aside.
   */
  setAside?: readonly TrackerRecord[];
}

/**
 * The error the tracker and its sinks throw or report. Branch on `code`; use
 * {@link TrackerError.isInstance} rather than `instanceof`, which fails across package copies.
 */
export class TrackerError extends Error {
  /** What went wrong; see {@link TrackerErrorCode}. */
  readonly code: TrackerErrorCode;
  /** Whether delivering the same records again may succeed (see {@link TrackerErrorOptions.retryable}). */
  readonly retryable: boolean;
  /** The HTTP status, for errors from an HTTP sink. */
  readonly status: number | undefined;
  /** The records of a rejected batch that were not delivered (see {@link TrackerErrorOptions.setAside}). */
  readonly setAside: readonly TrackerRecord[] | undefined;

  constructor(code: TrackerErrorCode, message: string, options: TrackerErrorOptions = {}) {
    super(message, errorOptions(options));
    MARKER.mark(this);
    this.code = code;
    this.retryable = options.retryable ?? true;
    this.status = options.status;
    this.setAside = options.setAside;
  }

  /** True for any tracker error, from any copy of the package. */
  static isInstance(error: unknown): error is TrackerError {
    return MARKER.isInstance(error);
  }
}

/**
 * True unless `error` says it must not be retried: an object with `retryable === false` (any
 * sink, not only the built-in ones, can mark its errors this way).
 */
export function isRetryable(error: unknown): boolean {
  return !(typeof error === "object" && error !== null && (error as { retryable?: unknown }).retryable === false);
}
