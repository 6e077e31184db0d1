import type { AdapterSet } from "@hamilton-ts/lifecycle";
import { isThenable } from "@hamilton-ts/lifecycle/internal";
import { HamiltonError, NodeExecutionError } from "./errors.js";
import type { GraphNode } from "./graph.js";
import type { NodeContext } from "./modifiers.js";
import { PER_ITEM, type FanOutPlan, type Plan } from "./plan.js";
import { EMPTY } from "./empty-record.js";
import { type CacheDecision, type CacheLogEntry, type DriverCache, RunCache } from "./cache.js";
import { canCross } from "./crossable.js";
import type { FanOutTask, RemoteSetup } from "./task-executor.js";

/** The error a run rejects with when its signal fires. */
export function abortError(reason: unknown): HamiltonError {
  const why = reason instanceof Error ? `: ${reason.message}` : reason === undefined ? "" : `: ${String(reason)}`;
  return new HamiltonError("ABORTED", `The run was aborted${why}.`, { cause: reason });
}

const NO_WARN = (): void => undefined;

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
  #waitingForSlot: Run[] = [];
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

  /** The signal nodes see: fires on abort and on the run's failure. Created on first use. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
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
  waitForSlot(run: Run): void {
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
      waiting[this.#waitHead++] = undefined as unknown as Run;
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

/** One run's own inputs; see {@link Run}. */
export interface RunInit {
  readonly plan: Plan;
  readonly finalVars: readonly string[];
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly overrides: Readonly<Record<string, unknown>>;
  /** The fan-out item this run computes (e.g. `urls[3]`), or undefined for the main run. */
  readonly taskId: string | undefined;
  /** With a cache: data versions of given values already known (a fan-out's outer values). */
  readonly cacheVersions: ReadonlyMap<string, string | undefined> | undefined;
}

/**
 * One execution of a plan. Nodes become ready when what they wait for has finished and start in
 * order; a synchronous node is called and completed in the same loop (no promise), an
 * asynchronous one counts against the concurrency limit until it settles. Values nobody needs any
 * more are released as soon as their last reader has run. A collect node runs its fan-out's item
 * runs (one child run per item, in the same scope) and then itself.
 */
export class Run {
  readonly #scope: RunScope;
  readonly #init: RunInit;
  readonly #values: unknown[];
  /** For each slot: computed dependencies not finished yet; at 0 the node joins {@link #queue}. */
  readonly #unfinishedDeps: Int32Array;
  readonly #uses: Int32Array;
  /** Slots ready to start, in order, read from {@link #head}. */
  #queue: number[];
  #head = 0;
  /** This run's own promises in flight (its part of the scope's {@link RunScope.inFlight}). */
  #inFlight = 0;
  #finished = false;
  #settle: { resolve: (v: Record<string, unknown>) => void; reject: (e: unknown) => void } | undefined;
  /** The item runs' results of each fan-out started, by parallelize slot (shared by its collect nodes). */
  #fanOutItems: Map<number, Promise<Record<string, unknown>[]>> | undefined;
  /** True while this run is in its scope's queue of runs waiting for a slot. */
  waitingForSlot = false;
  /** This run's cache state, when the driver has a cache. */
  readonly #cache: RunCache | undefined;

  constructor(scope: RunScope, init: RunInit) {
    this.#scope = scope;
    this.#init = init;
    const { plan } = init;
    this.#values = new Array(plan.slotNode.length);
    this.#unfinishedDeps = plan.unfinishedDeps.slice();
    this.#uses = plan.uses.slice();
    this.#queue = Array.from(plan.ready);
    this.#cache =
      scope.cache === undefined
        ? undefined
        : new RunCache(scope.cache, plan, init.taskId, (scope.cacheLog ??= []), init.cacheVersions);
  }

  /**
   * Runs the plan. Returns the results directly when everything finished synchronously; else a
   * promise that settles once nothing of this run is in flight any more.
   */
  start(): Record<string, unknown> | Promise<Record<string, unknown>> {
    const { plan, inputs, overrides } = this.#init;
    for (const g of plan.given) this.#values[g.slot] = g.override ? overrides[g.name] : inputs[g.name];
    const cache = this.#cache;
    if (cache !== undefined)
      for (const g of plan.given) cache.versionGiven(g.slot, g.name, this.#values[g.slot], g.override);
    this.#startReady();
    if (this.#inFlight === 0 && (this.#head === this.#queue.length || this.#scope.stopped)) {
      this.#finished = true;
      if (this.#scope.stopped) throw this.#scope.stopError;
      return this.#results();
    }
    return new Promise((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
  }

  /** Starts ready nodes while there are slots (called again when a slot comes free). */
  pump(): void {
    this.#startReady();
    this.#drain();
  }

  #startReady(): void {
    const scope = this.#scope;
    const queue = this.#queue;
    const max = scope.maxConcurrency;
    while (this.#head < queue.length && !scope.stopped) {
      if (scope.slotsTaken >= max) {
        scope.waitForSlot(this);
        break;
      }
      this.#runSlot(queue[this.#head++]!);
    }
    if (this.#head === queue.length && this.#head > 0) {
      queue.length = 0;
      this.#head = 0;
    }
  }

  #runSlot(slot: number): void {
    const { plan } = this.#init;
    const node = plan.slotNode[slot]!;
    if (node.kind === "collect" && node.collectsFrom !== -1) {
      this.#track(this.#runCollect(slot, node), slot, node, false);
      return;
    }
    const kwargs = this.#kwargs(slot, node, undefined);
    const cache = this.#cache;
    if (cache !== undefined) return this.#runCached(slot, node, kwargs, cache);
    let result: unknown;
    let thenable: boolean;
    try {
      result = this.#call(node, kwargs);
      thenable = isThenable(result); // a `then` getter that throws fails the node too
    } catch (error) {
      this.#fail(node, error);
      return;
    }
    if (thenable) this.#track(result as PromiseLike<unknown>, slot, node, true);
    else this.#complete(slot, result);
  }

  /** {@link #runSlot} with a cache: a hit returns the stored value (through the adapters). */
  #runCached(slot: number, node: GraphNode, kwargs: Record<string, unknown>, cache: RunCache): void {
    let result: unknown;
    let thenable: boolean;
    try {
      const decision = cache.decide(slot, node);
      result = this.#callCached(slot, node, kwargs, decision, cache);
      thenable = isThenable(result);
    } catch (error) {
      this.#fail(node, error);
      return;
    }
    if (thenable) this.#track(result as PromiseLike<unknown>, slot, node, true);
    else this.#complete(slot, result);
  }

  /**
   * Calls a node with a cache decision: on a hit the adapters run around the stored value (the
   * node's stored warnings replayed); else the node runs and its result is versioned and stored
   * (what the node function returned, before any wrapper) before it travels on.
   */
  #callCached(
    slot: number,
    node: GraphNode,
    kwargs: Record<string, unknown>,
    decision: CacheDecision,
    cache: RunCache,
  ): unknown {
    const scope = this.#scope;
    const adapters = scope.adapters;
    const hit = decision.hit;
    const fn = node.fn!;
    if (adapters === undefined) {
      if (hit !== undefined) return hit.value;
      const warnings: string[] = [];
      const out = fn(kwargs, node.usesContext ? this.#context(node, (m) => void warnings.push(m)) : undefined);
      return finish(out, slot, node, decision, warnings, cache);
    }
    const taskId = this.#init.taskId;
    return adapters.runNode(
      { runId: scope.runId, node: node.info, kwargs, taskId, cache: decision.outcome },
      (warn) => {
        if (scope.stopped) throw scope.refused(node.name, taskId);
        if (hit !== undefined) {
          for (const w of hit.warnings) warn(w);
          return hit.value;
        }
        const warnings: string[] = [];
        const capture = (message: string): void => {
          warnings.push(message);
          warn(message);
        };
        const out = finish(
          fn(kwargs, node.usesContext ? this.#context(node, capture) : undefined),
          slot,
          node,
          decision,
          warnings,
          cache,
        );
        return isThenable(out) ? scope.abandonable(out, node.name, taskId) : out;
      },
    );
  }

  #kwargs(slot: number, node: GraphNode, items: Record<string, unknown>[] | undefined): Record<string, unknown> {
    const { start, items: args } = this.#init.plan.argSlots;
    const first = start[slot]!;
    const count = start[slot + 1]! - first;
    const names = node.depNames;
    const kwargs = new node.Kwargs();
    for (let k = 0; k < count; k++) {
      const a = args[first + k]!;
      if (a >= 0) kwargs[names[k]!] = this.#values[a];
      else if (a === PER_ITEM) {
        const name = names[k]!;
        kwargs[name] = items!.map((r) => r[name]);
      } else kwargs[names[k]!] = undefined; // an own undefined: the default applies, not Object.prototype's
    }
    return kwargs;
  }

  /** Calls a node, through the adapters when there are node hooks. */
  #call(node: GraphNode, kwargs: Record<string, unknown>): unknown {
    const adapters = this.#scope.adapters;
    if (adapters === undefined) return node.fn!(kwargs, node.usesContext ? this.#context(node, NO_WARN) : undefined);
    return this.#callThrough(adapters, node, kwargs);
  }

  /** Calls a node through the adapters' node hooks; an asynchronous node can be given up. */
  #callThrough(adapters: AdapterSet, node: GraphNode, kwargs: Record<string, unknown>): unknown {
    const scope = this.#scope;
    const fn = node.fn!;
    const taskId = this.#init.taskId;
    return adapters.runNode({ runId: scope.runId, node: node.info, kwargs, taskId }, (warn) => {
      // A wrapper that calls next() again after the stop (a retry) must not start the node anew.
      if (scope.stopped) throw scope.refused(node.name, taskId);
      const out = fn(kwargs, node.usesContext ? this.#context(node, warn) : undefined);
      // Given up at the innermost call, so that every wrapper and observer sees the after-event.
      return isThenable(out) ? scope.abandonable(out, node.name, taskId) : out;
    });
  }

  #context(node: GraphNode, warn: (message: string) => void): NodeContext {
    const scope = this.#scope;
    return { signal: scope.signal, runId: scope.runId, nodeName: node.name, taskId: this.#init.taskId, warn };
  }

  #track(result: PromiseLike<unknown>, slot: number, node: GraphNode, countsAgainstLimit: boolean): void {
    const scope = this.#scope;
    this.#inFlight++;
    scope.inFlight++;
    if (countsAgainstLimit) scope.slotsTaken++;
    // Through the platform: a thenable is resolved once, and a `then` that throws is a rejection.
    Promise.resolve(result).then(
      (value) => {
        this.#inFlight--;
        scope.inFlight--;
        if (countsAgainstLimit) scope.slotsTaken--;
        if (!scope.stopped) {
          this.#complete(slot, value);
          this.#startReady();
        }
        if (countsAgainstLimit) scope.slotFreed();
        this.#drain();
      },
      (error: unknown) => {
        this.#inFlight--;
        scope.inFlight--;
        if (countsAgainstLimit) scope.slotsTaken--;
        this.#fail(node, error);
        if (countsAgainstLimit) scope.slotFreed();
        this.#drain();
      },
    );
  }

  #complete(slot: number, value: unknown): void {
    const { plan } = this.#init;
    this.#values[slot] = value;
    const consumers = plan.consumers;
    for (let i = consumers.start[slot]!, end = consumers.start[slot + 1]!; i < end; i++) {
      const c = consumers.items[i]!;
      if (--this.#unfinishedDeps[c]! === 0) this.#queue.push(c);
    }
    const release = plan.release;
    for (let i = release.start[slot]!, end = release.start[slot + 1]!; i < end; i++) {
      const a = release.items[i]!;
      if (--this.#uses[a]! === 0 && plan.keep[a] === 0) this.#values[a] = undefined;
    }
  }

  #fail(node: GraphNode, error: unknown): void {
    const scope = this.#scope;
    if (scope.stopped) return;
    // A failure inside a fan-out already names its node; a collect node passes it on unchanged.
    // So does a failure of its parallelize node's source, met while the collect node pulls it.
    if (
      node.kind === "collect" &&
      error instanceof NodeExecutionError &&
      (error.taskId !== undefined || error.nodeName !== node.name)
    ) {
      scope.stop(error);
      return;
    }
    scope.stop(new NodeExecutionError(node.name, error, this.#init.taskId));
  }

  #drain(): void {
    if (this.#inFlight > 0 || this.#finished || this.#settle === undefined) return;
    if (this.#head < this.#queue.length && !this.#scope.stopped) return; // waiting for a slot
    this.#finished = true;
    if (this.#scope.stopped) this.#settle.reject(this.#scope.stopError);
    else this.#settle.resolve(this.#results());
  }

  #results(): Record<string, unknown> {
    const { finalVars, plan } = this.#init;
    const out: Record<string, unknown> = {};
    for (let i = 0; i < finalVars.length; i++) out[finalVars[i]!] = this.#values[plan.outputSlots[i]!];
    return out;
  }

  /** Runs the fan-out's item runs (once per fan-out, shared by its collect nodes), then the node. */
  async #runCollect(slot: number, node: GraphNode): Promise<unknown> {
    const { plan } = this.#init;
    const parallelizeSlot = plan.slotOf[node.collectsFrom]!;
    this.#fanOutItems ??= new Map();
    let items = this.#fanOutItems.get(parallelizeSlot);
    if (items === undefined) {
      items = this.#runItems(plan.fanOuts.get(parallelizeSlot)!, this.#values[parallelizeSlot]);
      this.#fanOutItems.set(parallelizeSlot, items);
    }
    const results = await items;
    const kwargs = this.#kwargs(slot, node, results);
    const cache = this.#cache;
    if (cache === undefined) return this.#call(node, kwargs);
    return this.#callCached(slot, node, kwargs, cache.decideCollect(slot, node, kwargs), cache);
  }

  async #runItems(fanOut: FanOutPlan, source: unknown): Promise<Record<string, unknown>[]> {
    let items: readonly unknown[];
    try {
      items = await materialize(source, fanOut.parallelizeName, this.#scope);
    } catch (error) {
      // The source's failure is the parallelize node's (an abort is the run's own error).
      if (this.#scope.stopped && error === this.#scope.stopError) throw error;
      throw new NodeExecutionError(fanOut.parallelizeName, error, this.#init.taskId);
    }
    const shared: Record<string, unknown> = {};
    for (const [name, slot] of fanOut.outer) shared[name] = this.#values[slot];
    const remote = this.#scope.remote;
    if (remote !== undefined) return this.#runRemote(remote, fanOut, items, shared);
    // With a cache, the outer values' data versions are the enclosing run's, computed once.
    const cache = this.#cache;
    let versions: Map<string, string | undefined> | undefined;
    if (cache !== undefined) {
      versions = new Map();
      for (const [name, slot] of fanOut.outer) versions.set(name, cache.versionOf(slot));
    }
    const runs: Array<Record<string, unknown> | Promise<Record<string, unknown>>> = [];
    let failure: { error: unknown } | undefined;
    for (let i = 0; i < items.length && !this.#scope.stopped; i++) {
      const run = new Run(this.#scope, {
        plan: fanOut.plan,
        finalVars: fanOut.outputs,
        inputs: EMPTY,
        overrides: { ...shared, [fanOut.parallelizeName]: items[i] },
        taskId: `${fanOut.parallelizeName}[${i}]`,
        cacheVersions: versions,
      });
      try {
        runs.push(run.start());
      } catch (error) {
        failure ??= { error };
      }
    }
    // Wait for every item run, failed or not, so that all their events precede the collect's.
    const settled = await Promise.allSettled(runs);
    for (const s of settled) if (s.status === "rejected") failure ??= { error: s.reason };
    if (failure !== undefined) throw failure.error;
    if (this.#scope.stopped) throw this.#scope.stopError;
    return settled.map((s) => (s as PromiseFulfilledResult<Record<string, unknown>>).value);
  }

  /**
   * The item runs of a fan-out on a task executor: one task per item. The first failure stops the
   * run (the other tasks see the signal); collect order is the items' order.
   */
  async #runRemote(
    remote: RemoteSetup,
    fanOut: FanOutPlan,
    items: readonly unknown[],
    shared: Record<string, unknown>,
  ): Promise<Record<string, unknown>[]> {
    const scope = this.#scope;
    const { plan } = this.#init;
    const outer: Record<string, unknown> = {};
    const computedByWorker: string[] = [];
    for (const [name, slot] of fanOut.outer) {
      // The coordinator's value travels when it can cross (so every item sees the same timestamp,
      // id or random draw); a node reading only config whose value cannot (a client) is computed
      // by the worker. A value the caller gave (input or override) always travels.
      const given = plan.given.some((g) => g.slot === slot);
      if (!given && remote.computedByWorker.has(name) && !canCross(shared[name])) computedByWorker.push(name);
      else outer[name] = shared[name];
    }
    const runContexts = remote.adapters.exportRunContexts({ runId: scope.runId, graph: remote.graph.info });
    const base = {
      runId: scope.runId,
      graphVersion: remote.graph.info.version,
      parallelizeName: fanOut.parallelizeName,
      nodes: [...computedByWorker, ...fanOut.plan.executionPath],
      outputs: fanOut.outputs,
      outer,
      computedByWorker,
      config: remote.graph.config,
      runContexts,
    };
    const signal = scope.signal;
    const runs: Promise<Readonly<Record<string, unknown>>>[] = [];
    const failed = (taskId: string) => (error: unknown) => {
      if (!scope.stopped) {
        scope.stop(
          HamiltonError.isInstance(error) ? error : new NodeExecutionError(fanOut.parallelizeName, error, taskId),
        );
      }
      throw error;
    };
    for (let i = 0; i < items.length && !scope.stopped; i++) {
      const taskId = `${fanOut.parallelizeName}[${i}]`;
      const task: FanOutTask = { ...base, taskId, index: i, item: items[i] };
      let out: Promise<Readonly<Record<string, unknown>>>;
      try {
        out = remote.executor.runTask(task, signal);
      } catch (error) {
        out = Promise.reject(error);
      }
      runs.push(Promise.resolve(out).then(undefined, failed(taskId)));
    }
    const settled = await Promise.allSettled(runs);
    if (scope.stopped) throw scope.stopError;
    return settled.map((s) => (s as PromiseFulfilledResult<Record<string, unknown>>).value);
  }
}

/** Hands a node's result to the cache (after it settles, for a promise) and returns it unchanged. */
function finish(
  out: unknown,
  slot: number,
  node: GraphNode,
  decision: CacheDecision,
  warnings: readonly string[],
  cache: RunCache,
): unknown {
  if (!isThenable(out)) {
    cache.completed(slot, node, decision, out, warnings);
    return out;
  }
  return Promise.resolve(out).then((value) => {
    cache.completed(slot, node, decision, value, warnings);
    return value;
  });
}

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
function materialize(source: unknown, name: string, scope: RunScope): Promise<readonly unknown[]> | readonly unknown[] {
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
