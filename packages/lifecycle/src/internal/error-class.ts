/**
 * The parts every hamilton-ts package's error class shares, written once: the `cause` option, the
 * error's `name`, and the cross-copy identity check behind each class's static `isInstance`.
 *
 * `instanceof` fails when two copies of a package are installed (two versions, or one bundled and
 * one not): each copy has its own class. A registered symbol (`Symbol.for(key)`) is the same in
 * every copy, so an error marked with it by one copy is recognised by the other.
 */

/** The identity of one package's error class, shared by every copy of the package. */
export interface ErrorMarker<E extends Error> {
  /** The class's `name` (`TrackerError`), given to each error {@link mark} marks. */
  readonly name: string;
  /**
   * Names `error` and marks it (a non-enumerable, read-only property under the registered
   * symbol). Called in the class's constructor, right after `super(...)`; a subclass that has a
   * name of its own sets it afterwards, as before.
   */
  mark(error: E): void;
  /** True for an error marked by any copy of the package; false for anything else, `null` included. */
  isInstance(value: unknown): value is E;
}

/**
 * The marker of an error class. `key` is the registered symbol's key (`hamilton-ts.tracker.error`):
 * it must never change, or errors of older copies are no longer recognised.
 */
export function defineErrorMarker<E extends Error>(key: string, name: string): ErrorMarker<E> {
  const symbol = Symbol.for(key);
  return {
    name,
    mark(error: E): void {
      error.name = name;
      Object.defineProperty(error, symbol, { value: true });
    },
    isInstance(value: unknown): value is E {
      return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[symbol] === true;
    },
  };
}

/**
 * The options to pass to `Error`'s constructor: `{ cause }` when the caller gave a `cause` (even
 * `undefined`: "the cause was undefined" is kept), nothing otherwise (the error has no `cause`
 * property at all).
 */
export function errorOptions(options: { readonly cause?: unknown }): ErrorOptions | undefined {
  return "cause" in options ? { cause: options.cause } : undefined;
}
