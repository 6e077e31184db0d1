import type { AdapterSet } from "@hamilton-ts/lifecycle";
import { HamiltonError, NodeExecutionError } from "./errors.js";
import type { GraphNode } from "./graph.js";
import type { NodeContext } from "./modifiers.js";
import { PER_ITEM, type BlockPlan, type Plan } from "./plan.js";
import { EMPTY, isThenable } from "./values.js";

/** The error a run rejects with when its signal fires. */
export function abortError(reason: unknown): HamiltonError {
  const why = reason instanceof Error ? `: ${reason.message}` : reason === undefined ? "" : `: ${String(reason)}`;
  return new HamiltonError("ABORTED", `The run was aborted${why}.`, { cause: reason });
}

const NO_WARN = (): void => undefined;

/**
 * What one execute call shares between its main run and the item runs of its fan-outs: the id,
 * the adapters, the concurrency limit, and whether (and why) it stopped.
 */
export class RunScope {
  readonly runId: string;
  /** The driver's adapters, or undefined when none has a node hook (then nodes are called directly). */
  readonly adapters: AdapterSet | undefined;
  readonly maxConcurrency: number;
  stopped = false;
  error: unknown;
  /** Asynchronous nodes in flight, across the main run and item runs (what the limit counts). */
  active = 0;
  /** Promises in flight of any kind (nodes and fan-outs): while there are any, events are still to come. */
  pending = 0;
  /** Called with the error when the run stops while work is still in flight. */
  onEarly: ((error: unknown) => void) | undefined;
  /** Runs waiting for a slot, first come first served (each at most once). */
  readonly #waiting = new Set<Run>();
  #controller: AbortController | undefined;

  constructor(runId: string, adapters: AdapterSet | undefined, maxConcurrency: number) {
    this.runId = runId;
    this.adapters = adapters;
    this.maxConcurrency = maxConcurrency;
  }

  /** The signal nodes see: fires on abort and on the run's failure. Created on first use. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.stopped) this.#controller.abort(this.error);
    }
    return this.#controller.signal;
  }

  stop(error: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.error = error;
    this.#controller?.abort(error);
    // Settle the caller now if work is still in flight; its events follow before the run's.
    if (this.pending > 0) this.onEarly?.(error);
  }

  /** A run that could not start a node for lack of a slot waits here. */
  wait(run: Run): void {
    this.#waiting.add(run);
  }

  /**
   * A slot came free: let waiting runs go on, oldest first, while slots are free. Waking only as
   * many as can start keeps a fan-out of N items under a limit linear: waking every waiting run
   * per freed slot made it O(N²).
   */
  freed(): void {
    for (const run of this.#waiting) {
      // A stopped scope lets every waiting run drain; otherwise only as many as can start.
      if (!this.stopped && this.active >= this.maxConcurrency) return;
      this.#waiting.delete(run);
      run.pump(); // may wait again (re-added at the end) if it took the last slot and has more
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
  readonly #pending: Int32Array;
  readonly #uses: Int32Array;
  #queue: number[];
  #head = 0;
  #inflight = 0;
  #finished = false;
  #settle: { resolve: (v: Record<string, unknown>) => void; reject: (e: unknown) => void } | undefined;
  #blocks: Map<number, Promise<Record<string, unknown>[]>> | undefined;

  constructor(scope: RunScope, init: RunInit) {
    this.#scope = scope;
    this.#init = init;
    const { plan } = init;
    this.#values = new Array(plan.slotNode.length);
    this.#pending = plan.pending.slice();
    this.#uses = plan.uses.slice();
    this.#queue = Array.from(plan.ready);
  }

  /**
   * Runs the plan. Returns the results directly when everything finished synchronously; else a
   * promise that settles once nothing of this run is in flight any more.
   */
  start(): Record<string, unknown> | Promise<Record<string, unknown>> {
    const { plan, inputs, overrides } = this.#init;
    for (const g of plan.given) this.#values[g.slot] = g.override ? overrides[g.name] : inputs[g.name];
    this.#startReady();
    if (this.#inflight === 0 && (this.#head === this.#queue.length || this.#scope.stopped)) {
      this.#finished = true;
      if (this.#scope.stopped) throw this.#scope.error;
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
      if (scope.active >= max) {
        scope.wait(this);
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
    if (node.kind === "collect" && node.expand !== -1) {
      this.#track(this.#runCollect(slot, node), slot, node, false);
      return;
    }
    const kwargs = this.#kwargs(slot, node, undefined);
    let result: unknown;
    try {
      result = this.#call(node, kwargs);
    } catch (error) {
      this.#fail(node, error);
      return;
    }
    if (isThenable(result)) this.#track(result, slot, node, true);
    else this.#complete(slot, result);
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
      }
    }
    return kwargs;
  }

  /** Calls a node, through the adapters when there are node hooks. */
  #call(node: GraphNode, kwargs: Record<string, unknown>): unknown {
    const scope = this.#scope;
    const fn = node.fn!;
    const adapters = scope.adapters;
    if (adapters === undefined) return fn(kwargs, node.usesContext ? this.#context(node, NO_WARN) : undefined);
    return adapters.runNode({ runId: scope.runId, node: node.info, kwargs, taskId: this.#init.taskId }, (warn) =>
      fn(kwargs, node.usesContext ? this.#context(node, warn) : undefined),
    );
  }

  #context(node: GraphNode, warn: (message: string) => void): NodeContext {
    const scope = this.#scope;
    return { signal: scope.signal, runId: scope.runId, nodeName: node.name, taskId: this.#init.taskId, warn };
  }

  #track(result: PromiseLike<unknown>, slot: number, node: GraphNode, countsAgainstLimit: boolean): void {
    const scope = this.#scope;
    this.#inflight++;
    scope.pending++;
    if (countsAgainstLimit) scope.active++;
    result.then(
      (value) => {
        this.#inflight--;
        scope.pending--;
        if (countsAgainstLimit) scope.active--;
        if (!scope.stopped) {
          this.#complete(slot, value);
          this.#startReady();
        }
        if (countsAgainstLimit) scope.freed();
        this.#drain();
      },
      (error: unknown) => {
        this.#inflight--;
        scope.pending--;
        if (countsAgainstLimit) scope.active--;
        this.#fail(node, error);
        if (countsAgainstLimit) scope.freed();
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
      if (--this.#pending[c]! === 0) this.#queue.push(c);
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
    if (error instanceof NodeExecutionError && error.taskId !== undefined && node.kind === "collect") {
      scope.stop(error);
      return;
    }
    scope.stop(new NodeExecutionError(node.name, error, this.#init.taskId));
  }

  #drain(): void {
    if (this.#inflight > 0 || this.#finished || this.#settle === undefined) return;
    if (this.#head < this.#queue.length && !this.#scope.stopped) return; // waiting for a slot
    this.#finished = true;
    if (this.#scope.stopped) this.#settle.reject(this.#scope.error);
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
    const expandSlot = plan.slotOf[node.expand]!;
    this.#blocks ??= new Map();
    let items = this.#blocks.get(expandSlot);
    if (items === undefined) {
      items = this.#runBlock(plan.blocks.get(expandSlot)!, this.#values[expandSlot]);
      this.#blocks.set(expandSlot, items);
    }
    const results = await items;
    return this.#call(node, this.#kwargs(slot, node, results));
  }

  async #runBlock(block: BlockPlan, source: unknown): Promise<Record<string, unknown>[]> {
    const items = await materialize(source, block.expandName);
    const shared: Record<string, unknown> = {};
    for (const [name, slot] of block.outer) shared[name] = this.#values[slot];
    const runs: Array<Record<string, unknown> | Promise<Record<string, unknown>>> = [];
    let failure: { error: unknown } | undefined;
    for (let i = 0; i < items.length && !this.#scope.stopped; i++) {
      const run = new Run(this.#scope, {
        plan: block.plan,
        finalVars: block.outputs,
        inputs: EMPTY,
        overrides: { ...shared, [block.expandName]: items[i] },
        taskId: `${block.expandName}[${i}]`,
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
    if (this.#scope.stopped) throw this.#scope.error;
    return settled.map((s) => (s as PromiseFulfilledResult<Record<string, unknown>>).value);
  }
}

/** The items of a parallelize node's result: an array, an iterable or an async iterable. */
async function materialize(source: unknown, name: string): Promise<readonly unknown[]> {
  if (Array.isArray(source)) return source;
  if (source !== null && typeof source === "object") {
    if (Symbol.asyncIterator in source) {
      const out: unknown[] = [];
      for await (const item of source as AsyncIterable<unknown>) out.push(item);
      return out;
    }
    if (Symbol.iterator in source) return Array.from(source as Iterable<unknown>);
  }
  throw new HamiltonError(
    "NODE_FAILED",
    `parallelize node "${name}" returned ${source === null ? "null" : typeof source}; it must return an array, an iterable or an async iterable of items.`,
  );
}
