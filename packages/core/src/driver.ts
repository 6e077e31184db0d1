import { randomUUID } from "node:crypto";
import {
  AdapterSet,
  type AdapterErrorHandler,
  type GraphInfo,
  type LifecycleAdapter,
  type NodeInfo,
  type TagValue,
} from "@hamilton-ts/lifecycle";
import { GraphBuildError, HamiltonError, type BuildProblem } from "./errors.js";
import { buildGraph, type Graph } from "./graph.js";
import { makePlan, type Plan } from "./plan.js";
import { abortError, Run, RunScope } from "./run.js";
import type { CheckWiring, DepsOfModules, InputsOf, OutputsOf, Simplify } from "./types.js";
import { EMPTY } from "./values.js";
import { renderExecution, renderGraph, type VisualizationFormat } from "./visualize.js";

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

/**
 * What `execute` needs of a `signal`: the `AbortSignal` shape, so that signals from other realms
 * and polyfills work too.
 */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener?(type: "abort", listener: () => void): void;
}

/** Options of {@link Driver.visualize}. */
export interface VisualizeGraphOptions {
  /** `mermaid` (default) or Graphviz `dot`. */
  format?: VisualizationFormat;
}

/** Options of {@link Driver.visualizeExecution}. */
export interface VisualizeOptions<N = Record<string, unknown>, I = Record<string, unknown>>
  extends Omit<ExecuteOptions<N, I>, "signal"> {
  /** `mermaid` (default) or Graphviz `dot`. */
  format?: VisualizationFormat;
}

/** A tag filter: every key must match; `null` matches any value, an array any of its values. */
export type TagFilter = Readonly<Record<string, string | readonly string[] | null>>;

const PLAN_CACHE_SIZE = 128;
const DEFAULT_GRACE_MS = 100;
const DEFAULT_MAX_ITEMS = 10_000_000;

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

  /** @internal Use {@link Builder.build}. */
  constructor(graph: Graph, adapters: AdapterSet, limits: DriverLimits) {
    this.#graph = graph;
    this.#adapters = adapters;
    this.#nodeAdapters = adapters.hasNodeHooks ? adapters : undefined;
    this.#maxConcurrency = limits.maxConcurrency;
    this.#graceMs = limits.gracePeriodMs;
    this.#maxItems = limits.maxFanOutItems;
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
    const run = new Run(scope, {
      plan: prepared.plan,
      finalVars,
      inputs: prepared.inputs,
      overrides: prepared.overrides,
      taskId: undefined,
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
      if (scope.stopped && scope.pending === 0) return out;
      // Once the scope gives up on what still runs (after the grace period), settle even if
      // something (a node without hooks, a hanging node wrapper) never does; the stragglers'
      // after-events, delivered as the give-up's microtasks run, come first.
      return new Promise<Record<string, unknown>>((resolve, reject) => {
        out.then(resolve, reject);
        scope.onGiveUp = () => setImmediate(() => reject(scope.error));
      });
    };
    return new Promise<Out>((resolve, reject) => {
      const done = (value: unknown): void => {
        scope.settled();
        if (onAbort !== undefined) signal!.removeEventListener?.("abort", onAbort);
        // An abort that came while only after-run work was pending still makes the run aborted.
        if (scope.stopped) reject(scope.error);
        else resolve(value as Out);
      };
      const failed = (error: unknown): void => {
        scope.settled();
        if (onAbort !== undefined) signal!.removeEventListener?.("abort", onAbort);
        reject(scope.stopped ? scope.error : error);
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
    return renderGraph(this.#graph.nodes, checkFormat(options.format, "visualize"));
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
    if (!Array.isArray(finalVars)) {
      throw new HamiltonError(
        "INVALID_ARGUMENT",
        `execute(finalVars, ...): finalVars must be an array of node names, e.g. ["universalTruth"].`,
      );
    }
    const graph = this.#graph;
    const config = graph.config;
    const rawInputs = checkRecord(options.inputs, "execute(..., { inputs })", "inputs");
    const overrides = checkRecord(options.overrides, "execute(..., { overrides })", "overrides");
    let inputs = rawInputs;
    const configKeys = Object.keys(config);
    if (configKeys.length > 0) {
      const clash = configKeys.filter((k) => Object.hasOwn(rawInputs, k));
      if (clash.length > 0) {
        throw new HamiltonError(
          "INVALID_INPUTS",
          `Input${clash.length === 1 ? "" : "s"} ${clash.map((k) => `"${k}"`).join(", ")} ` +
            `${clash.length === 1 ? "is" : "are"} also set in the config; a value must come from one place. ` +
            `Remove it from inputs or from withConfig(...).`,
        );
      }
      inputs = { ...config, ...rawInputs };
    }
    const provided = new Set<string>();
    for (const key of Object.keys(inputs)) if (graph.byName.has(key)) provided.add(key);
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

function checkFormat(format: unknown, where: string): VisualizationFormat {
  if (format === undefined) return "mermaid";
  if (format !== "mermaid" && format !== "dot") {
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `${where}: format must be "mermaid" or "dot", got ${JSON.stringify(format)}.`,
    );
  }
  return format;
}

/** Checks an execute's `signal`: AbortSignal-like, or none (`undefined`/`null`). */
function checkSignal(signal: unknown): AbortSignalLike | undefined {
  if (signal === undefined || signal === null) return undefined;
  if (
    typeof signal !== "object" ||
    typeof (signal as { aborted?: unknown }).aborted !== "boolean" ||
    typeof (signal as { addEventListener?: unknown }).addEventListener !== "function"
  ) {
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `execute(..., { signal }): signal must be an AbortSignal (anything with an "aborted" flag and addEventListener), ` +
        `got ${describe(signal)}. Pass controller.signal of an AbortController, or leave it out.`,
    );
  }
  return signal as AbortSignalLike;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return `an object (${(value as object).constructor?.name ?? "no prototype"})`;
  return typeof value;
}

/** Checks that `what`, given at `where`, is a record (or absent). */
function checkRecord(value: unknown, where: string, what: string): Readonly<Record<string, unknown>> {
  if (value === undefined) return EMPTY;
  if (value instanceof Map) {
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `${where}: ${what} must be an object of name → value, got a Map (its entries would be ignored). ` +
        `Pass Object.fromEntries(map) instead.`,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HamiltonError(
      "INVALID_ARGUMENT",
      `${where}: ${what} must be an object of name → value, got ${Array.isArray(value) ? "an array" : value === null ? "null" : typeof value}.`,
    );
  }
  return value as Record<string, unknown>;
}

function matchesTags(tags: Readonly<Record<string, TagValue>>, filter: TagFilter): boolean {
  for (const [key, wanted] of Object.entries(filter)) {
    if (!Object.hasOwn(tags, key)) return false;
    const actual = tags[key]!;
    if (wanted === null) continue;
    const have = typeof actual === "string" ? [actual] : actual;
    const want = typeof wanted === "string" ? [wanted] : wanted;
    if (!want.some((w) => have.includes(w))) return false;
  }
  return true;
}

/** Options of {@link Builder}. */
export interface BuilderState {
  readonly modules: readonly object[];
  readonly config: Readonly<Record<string, unknown>>;
  readonly adapters: readonly LifecycleAdapter[];
  readonly maxConcurrency: number;
  readonly gracePeriodMs: number;
  readonly maxFanOutItems: number;
  readonly allowModuleOverrides: boolean;
  readonly onAdapterError: AdapterErrorHandler | undefined;
}

/**
 * Builds a {@link Driver}: collect modules, config and adapters, then `build()`.
 *
 * @example
 * const dr = new Builder().withModules(dataflow).withAdapters(new OpenTelemetryTracer()).build();
 * const { universalTruth } = await dr.execute(["universalTruth"]);
 */
export class Builder<N = {}, D = {}> {
  readonly #state: BuilderState;

  constructor(state?: BuilderState) {
    this.#state = state ?? {
      modules: [],
      config: {},
      adapters: [],
      maxConcurrency: Number.POSITIVE_INFINITY,
      gracePeriodMs: DEFAULT_GRACE_MS,
      maxFanOutItems: DEFAULT_MAX_ITEMS,
      allowModuleOverrides: false,
      onAdapterError: undefined,
    };
  }

  #with<N2, D2>(changes: Partial<BuilderState>): Builder<N2, D2> {
    return new Builder<N2, D2>({ ...this.#state, ...changes });
  }

  /**
   * Adds modules: every function-valued property whose name does not start with `_` is a node
   * (`import * as dataflow from "./dataflow.js"` works). The compiler checks that each node's
   * dependencies have the types their producers return.
   */
  withModules<const Ms extends readonly object[]>(
    ...modules: Ms & CheckWiring<N & OutputsOf<Ms>, D & DepsOfModules<Ms>>
  ): Builder<N & OutputsOf<Ms>, D & DepsOfModules<Ms>> {
    return this.#with({ modules: [...this.#state.modules, ...(modules as readonly object[])] });
  }

  /**
   * Adds config: values that choose `configWhen` variants and are available to nodes as inputs
   * (their types are checked against the nodes that read them). Later calls win on the same key.
   */
  withConfig<C extends Readonly<Record<string, unknown>>>(config: C): Builder<Omit<N, keyof C> & C, D> {
    checkRecord(config, "withConfig(config)", "config");
    if (Object.hasOwn(config, "__proto__")) {
      throw new HamiltonError(
        "INVALID_ARGUMENT",
        `withConfig(config): a config key cannot be "__proto__", the one name JavaScript objects treat specially. Rename it.`,
      );
    }
    return this.#with({ config: { ...this.#state.config, ...config } });
  }

  /** Adds lifecycle adapters (tracers, trackers...). The first one's wrappers are outermost. */
  withAdapters(...adapters: LifecycleAdapter[]): Builder<N, D> {
    return this.#with({ adapters: [...this.#state.adapters, ...adapters] });
  }

  /**
   * Caps how many asynchronous nodes of one run may be in flight at once (default: no cap).
   * Synchronous nodes take no slot, but nodes start in plan order: one queued while every slot
   * is taken waits for a free one like any other.
   */
  withMaxConcurrency(limit: number): Builder<N, D> {
    if (!(Number.isInteger(limit) && limit >= 1) && limit !== Number.POSITIVE_INFINITY) {
      throw new HamiltonError(
        "INVALID_ARGUMENT",
        `withMaxConcurrency(limit): limit must be a whole number ≥ 1 (or Infinity), got ${String(limit)}.`,
      );
    }
    return this.#with({ maxConcurrency: limit });
  }

  /**
   * How long, in milliseconds, a run that stopped (a node failed, or the signal fired) waits for
   * the nodes still running before giving up on them (default 100). Nodes see the stop through
   * their context's `signal`; one that has not settled when the time is up gets an after-event
   * with an `ABANDONED` error, and whatever it returns later is ignored — but it keeps running
   * (its own child spans or warnings may arrive after the run's end). After a stop, each
   * adapter's graph-level hook gets the same time, one adapter at a time. `0` waits for nothing
   * (the events are still delivered).
   */
  withGracePeriod(ms: number): Builder<N, D> {
    if (!(Number.isFinite(ms) && ms >= 0)) {
      throw new HamiltonError(
        "INVALID_ARGUMENT",
        `withGracePeriod(ms): ms must be a finite number ≥ 0 (milliseconds), got ${String(ms)}.`,
      );
    }
    return this.#with({ gracePeriodMs: ms });
  }

  /**
   * Caps how many items one `parallelize` node may produce (default 10,000,000; arrays count
   * too). A source that goes past it fails its node with a `TOO_MANY_ITEMS` error instead of
   * filling the memory: a guard against sources that never end.
   */
  withMaxFanOutItems(n: number): Builder<N, D> {
    if (!(Number.isInteger(n) && n >= 0) && n !== Number.POSITIVE_INFINITY) {
      throw new HamiltonError(
        "INVALID_ARGUMENT",
        `withMaxFanOutItems(n): n must be a whole number ≥ 0 (or Infinity), got ${String(n)}.`,
      );
    }
    return this.#with({ maxFanOutItems: n });
  }

  /** Lets a later module's node replace an earlier module's node of the same name. */
  allowModuleOverrides(): Builder<N, D> {
    return this.#with({ allowModuleOverrides: true });
  }

  /**
   * Receives errors thrown by adapters' observers (they never change a run's outcome). Default: one
   * `console.warn` per adapter and hook.
   */
  withAdapterErrorHandler(handler: AdapterErrorHandler): Builder<N, D> {
    return this.#with({ onAdapterError: handler });
  }

  /**
   * Builds and validates the graph. Throws a `GraphBuildError` listing every problem at once:
   * invalid functions, duplicate names, cycles, config conflicts, adapter validators' findings.
   */
  build(): Driver<Simplify<N>, Simplify<InputsOf<N, D>>> {
    const state = this.#state;
    const adapters = new AdapterSet(
      state.adapters,
      state.onAdapterError === undefined ? {} : { onAdapterError: state.onAdapterError },
    );
    const { graph, problems } = buildGraph(state.modules, {
      config: state.config,
      allowModuleOverrides: state.allowModuleOverrides,
    });
    if (graph === undefined) throw new GraphBuildError(problems);
    const adapterProblems: BuildProblem[] = adapters.validate(graph.info).map((p) => ({
      code: "ADAPTER_VALIDATION",
      node: p.node,
      message: `Adapter "${p.adapterName}" rejected ${p.node === undefined ? "the graph" : `node "${p.node}"`}: ${p.message}`,
    }));
    if (adapterProblems.length > 0) throw new GraphBuildError(adapterProblems);
    void adapters.afterGraphConstruction(graph.info);
    return new Driver(graph, adapters, {
      maxConcurrency: state.maxConcurrency,
      gracePeriodMs: state.gracePeriodMs,
      maxFanOutItems: state.maxFanOutItems,
    });
  }
}
