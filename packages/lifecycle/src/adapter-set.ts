import type {
  AdapterErrorHandler,
  AdapterErrorInfo,
  CacheMissReason,
  CacheOutcome,
  GraphExecutionEvent,
  GraphExecutionResultEvent,
  GraphInfo,
  LifecycleAdapter,
  MaybePromise,
  SharedAttributes,
  NodeExecutionEvent,
  NodeExecutionResultEvent,
  RemoteTaskEvent,
  RunContextEvent,
  NodeInfo,
  ObserverHookName,
} from "./types.js";
import { describeError } from "./internal/describe-error.js";
import { isThenable } from "./internal/is-thenable.js";
import { recordClass } from "./internal/record-class.js";
import { typeName } from "./internal/type-name.js";
import { WarnOnce } from "./internal/warn-once.js";
import { cutWarning, MAX_NODE_WARNINGS } from "./warning-limits.js";

/** Options of {@link AdapterSet}. */
export interface AdapterSetOptions {
  /**
   * Receives every error an observer throws or rejects with. Observer errors never change a run's
   * outcome. Default: one `console.warn` per adapter and hook (later errors of the same adapter
   * and hook are not repeated, so a broken adapter cannot flood the log).
   */
  onAdapterError?: AdapterErrorHandler;
}

/** A problem a validator reported at build time. */
export interface ValidationProblem {
  /** The adapter that reported it. */
  readonly adapterName: string;
  /** The node it concerns, for `validateNode`. */
  readonly node: string | undefined;
  readonly message: string;
}

/**
 * Bounds a graph-level hook's promise: settles like `promise`, or rejects once the run has stopped
 * and the engine's grace period has passed since the stop — or, for a wrapper, since what its
 * `next()` returned settled (`inside` gives that promise, if `next()` was called): each adapter
 * gets its own grace period (see {@link AdapterSet.runGraph}).
 */
export type HookBound = <T>(promise: Promise<T>, inside?: () => Promise<unknown> | undefined) => Promise<T>;

/** What the engine knows when a graph run starts; see {@link GraphExecutionEvent}. */
export type GraphRunInit = Omit<GraphExecutionEvent, "attributes">;

/** What a worker knows when a remote task starts; see {@link RemoteTaskEvent}. */
export type RemoteTaskInit = Omit<RemoteTaskEvent, "runContext">;

/** What the engine knows when a node run starts; see {@link NodeExecutionEvent}. */
export interface NodeRunInit {
  readonly runId: string;
  readonly node: NodeInfo;
  readonly kwargs: Readonly<Record<string, unknown>>;
  readonly taskId: string | undefined;
  /** The cache outcome, when the driver has a cache. */
  readonly cache?: CacheOutcome | undefined;
  /** The cache key, when the node could be keyed. */
  readonly cacheKey?: string | undefined;
  /** For a hit: the run that stored the replayed result. */
  readonly cacheFromRun?: string | undefined;
  /** For a miss: why. */
  readonly cacheMissReason?: CacheMissReason | undefined;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The `attributes` record of an event: a plain record with a constructor of its own, so the ids a
 * tracer leaves here keep their hidden-class transitions cached (see `recordClass` for why).
 */
const Attributes = recordClass<SharedAttributes>();
const newAttributes = (): SharedAttributes => new Attributes();

/**
 * The `warn` a node's work is given: each message ends up in the after-event's `warnings` (at
 * most {@link MAX_NODE_WARNINGS}, the rest counted). A function of its own so that, without
 * node wrappers, `runNode` allocates no closure scope of its own: this closure holds the event
 * only (the wrapped path has the same function inline, sharing its scope with `next()`).
 */
function warnInto(event: { warnings: string[] | undefined; warningsDropped?: number | undefined }) {
  return (message: string): void => {
    const warnings = (event.warnings ??= []);
    if (warnings.length < MAX_NODE_WARNINGS) warnings.push(cutWarning(message));
    else event.warningsDropped = (event.warningsDropped ?? 0) + 1;
  };
}

/** Calls `fn` and turns its value, or its synchronous throw, into a promise. */
function promiseOf<T>(fn: () => MaybePromise<T>): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
}

type Observer<E> = (this: LifecycleAdapter, event: E) => unknown;

/** A node wrapper: `around` = `aroundNodeExecution` (maybe-synchronous), else `wrapNodeExecution`. */
interface NodeWrapper {
  readonly adapter: LifecycleAdapter;
  readonly around: boolean;
}

interface ObserverEntry<E> {
  readonly adapter: LifecycleAdapter;
  readonly index: number;
  readonly fn: Observer<E>;
}

/** The name an adapter is reported under: its `name`, its class name, or its position. */
export function adapterName(adapter: LifecycleAdapter, index: number): string {
  const own = (adapter as { name?: unknown }).name;
  if (typeof own === "string" && own.length > 0) return own;
  const name = typeName(adapter, "");
  return name !== "" && name !== "Object" ? name : `adapter #${index}`;
}

/**
 * Composes lifecycle adapters: calls observers in adapter order, nests wrappers with the first
 * adapter outermost, runs observers inside the wrappers, and isolates observer errors.
 *
 * The engine creates one per driver, and skips {@link runNode} altogether when no adapter
 * implements a node hook ({@link hasNodeHooks}); synchronous observers never cost an `await`.
 */
export class AdapterSet {
  /** The adapters, in the order given (duplicates removed). */
  readonly adapters: readonly LifecycleAdapter[];
  /** True when some adapter implements a node hook; when false the engine skips node events entirely. */
  readonly hasNodeHooks: boolean;
  /** True when some adapter implements a graph-run hook. */
  readonly hasGraphHooks: boolean;

  readonly #onError: AdapterErrorHandler;
  readonly #warnings = new WarnOnce();
  readonly #beforeNode: ObserverEntry<NodeExecutionEvent>[];
  readonly #afterNode: ObserverEntry<NodeExecutionResultEvent>[];
  readonly #beforeGraph: ObserverEntry<GraphExecutionEvent>[];
  readonly #afterGraph: ObserverEntry<GraphExecutionResultEvent>[];
  readonly #wrapNode: NodeWrapper[];
  readonly #wrapGraph: LifecycleAdapter[];

  constructor(adapters: readonly LifecycleAdapter[] = [], options: AdapterSetOptions = {}) {
    const unique: LifecycleAdapter[] = [];
    for (const [i, adapter] of adapters.entries()) {
      if (adapter === null || typeof adapter !== "object") {
        throw new TypeError(
          `Adapter #${i} is ${adapter === null ? "null" : typeof adapter}: an adapter is an object ` +
            `implementing some LifecycleAdapter methods (e.g. new OpenTelemetryTracer()).`,
        );
      }
      if (!unique.includes(adapter)) unique.push(adapter);
    }
    this.adapters = unique;
    this.#onError = options.onAdapterError ?? ((error, info) => this.#warnOnce(error, info));
    this.#beforeNode = this.#observers("beforeNodeExecution");
    this.#afterNode = this.#observers("afterNodeExecution");
    this.#beforeGraph = this.#observers("beforeGraphExecution");
    this.#afterGraph = this.#observers("afterGraphExecution");
    this.#wrapNode = unique.flatMap((adapter): NodeWrapper[] =>
      typeof adapter.aroundNodeExecution === "function"
        ? [{ adapter, around: true }]
        : typeof adapter.wrapNodeExecution === "function"
          ? [{ adapter, around: false }]
          : [],
    );
    this.#wrapGraph = unique.filter((a) => typeof a.wrapGraphExecution === "function");
    this.hasNodeHooks = this.#beforeNode.length + this.#afterNode.length + this.#wrapNode.length > 0;
    this.hasGraphHooks = this.#beforeGraph.length + this.#afterGraph.length + this.#wrapGraph.length > 0;
  }

  #observers<K extends ObserverHookName>(hook: K): ObserverEntry<Parameters<NonNullable<LifecycleAdapter[K]>>[0]>[] {
    const out: ObserverEntry<Parameters<NonNullable<LifecycleAdapter[K]>>[0]>[] = [];
    for (const [index, adapter] of this.adapters.entries()) {
      const fn = adapter[hook];
      if (typeof fn === "function")
        out.push({ adapter, index, fn: fn as unknown as Observer<Parameters<NonNullable<LifecycleAdapter[K]>>[0]> });
    }
    return out;
  }

  #warnOnce(error: unknown, info: AdapterErrorInfo): void {
    this.#warnings.warn(
      `${this.adapters.indexOf(info.adapter)}:${info.hook}`,
      () =>
        `[hamilton-ts] adapter "${info.adapterName}" threw in ${info.hook}: ${describeError(error)}. ` +
        `The run is unaffected; further errors from this adapter's ${info.hook} are not shown. ` +
        `Pass onAdapterError to see them all.`,
    );
  }

  #report(error: unknown, entry: { adapter: LifecycleAdapter; index: number }, hook: ObserverHookName) {
    try {
      this.#onError(error, { adapter: entry.adapter, adapterName: adapterName(entry.adapter, entry.index), hook });
    } catch {
      // An error handler that throws must not break the run either.
    }
  }

  /**
   * Calls each observer in adapter order. Returns undefined when all were synchronous, else a
   * promise that settles (never rejects) once the asynchronous ones have, in order.
   */
  #notify<E>(
    entries: readonly ObserverEntry<E>[],
    hook: ObserverHookName,
    event: E,
    from = 0,
    bound?: HookBound,
  ): Promise<void> | undefined {
    for (let i = from; i < entries.length; i++) {
      const entry = entries[i]!;
      let out: unknown;
      try {
        out = entry.fn.call(entry.adapter, event);
      } catch (error) {
        this.#report(error, entry, hook);
        continue;
      }
      if (isThenable(out)) {
        const settled = Promise.resolve(out);
        return (bound === undefined ? settled : bound(settled)).then(
          () => this.#notify(entries, hook, event, i + 1, bound),
          (error: unknown) => {
            this.#report(error, entry, hook);
            return this.#notify(entries, hook, event, i + 1, bound);
          },
        );
      }
    }
    return undefined;
  }

  /** Calls every `afterGraphConstruction` observer; errors are reported, never thrown. */
  afterGraphConstruction(graph: GraphInfo): Promise<void> | undefined {
    const entries = this.#observers("afterGraphConstruction");
    return this.#notify(entries, "afterGraphConstruction", { graph, config: graph.config });
  }

  /**
   * Runs every validator over the graph and returns the problems they report. A validator that
   * throws is a real error and propagates.
   */
  validate(graph: GraphInfo): ValidationProblem[] {
    const problems: ValidationProblem[] = [];
    for (const [index, adapter] of this.adapters.entries()) {
      const name = adapterName(adapter, index);
      if (typeof adapter.validateNode === "function") {
        for (const node of graph.nodes) {
          const message = adapter.validateNode({ node, graph });
          if (typeof message === "string" && message.length > 0) {
            problems.push({ adapterName: name, node: node.name, message });
          }
        }
      }
      if (typeof adapter.validateGraph === "function") {
        const message = adapter.validateGraph({ graph });
        if (typeof message === "string" && message.length > 0) {
          problems.push({ adapterName: name, node: undefined, message });
        }
      }
    }
    return problems;
  }

  /**
   * Runs one graph execution through the adapters: wrappers (first adapter outermost), then
   * `beforeGraphExecution`, `work()`, `afterGraphExecution`. Resolves with the results (as a
   * wrapper may have transformed them) or rejects with the run's error.
   *
   * `bound`, when given, is applied to the promise of every asynchronous graph observer and of
   * every wrapper: the engine uses it to give each adapter's hook its own grace period once the
   * run has stopped, so one hanging adapter cannot keep the others from their events nor hold
   * the run. A bounded observer that runs out of time is reported like one that rejected; a
   * wrapper that does makes the `next()` of the wrapper outside it reject.
   */
  runGraph(
    init: GraphRunInit,
    work: (event: GraphExecutionEvent) => MaybePromise<Record<string, unknown>>,
    bound?: HookBound,
  ): Promise<Record<string, unknown>> {
    const event: Mutable<GraphExecutionResultEvent> = {
      ...init,
      attributes: newAttributes(),
      success: false,
      error: undefined,
      results: undefined,
      durationMs: 0,
    };
    const inner = async (): Promise<Record<string, unknown>> => {
      const before = this.#notify(this.#beforeGraph, "beforeGraphExecution", event, 0, bound);
      if (before) await before;
      const t0 = performance.now();
      let results: Record<string, unknown> | undefined;
      let failure: { error: unknown } | undefined;
      try {
        results = await work(event);
      } catch (error) {
        failure = { error };
      }
      event.durationMs = performance.now() - t0;
      event.success = failure === undefined;
      event.error = failure?.error;
      event.results = results;
      const after = this.#notify(this.#afterGraph, "afterGraphExecution", event, 0, bound);
      if (after) await after;
      if (failure) throw failure.error;
      return results!;
    };
    return this.#wrapGraphAt(0, event, inner, bound);
  }

  /**
   * Runs one node through the adapters: wrappers (first adapter outermost), and inside them, for
   * each attempt (each call of `next()`), `beforeNodeExecution`, `work()`, `afterNodeExecution`.
   * With no `wrapNodeExecution` wrapper and synchronous observers, a synchronous `work` stays
   * synchronous (`aroundNodeExecution` wrappers keep it so).
   *
   * `work` receives a `warn` function: each message it is given ends up in the after-event's
   * `warnings` (non-fatal problems such as data-quality warnings).
   */
  runNode(init: NodeRunInit, work: (warn: (message: string) => void) => unknown): unknown {
    const event: Mutable<NodeExecutionResultEvent> & { warnings: string[] | undefined } = {
      runId: init.runId,
      node: init.node,
      kwargs: init.kwargs,
      taskId: init.taskId,
      attempt: 1,
      attributes: newAttributes(),
      cache: init.cache,
      cacheKey: init.cacheKey,
      cacheFromRun: init.cacheFromRun,
      cacheMissReason: init.cacheMissReason,
      success: false,
      result: undefined,
      error: undefined,
      durationMs: 0,
      warnings: undefined,
      warningsDropped: 0,
    };
    // No node wrapper (the common case): one attempt, called directly: no closure but `warn`.
    if (this.#wrapNode.length === 0) return this.#attempt(event, work, warnInto(event));
    return this.#wrapped(event, work);
  }

  /** A node run inside the node wrappers: each call of the innermost `next()` is one attempt. */
  #wrapped(
    event: Mutable<NodeExecutionResultEvent> & { warnings: string[] | undefined },
    work: (warn: (message: string) => void) => unknown,
  ): unknown {
    // `warn` and `attempt` share one closure scope here (one allocation for both).
    let calls = 0;
    const warn = (message: string): void => {
      const warnings = (event.warnings ??= []);
      if (warnings.length < MAX_NODE_WARNINGS) warnings.push(cutWarning(message));
      else event.warningsDropped = (event.warningsDropped ?? 0) + 1;
    };
    const attempt = (): unknown => {
      // Wrappers see attempt 1 before they call next(); each further call of next() counts one more.
      if (calls++ > 0) event.attempt = calls;
      event.success = false;
      event.result = undefined;
      event.error = undefined;
      event.durationMs = 0;
      event.warnings = undefined;
      event.warningsDropped = 0;
      return this.#attempt(event, work, warn);
    };
    return this.#wrapNodeAt(0, event, attempt);
  }

  /** One attempt of a node: `beforeNodeExecution`, `work()`, `afterNodeExecution`. */
  #attempt(
    event: Mutable<NodeExecutionResultEvent>,
    work: (warn: (message: string) => void) => unknown,
    warn: (message: string) => void,
  ): unknown {
    const before =
      this.#beforeNode.length === 0 ? undefined : this.#notify(this.#beforeNode, "beforeNodeExecution", event);
    if (before) return before.then(() => this.#invoke(event, work, warn));
    return this.#invoke(event, work, warn);
  }

  /**
   * Calls the node wrapper at `i` around the ones inside it. An `aroundNodeExecution` wrapper
   * gets a `next` that returns whatever the inside returns (value, promise, or a throw), so
   * synchronous work stays synchronous through it; a `wrapNodeExecution` wrapper gets a `next`
   * that always returns a promise, and its result is a promise.
   */
  #wrapNodeAt(i: number, event: NodeExecutionEvent, innermost: () => unknown): unknown {
    if (i === this.#wrapNode.length) return innermost();
    const { adapter, around } = this.#wrapNode[i]!;
    // The innermost wrapper's next() is the attempt itself: one closure and one call fewer per node.
    const inside =
      i + 1 === this.#wrapNode.length ? innermost : (): unknown => this.#wrapNodeAt(i + 1, event, innermost);
    if (around) return adapter.aroundNodeExecution!(event, inside);
    // A wrapper may also return a plain value (e.g. a cache hit that skips next()).
    return promiseOf(() => adapter.wrapNodeExecution!(event, () => promiseOf(inside)));
  }

  #invoke(
    event: Mutable<NodeExecutionResultEvent>,
    work: (warn: (message: string) => void) => unknown,
    warn: (message: string) => void,
  ): unknown {
    // durationMs is for after-observers: without any, skip the clock (two reads per node).
    const t0 = this.#afterNode.length > 0 ? performance.now() : -1;
    let value: unknown;
    try {
      value = work(warn);
    } catch (error) {
      return this.#finish(event, t0, false, error);
    }
    if (isThenable(value)) {
      return Promise.resolve(value).then(
        (v) => this.#finish(event, t0, true, v),
        (error: unknown) => this.#finish(event, t0, false, error),
      );
    }
    return this.#finish(event, t0, true, value);
  }

  #finish(event: Mutable<NodeExecutionResultEvent>, t0: number, ok: boolean, value: unknown): unknown {
    if (t0 >= 0) event.durationMs = performance.now() - t0;
    event.success = ok;
    if (ok) event.result = value;
    else event.error = value;
    const after = this.#notify(this.#afterNode, "afterNodeExecution", event);
    if (after) {
      return after.then(() => {
        if (!ok) throw value;
        return value;
      });
    }
    if (!ok) throw value;
    return value;
  }

  /** Calls the graph wrapper at `i` around the ones inside it (first adapter outermost). */
  #wrapGraphAt(
    i: number,
    event: GraphExecutionEvent,
    inner: () => Promise<Record<string, unknown>>,
    bound?: HookBound,
  ): Promise<Record<string, unknown>> {
    if (i === this.#wrapGraph.length) return promiseOf(inner);
    const adapter = this.#wrapGraph[i]!;
    if (bound === undefined) {
      return promiseOf(() => adapter.wrapGraphExecution!(event, () => this.#wrapGraphAt(i + 1, event, inner)));
    }
    let inside: Promise<Record<string, unknown>> | undefined;
    const next = (): Promise<Record<string, unknown>> => (inside = this.#wrapGraphAt(i + 1, event, inner, bound));
    return bound(
      promiseOf(() => adapter.wrapGraphExecution!(event, next)),
      () => inside,
    );
  }

  /**
   * Distributed runs, coordinator side: each adapter's `exportRunContext`, keyed by adapter name
   * (adapters that export nothing are left out). An adapter that throws is reported through
   * `onAdapterError` (hook `exportRunContext`) and left out.
   */
  exportRunContexts(event: RunContextEvent): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [index, adapter] of this.adapters.entries()) {
      if (typeof adapter.exportRunContext !== "function") continue;
      try {
        const value = adapter.exportRunContext(event);
        if (value !== undefined) out[adapterName(adapter, index)] = value;
      } catch (error) {
        this.#report(error, { adapter, index }, "exportRunContext");
      }
    }
    return out;
  }

  /**
   * Distributed runs, worker side: runs `work` (one task of a coordinator's run) inside every
   * adapter's `wrapRemoteTask`, first adapter outermost, each given the run context its namesake
   * exported on the coordinator (`contexts`, from {@link exportRunContexts}).
   */
  runRemoteTask<T>(
    init: RemoteTaskInit,
    contexts: Readonly<Record<string, unknown>>,
    work: () => Promise<T>,
  ): Promise<T> {
    const wrappers: Array<{ adapter: LifecycleAdapter; index: number }> = [];
    for (const [index, adapter] of this.adapters.entries()) {
      if (typeof adapter.wrapRemoteTask === "function") wrappers.push({ adapter, index });
    }
    const at = (i: number): Promise<T> => {
      if (i === wrappers.length) return promiseOf(work);
      const { adapter, index } = wrappers[i]!;
      const name = adapterName(adapter, index);
      const event: RemoteTaskEvent = {
        ...init,
        runContext: Object.hasOwn(contexts, name) ? contexts[name] : undefined,
      };
      return promiseOf(() => adapter.wrapRemoteTask!(event, () => at(i + 1)) as Promise<T>);
    };
    return at(0);
  }
}
