/**
 * True for promises and any other object or function with a `then` method (what `await` would
 * unwrap). Reading `then` may throw (a getter): call it where such a throw is handled (the engine
 * fails the node; an adapter set reports the observer).
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}
