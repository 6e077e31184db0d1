/**
 * The order in which trace exports are written. Decoding and writing an export is CPU work on the
 * one thread; with many exporters at once, working on all of them together finishes all of them
 * late — past the exporters' own timeout (10 s in OpenTelemetry's), so they report failures for
 * spans the server then stores anyway. The gate takes exports first come, first served, a few at
 * a time, and skips the ones whose client has given up (its connection is gone) before any work
 * is done: what finishes is answered in time, and what a client reports as failed was not stored.
 */

/** A queue that runs tasks `concurrency` at a time, in arrival order. */
export class IngestGate {
  readonly #concurrency: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  #head = 0;

  constructor(concurrency: number) {
    this.#concurrency = concurrency;
  }

  /**
   * Runs `task` when its turn comes, unless `wanted()` is false by then (the client left): then
   * resolves undefined without running it.
   */
  async run<T>(wanted: () => boolean, task: () => Promise<T>): Promise<T | undefined> {
    if (this.#running >= this.#concurrency) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return wanted() ? await task() : undefined;
    } finally {
      this.#next();
    }
  }

  /** Tasks waiting for their turn. */
  get waiting(): number {
    return this.#waiting.length - this.#head;
  }

  /** Hands the slot to the next waiting task, or frees it. */
  #next(): void {
    if (this.#head < this.#waiting.length) {
      const resolve = this.#waiting[this.#head]!;
      this.#head++;
      if (this.#head === this.#waiting.length) {
        this.#waiting.length = 0;
        this.#head = 0;
      }
      resolve();
    } else {
      this.#running--;
    }
  }
}
