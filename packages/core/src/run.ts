/**
 * The scheduler — the `run` stage of core's pipeline (`candidates` → `drafts` → `graph` → `plan`
 * → `run`, with `builder` and `driver` on top). The driver hands it a {@link Plan} and the
 * request's values; it hands back the requested outputs.
 *
 * Owns {@link Run}: one execution of a plan — nodes start as their dependencies finish, a
 * synchronous node completes in the same loop (no promise), an asynchronous one holds a
 * concurrency slot until it settles, values are released after their last reader — and the cache
 * path (a hit's stored value through the adapters; a miss's result handed to the cache). Around
 * it: `run-scope.ts` (stop and grace), `fan-out.ts` (a collect node's item runs, local or on a
 * task executor), `fan-out-items.ts` (reading a parallelize node's items).
 */
import type { AdapterSet } from "@hamilton-ts/lifecycle";
import { isThenable } from "@hamilton-ts/lifecycle/internal";
import { NodeExecutionError } from "./errors.js";
import type { GraphNode } from "./graph.js";
import type { NodeContext } from "./modifiers.js";
import { PER_ITEM, type Plan } from "./plan.js";
import { type CacheDecision, RunCache } from "./cache.js";
import { runFanOut } from "./fan-out.js";
import type { RunScope } from "./run-scope.js";

const NO_WARN = (): void => undefined;

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
        : new RunCache(scope.cache, plan, init.taskId, (scope.cacheLog ??= []), init.cacheVersions, scope.runId);
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
      // A store that answers with a promise: the node is called once the lookup settled.
      result =
        decision instanceof Promise
          ? decision.then((d) => {
              if (this.#scope.stopped) throw this.#scope.refused(node.name, this.#init.taskId);
              return this.#callCached(slot, node, kwargs, d, cache);
            })
          : this.#callCached(slot, node, kwargs, decision, cache);
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
      {
        runId: scope.runId,
        node: node.info,
        kwargs,
        taskId,
        cache: decision.outcome,
        cacheKey: decision.key,
        cacheFromRun: decision.fromRun,
        cacheMissReason: decision.missReason,
      },
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
      const scope = this.#scope;
      const parent = {
        scope,
        plan,
        taskId: this.#init.taskId,
        values: this.#values,
        cache: this.#cache,
        startItem: (init: RunInit) => new Run(scope, init).start(),
      };
      items = runFanOut(parent, plan.fanOuts.get(parallelizeSlot)!, this.#values[parallelizeSlot]);
      this.#fanOutItems.set(parallelizeSlot, items);
    }
    const results = await items;
    const kwargs = this.#kwargs(slot, node, results);
    const cache = this.#cache;
    if (cache === undefined) return this.#call(node, kwargs);
    return this.#callCached(slot, node, kwargs, await cache.decideCollect(slot, node, kwargs), cache);
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
