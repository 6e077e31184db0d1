import { HamiltonError } from "./errors.js";
import { attach, checkFunction, specOf } from "./modifiers.js";

/**
 * Runs a node through a wrapper of yours (a timer, a retry, a log line) while the node stays
 * `fn`: its dependencies are read from `fn`'s parameter, and `fn`'s source gives the node's code
 * version (the cache key) and what adapters and the page show. The engine calls
 * `wrapper(fn)` — once, at this call — with `(dependencies, context)` on every run: pass both on.
 *
 * Why: a wrapper exported on its own, `(...args) => fn(...args)`, names no dependency, so it is
 * refused as a node (`INVALID_NODE`).
 *
 * @example
 * const timed = <F extends Function>(fn: F) =>
 *   (...args: unknown[]) => {
 *     const start = performance.now();
 *     try {
 *       return fn(...args);
 *     } finally {
 *       console.warn(`${fn.name}: ${performance.now() - start} ms`);
 *     }
 *   };
 * export const wordCount = wrapNode(({ text }: { text: string }) => text.split(/\s+/).length, timed);
 */
export function wrapNode<F extends Function>(fn: F, wrapper: (fn: F) => Function): F {
  checkFunction(fn, "wrapNode(fn, wrapper)");
  if (typeof wrapper !== "function") {
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `wrapNode(fn, wrapper): wrapper must be a function that takes fn and returns the function to run, ` +
        `e.g. (fn) => (...args) => fn(...args); got ${wrapper === null ? "null" : typeof wrapper}.`,
    );
  }
  const runs: unknown = wrapper(fn);
  if (typeof runs !== "function") {
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `wrapNode(fn, wrapper): the wrapper returned ${runs === null ? "null" : typeof runs}, not a function; ` +
        `it must return the function to run, e.g. (fn) => (...args) => fn(...args).`,
    );
  }
  const base = specOf(fn);
  const definedBy = base?.definedBy ?? base?.fn ?? fn;
  const wrapped = attach(fn, { fn: runs, definedBy });
  Object.defineProperty(wrapped, "name", { value: definedBy.name });
  return wrapped;
}
