/**
 * Warns at most once per key: a broken adapter, sink or check that fails on every node says so
 * once instead of flooding the log. One instance per owner (an adapter set, a tracker, a driver),
 * so each owner's keys are its own.
 *
 * Keys are compared like `Set` members: strings by value, objects by identity.
 */
export class WarnOnce {
  readonly #warned = new Set<unknown>();
  readonly #sink: ((message: string) => void) | undefined;

  /**
   * @param sink Receives each warning; default `console.warn`, looked up when a warning is
   *   written (so a test spying on `console.warn` after construction sees it).
   */
  constructor(sink?: (message: string) => void) {
    this.#sink = sink;
  }

  /**
   * Writes `message()` unless a warning was already written for `key`; the message is only built
   * when it is written. Returns whether it was written. A sink that throws propagates, and the key
   * counts as warned.
   */
  warn(key: unknown, message: () => string): boolean {
    if (this.#warned.has(key)) return false;
    this.#warned.add(key);
    const text = message();
    if (this.#sink === undefined) console.warn(text);
    else this.#sink(text);
    return true;
  }

  /** Whether a warning was already written for `key`. */
  has(key: unknown): boolean {
    return this.#warned.has(key);
  }
}
