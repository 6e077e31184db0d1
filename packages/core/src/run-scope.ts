/**
 * Stop and grace handling for one execute call — the `run` stage of core's pipeline
 * (`candidates` → `drafts` → `graph` → `plan` → `run`, with `builder` and `driver` on top).
 *
 * Owns {@link RunScope} (what a run and its fan-outs' item runs share: id, adapters, limits, the
 * node signal, whether and why the run stopped, the concurrency slots and the queue of runs waiting
 * for one), the grace timer that gives up on nodes still running after a stop ({@link Straggler}),
 * and the errors of a stop: `ABORTED` and `ABANDONED`. The scheduler itself is in `run.ts`.
 */
import { setMaxListeners } from "node:events";
import type { AdapterSet } from "@hamilton-ts/lifecycle";
import { HamiltonError } from "./errors.js";
import type { CacheLogEntry, DriverCache } from "./cache.js";
import type { RemoteSetup } from "./task-executor.js";

/** The error a run rejects with when its signal fires. */
export function abortError(reason: unknown): HamiltonError {
  const why = reason instanceof Error ? `: ${reason.message}` : reason === undefined ? "" : `: ${String(reason)}`;
  return new HamiltonError("ABORTED", `The run was aborted${why}.`, { cause: reason });
}

/** The error a node gets in its after-event when the run gives up on it (see {@link RunScope}). */
export function abandonedError(name: string, taskId: string | undefined, graceMs: number): HamiltonError {
  return new HamiltonError(
    "ABANDONED",
    `Node "${name}"${taskId === undefined ? "" : ` (task ${taskId})`} did not stop within the grace period of ${graceMs} ms ` +
      `after the run stopped, so the run gave up on it; whatever it does later is ignored. ` +
      `Make it honour its context's signal, or raise Builder.withGracePeriod(ms).`,
  );
}

/** The error of a node attempt started after the run stopped (a retrying wrapper's, say). */
function refusedError(name: string, taskId: string | undefined): HamiltonError {
  return new HamiltonError(
    "ABANDONED",
    `Node "${name}"${taskId === undefined ? "" : ` (task ${taskId})`} was not run: the run has already stopped. ` +
      `A wrapper that retries must not call next() again once the run has stopped.`,
  );
}

/** The error a graph-level hook's promise gets when it does not settle in time after a stop. */
function lateHookError(graceMs: number): HamiltonError {
  return new HamiltonError(
    "ABANDONED",
    `An adapter's graph-level hook did not settle within the grace period of ${graceMs} ms after the run stopped; ` +
      `the run went on without it.`,
  );
}

/** An asynchronous node in flight, as the run can give up on it (only with node hooks). */
class Straggler {
  readonly name: string;
  readonly taskId: string | undefined;
  readonly #set: Set<Straggler>;
  resolve!: (value: unknown) => void;
  reject!: (error: unknown) => void;

  constructor(set: Set<Straggler>, name: string, taskId: string | undefined) {
    this.#set = set;
    this.name = name;
    this.taskId = taskId;
  }

  ok = (value: unknown): void => {
    this.#set.delete(this);
    this.resolve(value);
  };

  failed = (error: unknown): void => {
    this.#set.delete(this);
    this.reject(error);
  };
}

/**
 * What one execute call shares between its main run and the item runs of its fan-outs: the id,
 * the adapters, the limits, and whether (and why) it stopped.
 *
 * Structured completion: when the run stops (a node failed, or the signal fired) nodes see their
 * signal fire, and the scope starts one grace timer. Nodes still running when it fires are given
 * up: with node hooks, each one's promise (the innermost one, inside the wrappers) rejects with
 * an `ABANDONED` error, so every adapter still gets its after-event; then {@link onGiveUp} lets
 * the caller settle even if something still hangs. The timer is not `unref`'d (a node that never
 * settles must not let the process exit with `execute` pending) and is cleared by {@link executeSettled}.
 */
export class RunScope {
  readonly runId: string;
  /** The driver's adapters, or undefined when none has a node hook (then nodes are called directly). */
  readonly adapters: AdapterSet | undefined;
  readonly maxConcurrency: number;
  /** How long running nodes (and each graph-level hook) may take to stop after a stop, in ms. */
  readonly graceMs: number;
  /** The most items one fan-out may have. */
  readonly maxItems: number;
  /** True once the run stopped: a node failed, or the signal fired. */
  stopped = false;
  /** Why the run stopped (the error execute rejects with); set with {@link stopped}. */
  stopError: unknown;
  /** True once the grace period after the stop has passed and the stragglers were given up. */
  gaveUp = false;
  /**
   * Concurrency slots taken: asynchronous nodes in flight, across the main run and item runs
   * (what `withMaxConcurrency` caps).
   */
  slotsTaken = 0;
  /**
   * Promises in flight of any kind (asynchronous nodes and collect nodes running their fan-out),
   * across the main run and item runs: while there are any, events are still to come.
   */
  inFlight = 0;
  /** Called once when the scope gives up on what still runs. */
  onGiveUp: (() => void) | undefined;
  /** The driver's cache, when it has one (`Builder.withCache`). */
  cache: DriverCache | undefined = undefined;
  /** The cache outcomes of this execute's node runs, item runs included (with {@link cache}). */
  cacheLog: CacheLogEntry[] | undefined = undefined;
  /** The driver's task executor (`Builder.withTaskExecutor`): fan-out items run there. */
  remote: RemoteSetup | undefined = undefined;
  /**
   * Runs waiting for a slot, first come first served: an array read from a head index, so that a
   * freed slot costs O(1) however many runs wait (a fan-out under a limit stays linear).
   */
  #waitingForSlot: SlotWaiter[] = [];
  #waitHead = 0;
  #controller: AbortController | undefined;
  #stopListeners: Set<() => void> | undefined;
  #stragglers: Set<Straggler> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #executeSettled = false;

  constructor(
    runId: string,
    adapters: AdapterSet | undefined,
    maxConcurrency: number,
    graceMs: number,
    maxItems: number,
  ) {
    this.runId = runId;
    this.adapters = adapters;
    this.maxConcurrency = maxConcurrency;
    this.graceMs = graceMs;
    this.maxItems = maxItems;
  }

  /**
   * The signal nodes see: fires on abort and on the run's failure. Created on first use. Every
   * node of the run (each fan-out item's too) shares it, and a client it is passed to adds a
   * listener per call (the OpenAI client does): so it has no listener limit, else Node warns
   * `MaxListenersExceededWarning` past 10 of them. A client that keeps its listener past the call
   * holds it only for the run's lifetime: the signal goes with the run.
   */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      setMaxListeners(0, this.#controller.signal);
      if (this.stopped) this.#controller.abort(this.stopError);
    }
    return this.#controller.signal;
  }

  stop(error: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stopError = error;
    this.#controller?.abort(error);
    if (!this.#executeSettled) {
      if (this.graceMs === 0) this.#giveUp();
      else this.#timer = setTimeout(() => this.#giveUp(), this.graceMs);
    }
    const listeners = this.#stopListeners;
    if (listeners !== undefined) for (const listener of listeners) listener();
  }

  /** Calls `listener` when the run stops (not if it already has); returns what removes it. */
  onStop(listener: () => void): () => void {
    const listeners = (this.#stopListeners ??= new Set());
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /** The execute call has settled: nothing more to give up (clears the grace timer). */
  executeSettled(): void {
    this.#executeSettled = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #giveUp(): void {
    this.#timer = undefined;
    if (this.gaveUp || this.#executeSettled) return;
    this.gaveUp = true;
    const stragglers = this.#stragglers;
    if (stragglers !== undefined) {
      for (const s of [...stragglers]) s.failed(abandonedError(s.name, s.taskId, this.graceMs));
    }
    this.onGiveUp?.();
  }

  /**
   * An asynchronous node's value as the adapters see it: the value itself, resolved once through
   * `Promise.resolve`, unless the run gives up on the node first (then an `ABANDONED` error).
   */
  abandonable(value: PromiseLike<unknown>, name: string, taskId: string | undefined): Promise<unknown> {
    if (this.gaveUp) return Promise.reject(abandonedError(name, taskId, this.graceMs));
    const set = (this.#stragglers ??= new Set());
    const straggler = new Straggler(set, name, taskId);
    const out = new Promise<unknown>((resolve, reject) => {
      straggler.resolve = resolve;
      straggler.reject = reject;
    });
    set.add(straggler);
    Promise.resolve(value).then(straggler.ok, straggler.failed);
    return out;
  }

  /** The error of a node attempt that starts after the stop. */
  refused(name: string, taskId: string | undefined): HamiltonError {
    return refusedError(name, taskId);
  }

  /**
   * Bounds a graph-level hook's promise: once the run has stopped, it gets {@link graceMs} to
   * settle, counted from the stop (or from the call, if later) — or, for a wrapper, from when
   * what its `next()` returned settled — then rejects with an `ABANDONED` error. Before a stop it
   * is awaited as long as it takes.
   */
  bound = <T>(promise: Promise<T>, inside?: () => Promise<unknown> | undefined): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let over = false;
      const startTimer = (): void => {
        if (!over) timer = setTimeout(() => reject(lateHookError(this.graceMs)), this.graceMs);
      };
      const expire = (): void => {
        const first = inside?.();
        if (first === undefined) startTimer();
        else first.then(startTimer, startTimer);
      };
      const off = this.stopped ? undefined : this.onStop(expire);
      if (off === undefined) expire();
      const done = (): void => {
        over = true;
        off?.();
        if (timer !== undefined) clearTimeout(timer);
      };
      promise.then(
        (value) => {
          done();
          resolve(value);
        },
        (error: unknown) => {
          done();
          reject(error);
        },
      );
    });

  /** A run that could not start a node for lack of a slot waits here. */
  waitForSlot(run: SlotWaiter): void {
    if (run.waitingForSlot) return;
    run.waitingForSlot = true;
    this.#waitingForSlot.push(run);
  }

  /**
   * A slot came free: let waiting runs go on, oldest first, while slots are free. Waking only as
   * many as can start keeps a fan-out of N items under a limit linear: waking every waiting run
   * per freed slot made it O(N²).
   */
  slotFreed(): void {
    const waiting = this.#waitingForSlot;
    while (this.#waitHead < waiting.length) {
      // A stopped scope lets every waiting run drain; otherwise only as many as can start.
      if (!this.stopped && this.slotsTaken >= this.maxConcurrency) return;
      const run = waiting[this.#waitHead]!;
      waiting[this.#waitHead++] = undefined as unknown as SlotWaiter;
      if (this.#waitHead === waiting.length) {
        waiting.length = 0;
        this.#waitHead = 0;
      } else if (this.#waitHead >= 1024 && this.#waitHead * 2 >= waiting.length) {
        waiting.splice(0, this.#waitHead);
        this.#waitHead = 0;
      }
      run.waitingForSlot = false;
      run.pump(); // may wait again (appended at the end) if it took the last slot and has more
    }
  }
}

/** A run as the scope's slot queue sees it: {@link RunScope.slotFreed} calls `pump()` to let it go on. */
export interface SlotWaiter {
  /** True while the run is in the scope's queue of runs waiting for a slot. */
  waitingForSlot: boolean;
  /** Starts the run's ready nodes while there are slots. */
  pump(): void;
}
