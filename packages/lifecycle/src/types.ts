/** A value that may or may not be wrapped in a promise. */
export type MaybePromise<T> = T | Promise<T>;

/** A node tag value: a string, or a list of strings (Hamilton's tag shapes). */
export type TagValue = string | readonly string[];

/**
 * How a node takes part in the graph: a plain `transform`, an `input` the caller provides, or the
 * two ends of a dynamic fan-out (`expand` produces the items, `collect` gathers their results).
 */
export type NodeKind = "transform" | "input" | "expand" | "collect";

/**
 * What adapters may know about one node of a built graph. Adapters never see the engine's own
 * node objects: this is the read-only view they get.
 */
export interface NodeInfo {
  /** The node's name: the exported function's name, or an external input's name. */
  readonly name: string;
  /** Every dependency, required and optional, in declaration order. */
  readonly dependencies: readonly string[];
  /** The subset of {@link dependencies} that has a default value (the node runs without it). */
  readonly optionalDependencies: readonly string[];
  /** Tags attached with `tag(...)` or `node(..., { tags })`, plus the engine's own (`module`). */
  readonly tags: Readonly<Record<string, TagValue>>;
  /** True for a value the caller provides (`inputs` or config) rather than a function. */
  readonly isExternalInput: boolean;
  /** The role of the node in the graph. */
  readonly kind: NodeKind;
  /** The node's documentation (`node(..., { doc })`), or `""`. */
  readonly documentation: string;
  /**
   * The source text of the node's own function (never its whole file, which can hold secrets): the
   * original text its source map points to — TypeScript with its comments and types — when the code
   * was compiled or transformed, else the text that runs; `""` for external inputs.
   */
  readonly source: string;
  /**
   * The file {@link source} is in, relative to the working directory (absolute outside it);
   * undefined for external inputs and when it could not be found.
   */
  readonly sourceFile?: string | undefined;
  /** The 1-based line the function starts on in {@link sourceFile}. */
  readonly sourceLine?: number | undefined;
  /**
   * True when {@link source} is the original text (found through a source map, or code that ran
   * untransformed); false when only the compiled text could be found.
   */
  readonly sourceMapped?: boolean | undefined;
  /** The name of the function this node came from (differs from `name` for variants and modifiers). */
  readonly functionName: string;
  /**
   * A stable hash of the node's source tokens: it changes when, and only when, the code changes —
   * comments and whitespace do not count, TypeScript types do — so the same code run with `tsx` or
   * compiled by `tsc` has one version. Computed once per graph, on first read.
   */
  readonly version: string;
}

/** What adapters may know about a built graph. */
export interface GraphInfo {
  /** Every node, external inputs included, in a stable order (sorted by name). */
  readonly nodes: readonly NodeInfo[];
  /** Looks a node up by name. */
  node(name: string): NodeInfo | undefined;
  /** A stable hash of the whole graph (node names, wiring and sources). Computed once, on first read. */
  readonly version: string;
  /** The configuration the graph was built with. */
  readonly config: Readonly<Record<string, unknown>>;
}

/**
 * A record shared by every adapter for one node run (or one graph run): an adapter can leave
 * correlation data here for the others, e.g. the OpenTelemetry tracer leaves `trace_id` and
 * `span_id`, which the tracker stores with the node record.
 */
export type SharedAttributes = Record<string, unknown>;

/** Payload of `afterGraphConstruction`. */
export interface GraphConstructionEvent {
  readonly graph: GraphInfo;
  readonly config: Readonly<Record<string, unknown>>;
}

/** Payload of `validateNode`. */
export interface NodeValidationEvent {
  readonly node: NodeInfo;
  readonly graph: GraphInfo;
}

/** Payload of `validateGraph`. */
export interface GraphValidationEvent {
  readonly graph: GraphInfo;
}

/** Payload of `beforeGraphExecution` and `wrapGraphExecution`. */
export interface GraphExecutionEvent {
  /** A fresh id for this execute call (a UUID). */
  readonly runId: string;
  readonly graph: GraphInfo;
  /** The requested outputs, in the caller's order. */
  readonly finalVars: readonly string[];
  /** The caller's inputs merged with the graph's config. Values can hold secrets. */
  readonly inputs: Readonly<Record<string, unknown>>;
  /** The caller's overrides. */
  readonly overrides: Readonly<Record<string, unknown>>;
  /** The names of the nodes this run will compute, in a valid execution order. */
  readonly executionPath: readonly string[];
  /** Correlation data shared by all adapters for this run. */
  readonly attributes: SharedAttributes;
}

/** Payload of `afterGraphExecution`: the {@link GraphExecutionEvent} completed with the outcome. */
export interface GraphExecutionResultEvent extends GraphExecutionEvent {
  readonly success: boolean;
  /** The run's error (e.g. a `NodeExecutionError` or an abort), when `success` is false. */
  readonly error: unknown;
  /** The requested values, when `success` is true. */
  readonly results: Readonly<Record<string, unknown>> | undefined;
  /** Wall time of the run, in milliseconds. */
  readonly durationMs: number;
}

/** Payload of `beforeNodeExecution` and `wrapNodeExecution`. */
export interface NodeExecutionEvent {
  readonly runId: string;
  readonly node: NodeInfo;
  /** The values the node receives, keyed by dependency name. Values can hold secrets. */
  readonly kwargs: Readonly<Record<string, unknown>>;
  /**
   * Identifies one run of a node inside a dynamic fan-out (the same node runs once per item);
   * undefined for ordinary nodes.
   */
  readonly taskId: string | undefined;
  /** 1 for the first attempt; a retrying wrapper's further calls of `next()` count up. */
  readonly attempt: number;
  /** Correlation data shared by all adapters for this node run. */
  readonly attributes: SharedAttributes;
  /**
   * What the engine's cache did for this node run (`Builder.withCache`), known before the node
   * would run; undefined when the driver has no cache. On a `hit` the node function is not
   * called: the wrappers and observers still run, `result` is the stored value and `warnings` the
   * ones the node gave when it ran.
   */
  readonly cache?: CacheOutcome | undefined;
  /** The cache key (64 hex digits) the node run was looked up, and on a miss stored, under; undefined when it could not be keyed. */
  readonly cacheKey?: string | undefined;
  /** For a `hit`: the run id of the run that stored the result this node run replays. */
  readonly cacheFromRun?: string | undefined;
  /** For a `miss`: why the cache could not answer (see {@link CacheMissReason}). */
  readonly cacheMissReason?: CacheMissReason | undefined;
}

/**
 * Why a node run missed the cache, checked in this order against what the cache last stored for
 * the node (and fan-out task), so the answer holds across drivers and processes:
 * - `new`: nothing was stored for it yet (or the entry is gone);
 * - `code`: its code version changed, `from` → `to` (`NodeInfo.version`);
 * - `dependency`: the value of dependency `name` changed (an input counts as a dependency);
 * - `config`: its bound values (`inject`, `parameterize`, ...) or the config changed;
 * - `unkeyed`: no key could be made, or the result cannot be kept (a value that cannot be
 *   fingerprinted or stored, a `disable`d dependency, a store that cannot be written); `detail` says which.
 */
export type CacheMissReason =
  | { readonly kind: "new" }
  | { readonly kind: "code"; readonly from: string; readonly to: string }
  | { readonly kind: "dependency"; readonly name: string }
  | { readonly kind: "config" }
  | { readonly kind: "unkeyed"; readonly detail?: string | undefined };

/**
 * What the cache did for a node run:
 * - `hit`: the result came from the cache; the node function did not run.
 * - `miss`: the node ran (nothing stored under its key, or it could not be keyed or stored).
 * - `recompute`: the node ran because its behaviour is `recompute` (or it is a `parallelize` node).
 * - `disabled`: the node's behaviour is `disable` or `ignore`: no lookup, nothing stored.
 */
export type CacheOutcome = "hit" | "miss" | "recompute" | "disabled";

/** Payload of `afterNodeExecution`: the same object as the before-event, completed with the outcome. */
export interface NodeExecutionResultEvent extends NodeExecutionEvent {
  readonly success: boolean;
  /** The node's value, when `success` is true. */
  readonly result: unknown;
  /** The node's own error (not wrapped), when `success` is false. */
  readonly error: unknown;
  /**
   * Time spent in the node function, in milliseconds. Measured for `afterNodeExecution`
   * observers: when no adapter has one, the engine skips the clock and this stays 0.
   */
  readonly durationMs: number;
  /**
   * Non-fatal problems found with the result (e.g. data-quality warnings). At most 100 per node
   * run (per attempt), each cut to 2,000 characters (`MAX_NODE_WARNINGS`, `MAX_WARNING_LENGTH`).
   */
  readonly warnings: readonly string[] | undefined;
  /**
   * How many warnings were dropped because the node run had already reported 100: 0 (or
   * undefined, in an event an adapter made itself) when none were.
   */
  readonly warningsDropped?: number;
}

/** Payload of `exportRunContext`: the run (on the coordinator) whose work is about to leave the process. */
export interface RunContextEvent {
  readonly runId: string;
  readonly graph: GraphInfo;
}

/**
 * Payload of `wrapRemoteTask`: one task of a run (a fan-out item's block) that runs in this
 * process (a worker) on behalf of a run that another process (the coordinator) started.
 */
export interface RemoteTaskEvent {
  /** The coordinator's run id: the node events of this task carry it too. */
  readonly runId: string;
  /** The fan-out task, e.g. `urls[3]`. */
  readonly taskId: string;
  readonly graph: GraphInfo;
  /**
   * What this adapter's `exportRunContext` returned on the coordinator (matched by adapter name:
   * its `name` property, else its class name), or undefined when it returned nothing.
   */
  readonly runContext: unknown;
  /** Which process runs the task: `<host>:<pid>`. */
  readonly worker: string;
  /** 1 for the task's first delivery; a task re-run after its worker died counts up. */
  readonly attempt: number;
}

/**
 * A lifecycle adapter: implement any subset of these methods.
 *
 * - Observers (`after*`, `before*`) see what happens; an observer that throws or rejects is
 *   reported through `onAdapterError` and never changes the run's outcome. Observers may return
 *   a promise, which the engine awaits before going on.
 * - Wrappers (`wrap*`, `aroundNodeExecution`) run the work themselves by calling `next()`, so
 *   they can make a context current for it (an OpenTelemetry span, say), retry it or time it. The
 *   first adapter's wrapper is outermost. Whatever a wrapper throws fails the node or run (the
 *   engine cannot tell the wrapper's own error from the work's), so a wrapper catches and
 *   reports its own failures and calls `next()` exactly once per attempt, returning its outcome
 *   unchanged: an adapter's own failure never fails the node or changes its result.
 * - Validators (`validate*`) run once at build time; a returned string is a problem that fails
 *   the build.
 *
 * Observers run inside the wrappers, so they see whatever context the wrappers made current.
 */
export interface LifecycleAdapter {
  /** Called once when a driver has been built. */
  afterGraphConstruction?(event: GraphConstructionEvent): unknown;
  /** Checks one node at build time: return a problem message, or nothing when the node is fine. */
  // biome-ignore lint/suspicious/noConfusingVoidType: a validator written as a function with no return statement must fit.
  validateNode?(event: NodeValidationEvent): string | undefined | null | void;
  /** Checks the whole graph at build time: return a problem message, or nothing. */
  // biome-ignore lint/suspicious/noConfusingVoidType: as for validateNode.
  validateGraph?(event: GraphValidationEvent): string | undefined | null | void;
  /** Called before a run starts its first node. */
  beforeGraphExecution?(event: GraphExecutionEvent): unknown;
  /** Called after every node of the run has finished, successful or not. */
  afterGraphExecution?(event: GraphExecutionResultEvent): unknown;
  /** Called before each attempt of a node. */
  beforeNodeExecution?(event: NodeExecutionEvent): unknown;
  /** Called after each attempt of a node, with the same event object, completed. */
  afterNodeExecution?(event: NodeExecutionResultEvent): unknown;
  /** Runs a whole graph execution: call `next()` exactly once and return (or transform) its results. */
  wrapGraphExecution?(
    event: GraphExecutionEvent,
    next: () => Promise<Record<string, unknown>>,
  ): Promise<Record<string, unknown>>;
  /** Runs one node: call `next()` (once, or again to retry) and return (or replace) its value. */
  wrapNodeExecution?(event: NodeExecutionEvent, next: () => Promise<unknown>): Promise<unknown>;
  /**
   * The synchronous-friendly form of {@link wrapNodeExecution}, for wrappers on the hot path
   * (a tracer): `next()` returns the node's value itself when the node and every wrapper inside
   * this one finished synchronously, else a promise — and may throw as well as reject. Return
   * what `next()` returned (or your own value or promise). A synchronous node then stays
   * synchronous: no promise and no microtask per node run. When an adapter implements both
   * forms, the engine calls this one.
   *
   * @example
   * ```ts
   * aroundNodeExecution(event, next) {
   *   const t0 = performance.now();
   *   const out = next();
   *   if (out instanceof Promise) return out.finally(() => record(event, performance.now() - t0));
   *   record(event, performance.now() - t0);
   *   return out;
   * }
   * ```
   */
  aroundNodeExecution?(event: NodeExecutionEvent, next: () => unknown): unknown;
  /**
   * Distributed runs, coordinator side: returns a small JSON-serialisable "run context" that a
   * task executor ships with every task of this run (the OpenTelemetry propagator idea, for
   * adapters): a tracer exports the run span's trace context, a tracker what it needs to attach
   * node runs to the run. Called inside the run (within `wrapGraphExecution`), once per fan-out
   * sent to a task executor. Return undefined to ship nothing. An error is reported through
   * `onAdapterError` and ships nothing.
   */
  exportRunContext?(event: RunContextEvent): unknown;
  /**
   * Distributed runs, worker side: runs one task of a coordinator's run; call `next()` exactly
   * once and return its outcome. `event.runContext` is what this adapter exported on the
   * coordinator. A tracer makes the remote run span the parent of the task's node spans here, a
   * tracker attaches the task's node runs to the coordinator's run. The node events of the task
   * follow inside `next()`, as in any run (no graph events on a worker).
   */
  wrapRemoteTask?(event: RemoteTaskEvent, next: () => Promise<unknown>): Promise<unknown>;
}

/** The hooks an observer error can come from. */
export type ObserverHookName =
  | "exportRunContext"
  | "afterGraphConstruction"
  | "beforeGraphExecution"
  | "afterGraphExecution"
  | "beforeNodeExecution"
  | "afterNodeExecution";

/** Where an observer error came from, for `onAdapterError`. */
export interface AdapterErrorInfo {
  readonly adapter: LifecycleAdapter;
  /** The adapter's name: its `name` property, its class name, or `adapter #i`. */
  readonly adapterName: string;
  readonly hook: ObserverHookName;
}

/** Receives errors thrown by observers; the run goes on regardless. */
export type AdapterErrorHandler = (error: unknown, info: AdapterErrorInfo) => void;
