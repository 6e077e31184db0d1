/**
 * The delay before each retry of a failed write: exponential backoff with jitter.
 *
 * The first delay is about `initialMs`, each next one about twice the last, up to `maxMs`. Each
 * delay is drawn uniformly from the upper half of its step (`[d/2, d)`), so that the retries of
 * many trackers against one server that went down together do not stay in step.
 */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #random: () => number;
  #step: number;

  /**
   * @param initialMs the first step, in milliseconds.
   * @param maxMs the largest step.
   * @param random a source of numbers in `[0, 1)`, like (and by default) `Math.random`.
   */
  constructor(initialMs: number, maxMs: number, random: () => number = Math.random) {
    this.#initialMs = initialMs;
    this.#maxMs = maxMs;
    this.#random = random;
    this.#step = initialMs;
  }

  /** The delay before the next retry; the step after it doubles (up to `maxMs`). */
  next(): number {
    const step = this.#step;
    this.#step = Math.min(step * 2, this.#maxMs);
    return step / 2 + this.#random() * (step / 2);
  }

  /** Starts again from `initialMs` (after a success). */
  reset(): void {
    this.#step = this.#initialMs;
  }
}
