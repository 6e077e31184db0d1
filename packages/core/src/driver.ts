/**
 * On top of core's pipeline
 * (`candidates` → `drafts` → `graph` → `plan` → `run`, with `builder` and `driver` on top; see
 * PIPELINE.md).
 *
 * Owns {@link Driver}: the user's entry point once built. Per execute it checks the request,
 * gets a plan (`plan`, cached per call shape), opens a `RunScope` and starts a `Run` (`run`),
 * wrapped in the adapters' graph-level hooks; it also runs a fan-out task on a worker
 * (`runTask`), visualises the graph, and lists variables.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { AdapterSet, GraphInfo, NodeInfo } from "@hamilton-ts/lifecycle";
import type { Builder } from "./builder.js";
import type { Graph } from "./graph.js";
import { taskCacheOf } from "./task-cache.js";
import { type CacheInspector, type CacheOptions, DriverCache } from "./cache.js";
import { makePlan, makeTaskPlan, type Plan } from "./plan.js";
import { checkFinalVars, checkRecord, checkSignal, inputsWithConfig, type AbortSignalLike } from "./request.js";
import { Run } from "./run.js";
import { abortError, RunScope } from "./run-scope.js";
import { matchesTags, type TagFilter } from "./tags.js";
import { UnusedInputs } from "./unused-inputs.js";
import { HamiltonError } from "./errors.js";
import {
  type FanOutTask,
  type RemoteSetup,
  type RunTaskOptions,
  type TaskExecutor,
  workerComputed,
} from "./task-executor.js";
import type { Simplify } from "./types.js";
import { checkFormat, renderExecution, renderGraph, type VisualizationFormat } from "./visualize.js";
/** Options of {@link Driver.execute}. */
export interface ExecuteOptions<N = Record<string, unknown>, I = Record<string, unknown>> {
  /**
   * Values of external inputs. Only the inputs the requested outputs need are required; a missing
   * one is reported with every other missing one in a single `MISSING_INPUTS` error.
   */
  inputs?: I & Record<string, unknown>;
  /** Values that replace nodes: an overridden node does not run, nor does what only it needed. */
  overrides?: Partial<N>;
  /**
   * Cancels the run: no new node starts, nodes see the abort through their context's `signal`,
   * and `execute` rejects with an `ABORTED` error once the nodes still running have stopped or
   * been given up ({@link Builder.withGracePeriod}). Anything AbortSignal-like works (an
   * `aborted` flag and `addEventListener`, e.g. from another realm or a polyfill); `null` or
   * `undefined` mean no signal.
   */
  signal?: AbortSignalLike | null;
}

/** Options of {@link Driver.visualize}. */
export interface VisualizeGraphOptions {
  /** `mermaid` (default) or Graphviz `dot`. */
  format?: VisualizationFormat;
  /**
   * With `withCache`: colour each node by what the cache did for it in this run (an id from
   * `driver.cache.runs`): hit, miss, recompute, disabled, ignored, or partial (fan-out items that
   * differ); a legend comment says which colour is which.
   */
  cache?: string;
}

/** Options of {@link Driver.visualizeExecution}. */
export interface VisualizeOptions<N = Record<string, unknown>, I = Record<string, unknown>>
  extends Omit<ExecuteOptions<N, I>, "signal"> {
  /** `mermaid` (default) or Graphviz `dot`. */
  format?: VisualizationFormat;
}

const PLAN_CACHE_SIZE = 128;

/** The run limits a driver passes to each execute. */
interface DriverLimits {
  readonly maxConcurrency: number;
  readonly gracePeriodMs: number;
  readonly maxFanOutItems: number;
}

/**
 * Runs a built dataflow. One driver may run many executes at once: every run keeps its own state.
 *
 * `N` maps node names to their output types and `I` external inputs to theirs; both are inferred
 * by {@link Builder.withModules}.
 */
export class Driver<N = Record<string, unknown>, I = Record<string, unknown>> {
  readonly #graph: Graph;
  readonly #adapters: AdapterSet;
  readonly #nodeAdapters: AdapterSet | undefined;
  readonly #maxConcurrency: number;
  readonly #graceMs: number;
  readonly #maxItems: number;
  readonly #plans = new Map<string, Plan>();
  readonly #cache: DriverCache | undefined;
  readonly #remote: RemoteSetup | undefined;
  /** Warns once per name about an input no node uses whose name is close to one that is. */
  readonly #unusedInputs: UnusedInputs;

  /** @internal Use {@link Builder.build}. */
  constructor(graph: Graph, adapters: AdapterSet, limits: DriverLimits, cache?: CacheOptions, executor?: TaskExecutor) {
    this.#graph = graph;
    this.#unusedInputs = new UnusedInputs(graph);
    this.#remote =
      executor === undefined ? undefined : { executor, adapters, graph, computedByWorker: workerComputed(graph) };
    this.#cache = cache === undefined ? undefined : new DriverCache(graph, cache);
    this.#adapters = adapters;
    this.#nodeAdapters = adapters.hasNodeHooks ? adapters : undefined;
    this.#maxConcurrency = limits.maxConcurrency;
    this.#graceMs = limits.gracePeriodMs;
    this.#maxItems = limits.maxFanOutItems;
  }

  /**
   * The cache (`Builder.withCache`): the keys and outcomes of the last execute that settled,
   * `explain(node, taskId?)` (the outcome, key, the run a hit came from, why a miss missed), the
   * store, and `clear()`. Undefined without a cache.
   */
  get cache(): CacheInspector | undefined {
    return this.#cache;
  }

  /** The graph as adapters see it: nodes (external inputs included), versions, config. */
  get graph(): GraphInfo {
    return this.#graph.info;
  }

  /**
   * Computes the requested outputs and resolves with exactly those values, keyed in the order
   * requested. Only their ancestors run, each once; independent asynchronous nodes run
   * concurrently (within `withMaxConcurrency`).
   *
   * Rejects with a `HamiltonError`: `INVALID_ARGUMENT`, `UNKNOWN_OUTPUTS`, `UNKNOWN_OVERRIDES`,
   * `INVALID_INPUTS` or `MISSING_INPUTS` before anything runs; `NODE_FAILED` (a
   * `NodeExecutionError` whose `cause` is the node's own error) when a node throws; `ABORTED` when
   * `signal` fires.
   *
   * Structured completion: when it settles, every node it started has settled or been given up,
   * and every adapter has had every node's after-event and the run's. On failure or abort the
   * nodes still running see their context's `signal` fire and get the grace period
   * ({@link Builder.withGracePeriod}) to stop; those still running then are given up (their
   * after-event carries an `ABANDONED` error, their later results are ignored). So cleanup in a
   * `finally` after `await execute(...)` sees the whole run recorded.
   */
  execute<const K extends keyof AllVariables<N, I> & string>(
    finalVars: readonly K[],
    options: ExecuteOptions<N, I> = {},
  ): Promise<Simplify<{ [P in K]: AllVariables<N, I>[P] }>> {
    type Out = Simplify<{ [P in K]: AllVariables<N, I>[P] }>;
    let prepared: Prepared;
    let signal: AbortSignalLike | undefined;
    try {
      prepared = this.#prepare(finalVars, options);
      signal = checkSignal(options.signal);
    } catch (error) {
      return Promise.reject(error);
    }
    if (signal?.aborted) return Promise.reject(abortError(signal.reason));
    const scope = new RunScope(randomUUID(), this.#nodeAdapters, this.#maxConcurrency, this.#graceMs, this.#maxItems);
    const cache = this.#cache;
    if (cache !== undefined) {
      scope.cache = cache;
      scope.cacheLog = cache.begin(scope.runId).log;
    }
    scope.remote = this.#remote;
    const run = new Run(scope, {
      plan: prepared.plan,
      finalVars,
      inputs: prepared.inputs,
      overrides: prepared.overrides,
      taskId: undefined,
      cacheVersions: undefined,
    });
    const graphHooks = this.#adapters.hasGraphHooks;
    let onAbort: (() => void) | undefined;
    const listen = (s: AbortSignalLike): void => {
      onAbort = () => scope.stop(abortError(s.reason));
      s.addEventListener("abort", onAbort, { once: true });
    };
    const work = (): Record<string, unknown> | Promise<Record<string, unknown>> => {
      const out = run.start();
      if (!(out instanceof Promise)) return out;
      // Without graph hooks, only a run with work in flight can be aborted: a synchronous one has
      // finished already, so the listener is added only now.
      if (signal !== undefined && onAbort === undefined) listen(signal);
      // A node's synchronous part may itself have aborted the signal before the listener existed.
      if (signal?.aborted) onAbort!();
      if (scope.stopped && scope.inFlight === 0) return out;
      // Once the scope gives up on what still runs (after the grace period), settle even if
      // something (a node without hooks, a hanging node wrapper) never does; the stragglers'
      // after-events, delivered as the give-up's microtasks run, come first.
      return new Promise<Record<string, unknown>>((resolve, reject) => {
        out.then(resolve, reject);
        scope.onGiveUp = () => setImmediate(() => reject(scope.stopError));
      });
    };
    return new Promise<Out>((resolve, reject) => {
      const done = (value: unknown): void => {
        // The cache's writes still in flight (an asynchronous store) and its eviction come first.
        const flushed = cache?.finish(scope.runId);
        if (flushed !== undefined) return void flushed.then(() => done(value));
        scope.executeSettled();
        if (onAbort !== undefined) signal!.removeEventListener?.("abort", onAbort);
        // An abort that came while only after-run work was pending still makes the run aborted.
        if (scope.stopped) reject(scope.stopError);
        else resolve(value as Out);
      };
      const failed = (error: unknown): void => {
        const flushed = cache?.finish(scope.runId);
        if (flushed !== undefined) return void flushed.then(() => failed(error));
        scope.executeSettled();
        if (onAbort !== undefined) signal!.removeEventListener?.("abort", onAbort);
        reject(scope.stopped ? scope.stopError : error);
      };
      if (!graphHooks) {
        try {
          const out = work();
          if (out instanceof Promise) out.then(done, failed);
          else done(out);
        } catch (error) {
          failed(error);
        }
        return;
      }
      // Graph hooks can hang before the run starts or after it ends: listen from the start.
      if (signal !== undefined) listen(signal);
      this.#adapters
        .runGraph(
          {
            runId: scope.runId,
            graph: this.#graph.info,
            finalVars,
            inputs: prepared.inputs,
            overrides: prepared.overrides,
            executionPath: prepared.plan.executionPath,
          },
          work,
          scope.bound,
        )
        .then(done, failed);
    });
  }

  /**
   * Runs one fan-out task that a {@link TaskExecutor} took from another process (the worker side
   * of `Builder.withTaskExecutor`), and resolves with the block's outputs (`task.outputs`).
   *
   * The task runs only when this driver's `graph.version` is the task's: else it rejects with
   * `TASK_REFUSED` and runs nothing. Inputs are this driver's config overridden by the task's
   * (the coordinator's config wins), the outer values the task carries and the item; outer nodes
   * in `task.computedByWorker` are computed here. Node events carry the coordinator's run id and
   * the task id; each adapter's `wrapRemoteTask` runs around the task with the run context its
   * namesake exported. No graph events: the run belongs to the coordinator. With a cache
   * (`withCache`), the task's nodes are looked up and stored per item under the keys the
   * coordinator's process would use (a shared store shares results); the run's last task in
   * flight on this driver resolves once the writes of all its tasks here are done — unless the
   * task's config changes this driver's, then it runs uncached (`task-cache.ts`). Rejects like
   * `execute` (`NODE_FAILED` naming the node and the task, `ABORTED` when `options.signal` fires).
   */
  runTask(task: FanOutTask, options: RunTaskOptions = {}): Promise<Record<string, unknown>> {
    const graph = this.#graph;
    if (task.graphVersion !== graph.info.version) {
      return Promise.reject(
        new HamiltonError(
          "TASK_REFUSED",
          `Task ${task.taskId} of run ${task.runId} was made for graph version ${task.graphVersion}, but this worker's graph ` +
            `has version ${graph.info.version}: it runs only on a worker with the same dataflow code and config variants.`,
        ),
      );
    }
    let plan: Plan;
    let inputs: Record<string, unknown>;
    try {
      inputs = { ...graph.config, ...task.config };
      const overrideNames = [task.parallelizeName, ...Object.keys(task.outer)];
      const provided = new Set<string>();
      for (const key of Object.keys(inputs))
        if (graph.byName.has(key) && !overrideNames.includes(key)) provided.add(key);
      const key = JSON.stringify(["task", task.outputs, overrideNames, [...provided]]);
      let cached = this.#plans.get(key);
      if (cached === undefined) {
        cached = makeTaskPlan(graph, task.outputs, overrideNames, provided);
        if (this.#plans.size >= PLAN_CACHE_SIZE) this.#plans.clear();
        this.#plans.set(key, cached);
      }
      plan = cached;
    } catch (error) {
      return Promise.reject(error);
    }
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(abortError(signal.reason));
    const scope = new RunScope(task.runId, this.#nodeAdapters, this.#maxConcurrency, this.#graceMs, this.#maxItems);
    const taskCache = this.#cache === undefined ? undefined : taskCacheOf(this.#cache, graph);
    const cached = taskCache?.enter(task) === true;
    if (cached) {
      scope.cache = this.#cache;
      scope.cacheLog = [];
    }
    const onAbort = (): void => scope.stop(abortError(signal!.reason));
    signal?.addEventListener("abort", onAbort, { once: true });
    const work = (): Promise<Record<string, unknown>> => {
      const run = new Run(scope, {
        plan,
        finalVars: task.outputs,
        inputs,
        overrides: { ...task.outer, [task.parallelizeName]: task.item },
        taskId: task.taskId,
        cacheVersions: cached ? taskCache!.versions(task) : undefined,
      });
      let out: Record<string, unknown> | Promise<Record<string, unknown>>;
      try {
        out = run.start();
      } catch (error) {
        return Promise.reject(error);
      }
      if (!(out instanceof Promise)) return Promise.resolve(out);
      const pending = out;
      return new Promise((resolve, reject) => {
        pending.then(resolve, reject);
        scope.onGiveUp = () => setImmediate(() => reject(scope.stopError));
      });
    };
    const remoteInit = {
      runId: task.runId,
      taskId: task.taskId,
      graph: graph.info,
      worker: options.worker ?? `${hostname()}:${process.pid}`,
      attempt: options.attempt ?? 1,
    };
    const ran = this.#adapters.runRemoteTask(remoteInit, task.runContexts, work);
    return (cached ? ran.finally(() => taskCache!.leave(task.runId)) : ran).then(
      (value) => {
        scope.executeSettled();
        signal?.removeEventListener("abort", onAbort);
        if (scope.stopped) throw scope.stopError;
        return value;
      },
      (error: unknown) => {
        scope.executeSettled();
        signal?.removeEventListener("abort", onAbort);
        throw scope.stopped ? scope.stopError : error;
      },
    );
  }

  /** Throws what {@link execute} would throw before running anything; runs nothing. */
  validateExecution<const K extends keyof AllVariables<N, I> & string>(
    finalVars: readonly K[],
    options: Omit<ExecuteOptions<N, I>, "signal"> = {},
  ): void {
    this.#prepare(finalVars, options);
  }

  /**
   * Every node and external input, as in Hamilton, optionally filtered by tags.
   *
   * @example
   * dr.listAvailableVariables({ tagFilter: { owner: "growth" } })
   */
  listAvailableVariables(options: { tagFilter?: TagFilter } = {}): NodeInfo[] {
    const filter = options.tagFilter;
    const nodes = this.#graph.info.nodes;
    if (filter === undefined) return [...nodes];
    return nodes.filter((n) => matchesTags(n.tags, filter));
  }

  /**
   * Draws the whole dataflow — every node and external input, fan-outs included — as Mermaid
   * (default) or Graphviz DOT text (Hamilton's `display_all_functions`). Needs no inputs.
   *
   * @example
   * console.log(dr.visualize({ format: "dot" }));
   */
  visualize(options: VisualizeGraphOptions = {}): string {
    const format = checkFormat(options.format, "visualize");
    if (options.cache === undefined) return renderGraph(this.#graph.nodes, format);
    if (this.#cache === undefined)
      throw new HamiltonError(
        "INVALID_ARGUMENT",
        `visualize({ cache: ${JSON.stringify(options.cache)} }): this driver has no cache. Build it with withCache() to colour a run's cache outcomes.`,
      );
    return renderGraph(this.#graph.nodes, format, this.#cache.colouring(options.cache));
  }

  /**
   * Draws what an execute with these arguments would run, as Mermaid (default) or Graphviz DOT
   * text: requested outputs, computed nodes, inputs and overrides look different. Validates like
   * {@link execute} (missing inputs are an error).
   */
  visualizeExecution<const K extends keyof AllVariables<N, I> & string>(
    finalVars: readonly K[],
    options: VisualizeOptions<N, I> = {},
  ): string {
    const format = checkFormat(options.format, "visualizeExecution");
    const { plan } = this.#prepare(finalVars, options);
    return renderExecution(plan, format);
  }

  #prepare(finalVars: readonly string[], options: Omit<ExecuteOptions, "signal">): Prepared {
    checkFinalVars(finalVars);
    const graph = this.#graph;
    const rawInputs = checkRecord(options.inputs, "execute(..., { inputs })", "inputs");
    const overrides = checkRecord(options.overrides, "execute(..., { overrides })", "overrides");
    const inputs = inputsWithConfig(graph.config, rawInputs);
    const provided = new Set<string>();
    for (const key of Object.keys(inputs)) {
      if (graph.byName.has(key)) provided.add(key);
      else this.#unusedInputs.check(key);
    }
    const overrideNames = Object.keys(overrides);
    // JSON keeps the three lists apart whatever their names contain (a name may hold any character).
    const key = JSON.stringify([finalVars, overrideNames, [...provided]]);
    let plan = this.#plans.get(key);
    if (plan === undefined) {
      plan = makePlan(graph, finalVars, overrideNames, provided);
      if (this.#plans.size >= PLAN_CACHE_SIZE) this.#plans.clear();
      this.#plans.set(key, plan);
    }
    return { plan, inputs, overrides };
  }
}

/** Node outputs and external inputs: every name `execute` accepts, with its type. */
export type AllVariables<N, I> = N & { [K in keyof I]-?: Exclude<I[K], undefined> };

interface Prepared {
  readonly plan: Plan;
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly overrides: Readonly<Record<string, unknown>>;
}
