import type { AdapterSet } from "@hamilton-ts/lifecycle";
import { HamiltonError, NodeExecutionError } from "./errors.js";
import type { GraphNode } from "./graph.js";
import type { NodeContext } from "./modifiers.js";
import type { Plan } from "./plan.js";

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/** The error a run rejects with when its signal fires. */
export function abortError(reason: unknown): HamiltonError {
  const why = reason instanceof Error ? `: ${reason.message}` : reason === undefined ? "" : `: ${String(reason)}`;
  return new HamiltonError("ABORTED", `The run was aborted${why}.`, { cause: reason });
}

/** Everything one run needs; see {@link Run}. */
export interface RunInit {
  readonly runId: string;
  readonly plan: Plan;
  readonly finalVars: readonly string[];
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly overrides: Readonly<Record<string, unknown>>;
  /** The driver's adapters, or undefined when none has a node hook (then nodes are called directly). */
  readonly adapters: AdapterSet | undefined;
  readonly maxConcurrency: number;
  readonly signal: AbortSignal | undefined;
}

/**
 * One execution of a plan. Nodes become ready when their computed dependencies have finished and
 * start in order; a synchronous node is called and completed in the same loop (no promise), an
 * asynchronous one counts against the concurrency limit until it settles. Values nobody needs any
 * more are released as soon as their last consumer has run.
 */
export class Run {
  readonly #init: RunInit;
  readonly #values: unknown[];
  readonly #pending: Int32Array;
  readonly #uses: Int32Array;
  #queue: number[];
  #head = 0;
  #inflight = 0;
  #done = 0;
  #stopped = false;
  #error: unknown;
  #finished = false;
  #controller: AbortController | undefined;
  #onEarly: ((error: unknown) => void) | undefined;
  #settle: { resolve: (v: Record<string, unknown>) => void; reject: (e: unknown) => void } | undefined;
  #onAbort: (() => void) | undefined;

  constructor(init: RunInit) {
    this.#init = init;
    const { plan } = init;
    this.#values = new Array(plan.slotNode.length);
    this.#pending = plan.pending.slice();
    this.#uses = plan.uses.slice();
    this.#queue = Array.from(plan.ready);
  }

  /** The run's id. */
  get runId(): string {
    return this.#init.runId;
  }

  /** The signal nodes see: fires on abort and on the run's failure. Created on first use. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#stopped) this.#controller.abort(this.#error);
    }
    return this.#controller.signal;
  }

  /**
   * Runs the plan. Returns the results directly when everything finished synchronously; else a
   * promise that settles once no node is running any more. `onEarly` is called with the run's error
   * as soon as it fails or is aborted while nodes are still running, so the caller can settle at
   * once while the remaining node events follow.
   */
  start(onEarly?: (error: unknown) => void): Record<string, unknown> | Promise<Record<string, unknown>> {
    const { plan, inputs, overrides, signal } = this.#init;
    this.#onEarly = onEarly;
    for (const g of plan.given) this.#values[g.slot] = g.override ? overrides[g.name] : inputs[g.name];
    this.#pump();
    if (this.#inflight === 0) {
      this.#finished = true;
      if (this.#stopped) throw this.#error;
      return this.#results();
    }
    if (signal !== undefined) {
      this.#onAbort = () => this.#abort(signal.reason);
      signal.addEventListener("abort", this.#onAbort, { once: true });
    }
    if (this.#stopped) this.#onEarly?.(this.#error);
    return new Promise((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
  }

  #pump(): void {
    const queue = this.#queue;
    const max = this.#init.maxConcurrency;
    while (this.#head < queue.length && !this.#stopped && this.#inflight < max) {
      this.#runSlot(queue[this.#head++]!);
    }
    if (this.#head === queue.length && this.#head > 0) {
      queue.length = 0;
      this.#head = 0;
    }
  }

  #runSlot(slot: number): void {
    const { plan, adapters } = this.#init;
    const node = plan.slotNode[slot]!;
    const args = plan.argSlots[slot]!;
    const names = node.depNames;
    const kwargs: Record<string, unknown> = {};
    for (let k = 0; k < args.length; k++) {
      const a = args[k]!;
      if (a !== -1) kwargs[names[k]!] = this.#values[a];
    }
    const fn = node.fn!;
    const ctx = node.usesContext ? this.#context(node) : undefined;
    let result: unknown;
    try {
      result =
        adapters === undefined
          ? fn(kwargs, ctx)
          : adapters.runNode({ runId: this.#init.runId, node: node.info, kwargs, taskId: undefined }, () =>
              fn(kwargs, ctx),
            );
    } catch (error) {
      this.#fail(node, error);
      return;
    }
    if (isThenable(result)) {
      this.#inflight++;
      result.then(
        (value) => {
          this.#inflight--;
          if (!this.#stopped) {
            this.#complete(slot, value);
            this.#pump();
          }
          this.#drain();
        },
        (error: unknown) => {
          this.#inflight--;
          this.#fail(node, error);
          this.#drain();
        },
      );
    } else {
      this.#complete(slot, result);
    }
  }

  #context(node: GraphNode): NodeContext {
    return { signal: this.signal, runId: this.#init.runId, nodeName: node.name, taskId: undefined };
  }

  #complete(slot: number, value: unknown): void {
    const { plan } = this.#init;
    this.#values[slot] = value;
    this.#done++;
    const consumers = plan.consumers[slot]!;
    for (let i = 0; i < consumers.length; i++) {
      const c = consumers[i]!;
      if (--this.#pending[c]! === 0) this.#queue.push(c);
    }
    const args = plan.argSlots[slot]!;
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a !== -1 && --this.#uses[a]! === 0 && plan.keep[a] === 0) this.#values[a] = undefined;
    }
  }

  #fail(node: GraphNode, error: unknown): void {
    if (this.#stopped) return;
    this.#stop(new NodeExecutionError(node.name, error));
  }

  #abort(reason: unknown): void {
    if (this.#stopped || this.#finished) return;
    this.#stop(abortError(reason));
    this.#drain();
  }

  #stop(error: unknown): void {
    this.#stopped = true;
    this.#error = error;
    this.#controller?.abort(error);
    // Settle the caller now if nodes are still running; their events follow before the run's.
    if (this.#inflight > 0 && this.#settle !== undefined) this.#onEarly?.(error);
  }

  #drain(): void {
    if (this.#inflight > 0 || this.#finished || this.#settle === undefined) return;
    this.#finished = true;
    if (this.#onAbort !== undefined) this.#init.signal?.removeEventListener("abort", this.#onAbort);
    if (this.#stopped) this.#settle.reject(this.#error);
    else this.#settle.resolve(this.#results());
  }

  #results(): Record<string, unknown> {
    const { finalVars, plan } = this.#init;
    const out: Record<string, unknown> = {};
    for (let i = 0; i < finalVars.length; i++) out[finalVars[i]!] = this.#values[plan.outputSlots[i]!];
    return out;
  }
}
