/** Small value helpers shared by the engine's modules (not exported from the package). */

/**
 * True for promises and any other object with a `then` method (what `await` would unwrap). An
 * object whose `then` getter throws counts as one too: `Promise.resolve` turns it into a rejection.
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) return false;
  if (value instanceof Promise) return true;
  try {
    return typeof (value as { then?: unknown }).then === "function";
  } catch {
    return true;
  }
}

/** One frozen empty record, for "no inputs", "no tags" and the like. */
export const EMPTY: Readonly<Record<string, never>> = Object.freeze({});
