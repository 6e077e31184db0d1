/**
 * The timers the delivery queue uses, injectable so that tests (and hosts with their own event
 * loop) drive time instead of waiting for it.
 */

/** A pending timer of a {@link Clock}. */
export interface ClockTimer {
  /**
   * Lets the process exit while this timer is pending (Node's `Timeout.unref`). A clock whose
   * timers cannot keep anything alive leaves it out.
   */
  unref?(): unknown;
}

/** `setTimeout`, `clearTimeout` and `now`, the way the queue calls them. */
export interface Clock {
  /** Calls `callback` once, after `ms` milliseconds. */
  setTimeout(callback: () => void, ms: number): ClockTimer;
  /** Cancels a timer of this clock; `undefined`, or a timer that already fired, is ignored. */
  clearTimeout(timer: ClockTimer | undefined): void;
  /** Milliseconds since the epoch (or any fixed origin), like `Date.now()`. */
  now(): number;
}

/**
 * The real timers of the process. The globals are looked up at each call, so a test that fakes
 * them (`vi.useFakeTimers()`) also drives a queue built with this clock.
 */
export const systemClock: Clock = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout> | undefined),
  now: () => Date.now(),
};
