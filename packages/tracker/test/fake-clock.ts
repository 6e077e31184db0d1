/**
 * A clock for tests: time moves only when the test calls `advance`, and every timer that comes
 * due on the way fires in order, each followed by a few turns of the event loop so that the
 * queue's async continuations (a retry's write, the next batch) run before the next timer.
 */
import type { Clock, ClockTimer } from "../src/clock.js";

interface FakeTimer extends ClockTimer {
  readonly at: number;
  readonly seq: number;
  readonly callback: () => void;
  referenced: boolean;
}

/** Lets pending microtasks and `setImmediate` callbacks run (event-loop turns, not time). */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

export class FakeClock implements Clock {
  #now = 1_700_000_000_000;
  #seq = 0;
  readonly #timers = new Set<FakeTimer>();

  setTimeout(callback: () => void, ms: number): ClockTimer {
    const timer: FakeTimer = {
      at: this.#now + Math.max(0, ms),
      seq: this.#seq++,
      callback,
      referenced: true,
      unref() {
        this.referenced = false;
        return this;
      },
    };
    this.#timers.add(timer);
    return timer;
  }

  clearTimeout(timer: ClockTimer | undefined): void {
    if (timer !== undefined) this.#timers.delete(timer as FakeTimer);
  }

  now(): number {
    return this.#now;
  }

  /** Timers pending. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Pending timers that would keep a process alive (not unref'd). */
  get referenced(): number {
    let n = 0;
    for (const timer of this.#timers) if (timer.referenced) n++;
    return n;
  }

  /** Delays of the pending timers from now, soonest first. */
  get delays(): number[] {
    return [...this.#timers].map((t) => t.at - this.#now).sort((a, b) => a - b);
  }

  /** Moves time forward by `ms`, firing each timer that comes due, in order. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    await settle();
    for (;;) {
      let next: FakeTimer | undefined;
      for (const timer of this.#timers)
        if (
          timer.at <= end &&
          (next === undefined || timer.at < next.at || (timer.at === next.at && timer.seq < next.seq))
        )
          next = timer;
      if (next === undefined) break;
      this.#timers.delete(next);
      this.#now = next.at;
      next.callback();
      await settle();
    }
    this.#now = end;
  }

  /** Moves time to the soonest pending timer and fires it (and any due with it). */
  async next(): Promise<void> {
    const delays = this.delays;
    if (delays.length === 0) throw new Error("FakeClock.next(): no timer is pending");
    await this.advance(delays[0]!);
  }
}
