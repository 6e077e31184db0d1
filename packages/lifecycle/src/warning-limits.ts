/**
 * Limits on the warnings of one node run, so a node that warns in a loop cannot grow a run's
 * records (or a span's events) without bound.
 */
import { headOf } from "./internal/head-of.js";

/** Most warnings kept per node run (per attempt); later ones are counted in `warningsDropped`. */
export const MAX_NODE_WARNINGS = 100;

/** Longest warning kept, in characters; a longer one is cut and ends with `…`. */
export const MAX_WARNING_LENGTH = 2000;

/** A warning cut to {@link MAX_WARNING_LENGTH} characters, the cut marked with `…`. */
export function cutWarning(message: string): string {
  const text = typeof message === "string" ? message : String(message);
  return text.length <= MAX_WARNING_LENGTH ? text : `${headOf(text, MAX_WARNING_LENGTH - 1)}…`;
}
