import { redactHead } from "../redact.js";

/**
 * The first `max` characters of `text`, secrets redacted by the shared rule
 * ({@link redactHead}: redacted before the cut, so a secret straddling it is still caught), a cut
 * marked with `…` (so the result is at most `max + 1` characters). Reads no more than `max` + 256
 * characters of `text`.
 *
 * @throws RangeError when `max` is not a non-negative integer.
 */
export function redactAndCut(text: string, max: number): string {
  const head = redactHead(text, max);
  return head.truncated ? `${head.text}…` : head.text;
}
