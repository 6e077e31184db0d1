/**
 * On top of core's pipeline
 * (`candidates` → `drafts` → `graph` → `plan` → `run`, with `builder` and `driver` on top; see
 * PIPELINE.md).
 *
 * Owns {@link Builder}: the immutable, checked collection of what a driver is made of (modules,
 * config, adapters, limits, cache, task executor). `build()` runs the build stages (`graph`,
 * through `candidates` and `drafts`), lets adapters validate the graph, and hands the result to a
 * `Driver`.
 */
import { AdapterSet, type AdapterErrorHandler, type LifecycleAdapter } from "@hamilton-ts/lifecycle";
import { type CacheOptions, checkCacheOptions } from "./cache.js";
import { Driver } from "./driver.js";
import { GraphBuildError, HamiltonError, type BuildProblem } from "./errors.js";
import { buildGraph } from "./graph.js";
import { checkRecord } from "./request.js";
import { checkTaskExecutor, type TaskExecutor } from "./task-executor.js";
import type { CheckWiring, DepsOfModules, InputsOf, OutputsOf, Simplify } from "./types.js";

const DEFAULT_GRACE_MS = 100;
const DEFAULT_MAX_ITEMS = 10_000_000;

/** What a {@link Builder} has collected so far (internal: only its checked methods change it). */
interface BuilderState {
  readonly modules: readonly object[];
  readonly config: Readonly<Record<string, unknown>>;
  readonly adapters: readonly LifecycleAdapter[];
  readonly maxConcurrency: number;
  readonly gracePeriodMs: number;
  readonly maxFanOutItems: number;
  readonly allowModuleOverrides: boolean;
  readonly sourceMaps: boolean;
  readonly onAdapterError: AdapterErrorHandler | undefined;
  readonly cache: CacheOptions | undefined;
  readonly taskExecutor: TaskExecutor | undefined;
}

/** The state of `new Builder()`. */
const EMPTY_BUILDER: BuilderState = Object.freeze({
  modules: [],
  config: {},
  adapters: [],
  maxConcurrency: Number.POSITIVE_INFINITY,
  gracePeriodMs: DEFAULT_GRACE_MS,
  maxFanOutItems: DEFAULT_MAX_ITEMS,
  allowModuleOverrides: false,
  sourceMaps: true,
  onAdapterError: undefined,
  cache: undefined,
  taskExecutor: undefined,
});

/**
 * Builds a {@link Driver}: collect modules, config and adapters, then `build()`.
 *
 * @example
 * const dr = new Builder().withModules(dataflow).withAdapters(new OpenTelemetryTracer()).build();
 * const { universalTruth } = await dr.execute(["universalTruth"]);
 */
export class Builder<N = {}, D = {}> {
  #state: BuilderState = EMPTY_BUILDER;

  /**
   * An empty builder (no modules, no config, no adapters, default limits). It takes no argument:
   * everything is added through the `with*` methods, which check what they are given.
   */
  constructor(...unexpected: readonly never[]) {
    if (unexpected.length > 0 && unexpected[0] !== undefined) {
      throw new HamiltonError(
        "INVALID_ARGUMENT",
        `new Builder() takes no argument, got ${unexpected.length === 1 ? "one" : unexpected.length}. ` +
          `Start from new Builder() and add to it with withModules(...), withConfig(...), withAdapters(...) and the other with* methods.`,
      );
    }
  }

  /** A new builder with this one's state and `changes` (the builder is immutable). */
  #with<N2, D2>(changes: Partial<BuilderState>): Builder<N2, D2> {
    const next = new Builder<N2, D2>();
    next.#state = { ...this.#state, ...changes };
    return next;
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
   * Whether a node's source (`NodeInfo.source`, and so its code version and its cache key) is the
   * original text its source map points to — TypeScript with its comments, with its file and line
   * — or, with `false`, the compiled text V8 runs (`Function.prototype.toString`), with no file or
   * line and `sourceMapped: false`. Default `true`: the sources are found when first read (an
   * adapter's template, the graph version, the cache), for the whole graph in one pass through
   * `node:inspector`, about 0.2 ms per loaded script and 0.3 ms per function, once; pass `false`
   * where that is too much or where a debugger must not be touched.
   */
  withSourceMaps(enabled: boolean): Builder<N, D> {
    if (typeof enabled !== "boolean") {
      throw new HamiltonError(
        "INVALID_ARGUMENT",
        `withSourceMaps(enabled): enabled must be true or false, got ${typeof enabled}.`,
      );
    }
    return this.#with({ sourceMaps: enabled });
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
  /**
   * Caches node results (Hamilton's `with_cache()`): a node whose name, code version and
   * dependencies' data versions match a stored entry is not run; its stored value (and the
   * warnings it gave) are used, and adapters see the node run with `cache: "hit"`. Results are
   * kept in `.hamilton-ts/.cache` unless `dir` or `store` say otherwise; see the README's Caching
   * section for behaviours, keys and what the code version cannot see.
   *
   * @example
   * const dr = new Builder().withModules(dataflow).withCache().build();
   */
  withCache(options?: CacheOptions): Builder<N, D> {
    return this.#with({ cache: { ...checkCacheOptions(options) } });
  }

  /**
   * Runs each fan-out item's block (the per-item nodes between a `parallelize` node and its
   * `collect` nodes) on a task executor instead of in this process — e.g. `BullMQExecutor` from
   * `@hamilton-ts/bullmq`, whose workers run the same dataflow (`Driver.runTask`). The engine
   * still owns collect order, the first-failure stop and abort. Without one, items run here (the
   * fast path). See the README's "Task executors" section for the interface.
   */
  withTaskExecutor(executor: TaskExecutor): Builder<N, D> {
    return this.#with({ taskExecutor: checkTaskExecutor(executor) });
  }

  build(): Driver<Simplify<N>, Simplify<InputsOf<N, D>>> {
    const state = this.#state;
    const adapters = new AdapterSet(
      state.adapters,
      state.onAdapterError === undefined ? {} : { onAdapterError: state.onAdapterError },
    );
    const { graph, problems } = buildGraph(state.modules, {
      config: state.config,
      allowModuleOverrides: state.allowModuleOverrides,
      sourceMaps: state.sourceMaps,
    });
    if (graph === undefined) throw new GraphBuildError(problems);
    const adapterProblems: BuildProblem[] = adapters.validate(graph.info).map((p) => ({
      code: "ADAPTER_VALIDATION",
      node: p.node,
      message: `Adapter "${p.adapterName}" rejected ${p.node === undefined ? "the graph" : `node "${p.node}"`}: ${p.message}`,
    }));
    if (adapterProblems.length > 0) throw new GraphBuildError(adapterProblems);
    void adapters.afterGraphConstruction(graph.info);
    return new Driver(
      graph,
      adapters,
      {
        maxConcurrency: state.maxConcurrency,
        gracePeriodMs: state.gracePeriodMs,
        maxFanOutItems: state.maxFanOutItems,
      },
      state.cache,
      state.taskExecutor,
    );
  }
}
