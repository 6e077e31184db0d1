/**
 * The cache on a worker's side of the task-executor seam (`Driver.runTask`), part of the `run`
 * stage of core's pipeline: a fan-out task of a driver with a cache is looked up and stored per
 * node, per item, under the keys the coordinator's own process would use — so a coordinator and
 * its workers sharing one store (a Redis store) share results.
 *
 * Owns {@link taskCacheOf}: whether a task may use the driver's cache (its keys are made with the
 * driver's config, so the task's config, which wins inside it, must not change it), the data
 * versions of the values a fan-out's tasks share (fingerprinted once per fan-out, not per task),
 * and the end of a run's tasks on this driver (the run's cache state finished, its writes
 * awaited, by its last task in flight here).
 *
 * @module
 */
import type { DriverCache } from "./cache.js";
import type { MaybePromise } from "./cache-store.js";
import { fingerprint, isFingerprint } from "./fingerprint.js";
import type { Graph } from "./graph.js";
import type { FanOutTask } from "./task-executor.js";

/** The task side of one driver's cache (see the module's comment). */
export class TaskCache {
  readonly #cache: DriverCache;
  readonly #graph: Graph;
  /** The driver's config's fingerprint (undefined: none can be made, the cache keys nothing anyway). */
  #own: string | null | undefined;
  /** Whether a task config leaves the driver's config as it is, by the task config object. */
  readonly #configs = new WeakMap<object, boolean>();
  /** The data versions of a fan-out's outer values, by the outer object its tasks share. */
  readonly #versions = new WeakMap<object, ReadonlyMap<string, string | undefined>>();
  /** Tasks in flight per run on this driver. */
  readonly #inFlight = new Map<string, number>();

  constructor(cache: DriverCache, graph: Graph) {
    this.#cache = cache;
    this.#graph = graph;
  }

  /**
   * Starts a task: true when it uses the cache. A task whose config changes the driver's (the
   * coordinator's config differs from the worker's) runs uncached, with a warning once: its keys
   * would be made with a config other than the one its nodes see.
   */
  enter(task: FanOutTask): boolean {
    let same = this.#configs.get(task.config);
    if (same === undefined) {
      const own = (this.#own ??= versionOf(this.#graph.config));
      same = own !== null && versionOf({ ...this.#graph.config, ...task.config }) === own;
      this.#configs.set(task.config, same);
      if (!same) {
        this.#cache.warnOnce(
          `hamilton-ts cache: fan-out tasks run uncached on this worker when the coordinator's config ` +
            `differs from this worker's (or cannot be fingerprinted), and cache keys are made with the worker's. ` +
            `Give the worker the coordinator's config.`,
        );
      }
    }
    if (same) this.#inFlight.set(task.runId, (this.#inFlight.get(task.runId) ?? 0) + 1);
    return same;
  }

  /** The data versions of the task's outer values, fingerprinted once per fan-out. */
  versions(task: FanOutTask): ReadonlyMap<string, string | undefined> {
    let known = this.#versions.get(task.outer);
    if (known === undefined) {
      const map = new Map<string, string | undefined>();
      for (const [name, value] of Object.entries(task.outer)) {
        const f = fingerprint(value);
        map.set(name, isFingerprint(f) ? f : undefined);
      }
      known = map;
      this.#versions.set(task.outer, known);
    }
    return known;
  }

  /**
   * Ends a task that {@link enter}ed. The run's last task in flight here finishes the run's cache
   * state on this driver — waits for the store's writes of all its tasks so far, evicts, keeps the
   * log — before it resolves. So once every task of a run has resolved (the coordinator waits for
   * all), their entries are in the store; a task that is not the last one here does not wait for
   * the others' writes (under load, that wait would chain from task to task). Never rejects.
   */
  leave(runId: string): MaybePromise<void> {
    const left = (this.#inFlight.get(runId) ?? 1) - 1;
    if (left > 0) {
      this.#inFlight.set(runId, left);
      return;
    }
    this.#inFlight.delete(runId);
    try {
      const finished = this.#cache.finish(runId);
      return finished === undefined ? undefined : Promise.resolve(finished).then(undefined, () => undefined);
    } catch {
      // The cache's own failure is never the task's.
    }
  }
}

function versionOf(value: unknown): string | null {
  const f = fingerprint(value);
  return isFingerprint(f) ? f : null;
}

const taskCaches = new WeakMap<DriverCache, TaskCache>();

/** The task side of a driver's cache (made on first use). */
export function taskCacheOf(cache: DriverCache, graph: Graph): TaskCache {
  let known = taskCaches.get(cache);
  if (known === undefined) {
    known = new TaskCache(cache, graph);
    taskCaches.set(cache, known);
  }
  return known;
}
