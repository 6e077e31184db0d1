import { defineErrorMarker, errorOptions } from "@hamilton-ts/lifecycle/internal";

/**
 * What went wrong, as a stable code callers can branch on.
 *
 * - `INVALID_OPTION`: an option of `startUi` (or a command-line flag) has the wrong type or value.
 * - `API_KEY_REQUIRED`: a host other than loopback was asked for without an API key.
 * - `LISTEN_FAILED`: the server could not listen (the port is taken, the host is not this machine's).
 * - `RUN_NOT_FOUND`: no run with the given id is in the store.
 * - `STORE_LOCKED`: another `hamilton-ts-ui` serves the same store directory (its lock names the
 *   process and host); a lock left by a process that died on this host is taken over.
 * - `DATABASE_UNAVAILABLE`: the team database (`--database-url`) cannot be reached, at start or
 *   while serving (the message names its host and port, never the password); a server answers 503.
 */
export type UiErrorCode =
  | "INVALID_OPTION"
  | "API_KEY_REQUIRED"
  | "LISTEN_FAILED"
  | "RUN_NOT_FOUND"
  | "STORE_LOCKED"
  | "DATABASE_UNAVAILABLE";

const MARKER = defineErrorMarker<UiError>("hamilton-ts.ui.error", "UiError");

/**
 * The error `@hamilton-ts/ui` throws. Branch on `code`; use {@link UiError.isInstance} rather than
 * `instanceof`, which fails across package copies.
 */
export class UiError extends Error {
  /** What went wrong; see {@link UiErrorCode}. */
  readonly code: UiErrorCode;

  constructor(code: UiErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, errorOptions(options));
    MARKER.mark(this);
    this.code = code;
  }

  /** True for any UI error, from any copy of the package. */
  static isInstance(error: unknown): error is UiError {
    return MARKER.isInstance(error);
  }
}
