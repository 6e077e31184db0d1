import { redactAndCut } from "./redact-and-cut.js";

/** The default length {@link describeError} cuts its text to. */
export const MAX_ERROR_DESCRIPTION = 2000;

/**
 * `Name: message` of any thrown value, for log lines and warnings: an Error as
 * `${name}: ${message}`, any other object as `"a thrown object"` (its `toString` is not run: it
 * may throw, or print the object's content), anything else as `String(value)`. Secrets are
 * redacted by the shared rule and the text cut to `max` characters (default
 * {@link MAX_ERROR_DESCRIPTION}), a cut marked with `…`. Never throws: a value whose `name` or
 * `message` getter throws is `"an error that could not be described"`.
 */
export function describeError(error: unknown, max = MAX_ERROR_DESCRIPTION): string {
  let text: string;
  try {
    text =
      error instanceof Error
        ? `${String(error.name)}: ${String(error.message)}`
        : typeof error === "object" && error !== null
          ? "a thrown object"
          : String(error);
  } catch {
    text = "an error that could not be described";
  }
  return redactAndCut(text, max);
}
