/**
 * True for promises and any other object with a `then` method (what `await` would unwrap). Reading
 * `then` may throw (a getter): callers call this where a throw fails the node. Not exported from
 * the package.
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}
