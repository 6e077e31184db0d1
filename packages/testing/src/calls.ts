/**
 * A callback that records its calls and lets a test await a number of them: waiting on the event
 * itself, not polling the clock.
 */
export interface Calls<A extends unknown[]> {
  /** Pass this where the callback goes. */
  readonly handler: (...args: A) => void;
  /** The arguments of each call so far. */
  readonly calls: A[];
  /** Resolves once `count` calls matching `match` (default: any) have been made. */
  reached(count: number, match?: (...args: A) => boolean): Promise<void>;
}

/** A new recording callback: pass `handler`, read `calls`, await `reached(n)`. */
export function calls<A extends unknown[]>(): Calls<A> {
  const list: A[] = [];
  let waiters: { count: number; match: (...args: A) => boolean; resolve: () => void }[] = [];
  const matching = (match: (...args: A) => boolean) => list.filter((args) => match(...args)).length;
  return {
    calls: list,
    handler: (...args: A) => {
      list.push(args);
      waiters = waiters.filter((w) => {
        if (matching(w.match) < w.count) return true;
        w.resolve();
        return false;
      });
    },
    reached(count, match = () => true) {
      if (matching(match) >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, match, resolve }));
    },
  };
}
