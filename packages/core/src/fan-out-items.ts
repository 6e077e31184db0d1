/**
 * Reading a fan-out's items — part of the `run` stage of core's pipeline (`candidates` → `drafts`
 * → `graph` → `plan` → `run`, with `builder` and `driver` on top).
 *
 * Owns {@link materialize}: turning a `parallelize` node's result (an array, an iterable or an
 * async iterable) into the list of items its fan-out runs, bounded by `withMaxFanOutItems` and
 * stopped by the run's stop. The item runs themselves are started by `fan-out.ts`.
 */
import { isThenable } from "@hamilton-ts/lifecycle/internal";
import { HamiltonError } from "./errors.js";
import type { RunScope } from "./run-scope.js";

/** How many items of a synchronous iterator are taken before letting other work (an abort) in. */
const SLICE = 4096;

/** The error of a fan-out with more items than `withMaxFanOutItems` allows. */
function tooManyItems(name: string, max: number): HamiltonError {
  return new HamiltonError(
    "TOO_MANY_ITEMS",
    `parallelize node "${name}" produced more than ${max} items (the limit of Builder.withMaxFanOutItems). ` +
      `If it should, raise the limit; if not, its source does not end.`,
  );
}

/**
 * The items of a parallelize node's result: an array, an iterable or an async iterable, at most
 * `scope.maxItems` of them. Iterators stop being pulled when the run stops: a synchronous one is
 * drained in slices with a macrotask between them, an asynchronous one is closed (`return()`,
 * not awaited behind its pending `next()`) as soon as the stop comes.
 */
export function materialize(
  source: unknown,
  name: string,
  scope: RunScope,
): Promise<readonly unknown[]> | readonly unknown[] {
  const max = scope.maxItems;
  if (Array.isArray(source)) {
    if (source.length > max) throw tooManyItems(name, max);
    return source;
  }
  if (source !== null && typeof source === "object") {
    if (Symbol.asyncIterator in source) {
      return pullAsync((source as AsyncIterable<unknown>)[Symbol.asyncIterator](), name, scope);
    }
    if (Symbol.iterator in source) return pullSync((source as Iterable<unknown>)[Symbol.iterator](), name, scope);
  }
  throw new HamiltonError(
    "NODE_FAILED",
    `parallelize node "${name}" returned ${source === null ? "null" : typeof source}; it must return an array, an iterable or an async iterable of items.`,
  );
}

/** Closes an iterator that will not be pulled any more; its own errors are not the run's. */
function close(it: Iterator<unknown> | AsyncIterator<unknown>): void {
  try {
    const out: unknown = it.return?.();
    if (isThenable(out)) Promise.resolve(out).then(undefined, () => undefined);
  } catch {
    // Closing is best effort.
  }
}

function pullSync(it: Iterator<unknown>, name: string, scope: RunScope): Promise<readonly unknown[]> {
  const max = scope.maxItems;
  const out: unknown[] = [];
  return new Promise((resolve, reject) => {
    const slice = (): void => {
      try {
        for (let n = 0; n < SLICE; n++) {
          const step = it.next();
          if (step.done) {
            resolve(out);
            return;
          }
          if (out.length >= max) {
            close(it);
            reject(tooManyItems(name, max));
            return;
          }
          out.push(step.value);
        }
      } catch (error) {
        reject(error);
        return;
      }
      if (scope.stopped) {
        close(it);
        reject(scope.stopError);
        return;
      }
      setImmediate(slice);
    };
    slice();
  });
}

function pullAsync(it: AsyncIterator<unknown>, name: string, scope: RunScope): Promise<readonly unknown[]> {
  const max = scope.maxItems;
  const out: unknown[] = [];
  return new Promise((resolve, reject) => {
    let over = false;
    const end = (): boolean => {
      if (over) return false;
      over = true;
      off();
      return true;
    };
    const off = scope.onStop(() => {
      if (!end()) return;
      close(it);
      reject(scope.stopError);
    });
    const failed = (error: unknown): void => {
      if (end()) reject(error);
    };
    const step = (result: IteratorResult<unknown>): void => {
      if (over) return;
      if (result.done) {
        end();
        resolve(out);
        return;
      }
      if (out.length >= max) {
        end();
        close(it);
        reject(tooManyItems(name, max));
        return;
      }
      out.push(result.value);
      pull();
    };
    const pull = (): void => {
      try {
        Promise.resolve(it.next()).then(step, failed);
      } catch (error) {
        failed(error);
      }
    };
    if (scope.stopped) {
      end();
      close(it);
      reject(scope.stopError);
    } else pull();
  });
}
