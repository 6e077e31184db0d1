/** Small value helpers shared by the engine's modules (not exported from the package). */

/**
 * True for promises and any other object with a `then` method (what `await` would unwrap). Reading
 * `then` may throw (a getter): callers call this where a throw fails the node.
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/** One frozen empty record, for "no inputs", "no tags" and the like. */
export const EMPTY: Readonly<Record<string, never>> = Object.freeze({});
