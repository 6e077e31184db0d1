import { INVALID_TRACEID, ROOT_CONTEXT, context, diag, propagation, trace } from "@opentelemetry/api";
import type { Attributes, Context, Span, Tracer } from "@opentelemetry/api";
import { describeError, isThenable, redactAndCut, WarnOnce } from "@hamilton-ts/lifecycle/internal";
import type {
  GraphExecutionEvent,
  LifecycleAdapter,
  RemoteTaskEvent,
  RunContextEvent,
  NodeExecutionEvent,
} from "@hamilton-ts/lifecycle";
import {
  ATTR_NODE_CACHE,
  ATTR_NODE_TASK_ID,
  ATTR_TRACELOOP_ENTITY_INPUT,
  ATTR_TRACELOOP_ENTITY_OUTPUT,
  ATTR_HOST_NAME,
  ATTR_PROCESS_PID,
  ATTR_WORKER,
  SHARED_SPAN_ID,
  SHARED_TRACE_ID,
} from "./attribute-names.js";
import { checkOptions, type OpenTelemetryTracerOptions } from "./options.js";
import { madeByNoSdk, NO_SDK, NO_SDK_WARNING, SHARED_OTEL_SDK } from "./no-sdk.js";
import { endNodeSpan, endQuietly, recordFailure } from "./span-outcome.js";
import { serializeBounded, toJsonAttribute, truncate } from "./serialize.js";
import {
  NodeSpanAttributesCache,
  runSpanAttributes,
  setCacheDetails,
  workflowSpanAttributes,
} from "./span-attributes.js";

const DEFAULT_TRACER_NAME = "@hamilton-ts/opentelemetry";
const DEFAULT_GRAPH_SPAN_NAME = "hamilton.run";
const DEFAULT_WORKFLOW_NAME = "hamilton";
const DEFAULT_MAX_VALUE_LENGTH = 4096;

/** The hooks the tracer reports its own failures from. */
type TracerHook = "wrapGraphExecution" | "aroundNodeExecution" | "exportRunContext" | "wrapRemoteTask";

/** A coordinator's run whose tasks run in this process (a worker): the remote run span's context. */
interface RemoteRun {
  readonly context: Context;
  /** Node span attributes saying which worker made the span. */
  readonly attributes: Attributes;
  /** Tasks of the run in progress here. */
  tasks: number;
}

/** A run in progress here: its span's context (the parent of its node spans) and whether an SDK made it. */
class TracedRun {
  constructor(
    readonly context: Context,
    /** False when no OpenTelemetry SDK made the run span (see `madeByNoSdk`): its node spans are marked, not linked. */
    readonly sdk: boolean,
  ) {}
}

/**
 * Leaves what other adapters (the tracker) link to in an event's shared attributes: the span's
 * ids, or, when no SDK made it, the note `otel_sdk: "none"` (its ids would all be zero).
 */
function shareIds(span: Span, sdk: boolean, attributes: Record<string, unknown>): void {
  const spanContext = span.spanContext();
  if (!sdk || spanContext.traceId === INVALID_TRACEID) {
    attributes[SHARED_OTEL_SDK] = NO_SDK;
    return;
  }
  attributes[SHARED_TRACE_ID] = spanContext.traceId;
  attributes[SHARED_SPAN_ID] = spanContext.spanId;
}

/**
 * A lifecycle adapter that turns every `execute` into an OpenTelemetry trace: one span per run
 * (a child of whatever span is current when `execute` is called) and one per node run (a child
 * of the run span), each made current while its work runs, so spans that a node's code or an
 * instrumentation (OpenLLMetry's OpenAI spans, HTTP clients, …) starts are its children — also
 * when nodes run concurrently and when many executes run at once.
 *
 * It depends on `@opentelemetry/api` only: the app registers an SDK (or Traceloop's
 * `initialize()`), else every span is a no-op.
 *
 * It never breaks the app: its own failures (a tracer provider or SDK that throws) are reported to
 * OpenTelemetry's `diag` logger, the first of each hook also with `console.warn`, and the node or
 * run goes on — called once, its result or error unchanged — with its span missing or incomplete.
 *
 * @example
 * ```ts
 * const dr = new Builder().withModules(dataflow).withAdapters(new OpenTelemetryTracer({ workflowName: "universal-truth" })).build();
 * ```
 */
export class OpenTelemetryTracer implements LifecycleAdapter {
  /** The adapter's name in hamilton-ts error reports. */
  readonly name = "OpenTelemetryTracer";

  readonly #tracer: Tracer;
  readonly #graphSpanName: string | ((event: GraphExecutionEvent) => string);
  readonly #workflowName: string;
  readonly #recordInputs: boolean;
  readonly #recordOutputs: boolean;
  readonly #maxValueLength: number;
  /** The user's serializer; undefined: the default, bounded by maxValueLength as it writes. */
  readonly #serialize: ((value: unknown) => string) | undefined;
  readonly #runAttributes: OpenTelemetryTracerOptions["runAttributes"];
  readonly #nodeSpanAttributes: NodeSpanAttributesCache;
  readonly #workflowSpanAttributes: Attributes;
  /** The context of each run in progress, by run id: the parent of its node spans. */
  readonly #runs = new Map<string, TracedRun>();
  /** Runs of other processes with tasks in progress here (a worker), by run id. */
  readonly #remoteRuns = new Map<string, RemoteRun>();
  /** The tracer's own failures, warned about once per hook. */
  readonly #warnings = new WarnOnce();

  /**
   * @throws TypeError when both `tracer` and `tracerName` are given, or an option has the wrong type.
   */
  constructor(options: OpenTelemetryTracerOptions = {}) {
    checkOptions(options);
    this.#tracer = options.tracer ?? trace.getTracer(options.tracerName ?? DEFAULT_TRACER_NAME, options.tracerVersion);
    this.#graphSpanName = options.graphSpanName ?? DEFAULT_GRAPH_SPAN_NAME;
    this.#workflowName = options.workflowName ?? DEFAULT_WORKFLOW_NAME;
    this.#recordInputs = options.recordInputs === true;
    this.#recordOutputs = options.recordOutputs === true;
    this.#maxValueLength = options.maxValueLength ?? DEFAULT_MAX_VALUE_LENGTH;
    this.#serialize = options.serialize === toJsonAttribute ? undefined : options.serialize;
    this.#runAttributes = options.runAttributes;
    this.#nodeSpanAttributes = new NodeSpanAttributesCache(this.#workflowName);
    this.#workflowSpanAttributes = workflowSpanAttributes(this.#workflowName);
  }

  /** The number of runs in progress (their spans are open). For tests and diagnostics. */
  get activeRuns(): number {
    return this.#runs.size;
  }

  /**
   * A thrown non-Error as a status message: a string as is, anything else as recorded; redacted
   * (a custom serializer's text too), truncated.
   */
  readonly #describeThrown = (value: unknown): string => {
    if (typeof value === "string") return redactAndCut(value, this.#maxValueLength);
    const recorded = this.#record(value);
    return this.#serialize === undefined ? recorded : redactAndCut(recorded, this.#maxValueLength);
  };

  /** A recorded value as an attribute string; never throws (a span must always end). */
  #record(value: unknown): string {
    // The default serializer stops once it has written one character more than is kept.
    if (this.#serialize === undefined)
      return truncate(serializeBounded(value, this.#maxValueLength + 1), this.#maxValueLength);
    let text: string;
    try {
      text = this.#serialize(value);
    } catch (error) {
      text = `[unserializable: serialize threw ${error instanceof Error ? error.message : String(error)}]`;
    }
    return truncate(typeof text === "string" ? text : String(text), this.#maxValueLength);
  }

  /**
   * Runs a whole execute inside its run span. The tracer's own failures (a tracer provider or SDK
   * that throws, a `graphSpanName` or `runAttributes` function that throws) are reported (see
   * {@link OpenTelemetryTracer}) and never change the run: when the span cannot be started the
   * run goes on untraced, and a failure to record the outcome or end the span leaves the run's
   * results or error as they are.
   */
  async wrapGraphExecution(
    event: GraphExecutionEvent,
    next: () => Promise<Record<string, unknown>>,
  ): Promise<Record<string, unknown>> {
    let span: Span | undefined;
    let run: TracedRun;
    try {
      const parent = context.active();
      const name = typeof this.#graphSpanName === "string" ? this.#graphSpanName : this.#graphSpanName(event);
      const extra = this.#runAttributes?.(event);
      span = this.#tracer.startSpan(name, { attributes: { ...runSpanAttributes(event), ...extra } }, parent);
      span.setAttributes(this.#workflowSpanAttributes);
      const sdk = !this.#madeByNoSdk(span, parent);
      shareIds(span, sdk, event.attributes);
      if (this.#recordInputs)
        span.setAttribute(ATTR_TRACELOOP_ENTITY_INPUT, this.#record({ args: [], kwargs: event.inputs }));
      run = new TracedRun(trace.setSpan(parent, span), sdk);
    } catch (error) {
      this.#abandon(span, error, "wrapGraphExecution");
      return next();
    }
    this.#runs.set(event.runId, run);
    let results: Record<string, unknown>;
    try {
      results = await context.with(run.context, next);
    } catch (error) {
      this.#runs.delete(event.runId);
      this.#endFailed(span, undefined, error, "wrapGraphExecution");
      throw error;
    }
    this.#runs.delete(event.runId);
    try {
      if (this.#recordOutputs) span.setAttribute(ATTR_TRACELOOP_ENTITY_OUTPUT, this.#record(results));
      span.end();
    } catch (error) {
      this.#report(error, "wrapGraphExecution");
      endQuietly(span);
    }
    return results;
  }

  /**
   * Distributed runs, coordinator side: the run span's W3C trace context (`traceparent`,
   * `tracestate`), injected with the OpenTelemetry propagation API, for a task executor to ship
   * with each task. Undefined when the run is not traced here, or when no propagator is
   * registered (`NodeTracerProvider.register()` registers one): then a warning says the trace
   * will split.
   */
  exportRunContext(event: RunContextEvent): Record<string, string> | undefined {
    const run = this.#runs.get(event.runId);
    if (run === undefined) return undefined;
    const carrier: Record<string, string> = {};
    propagation.inject(run.context, carrier);
    if (Object.keys(carrier).length === 0) {
      this.#warnings.warn(
        "no-propagator",
        () =>
          "[hamilton-ts] OpenTelemetryTracer: no OpenTelemetry propagator is registered, so the trace context of a run " +
          "cannot travel with its tasks and the workers' spans start traces of their own. Register one " +
          "(NodeTracerProvider.register() does, or propagation.setGlobalPropagator(new W3CTraceContextPropagator())).",
      );
      return undefined;
    }
    return carrier;
  }

  /**
   * Distributed runs, worker side: the task's node spans become children of the coordinator's
   * run span (extracted from the task's run context with the propagation API) and say which
   * worker made them (`hamilton.worker`, `host.name`, `process.pid`).
   */
  async wrapRemoteTask(event: RemoteTaskEvent, next: () => Promise<unknown>): Promise<unknown> {
    let run: RemoteRun | undefined;
    try {
      const carrier = event.runContext;
      if (carrier !== null && typeof carrier === "object") {
        run = this.#remoteRuns.get(event.runId);
        if (run === undefined) {
          const at = event.worker.lastIndexOf(":");
          const pid = Number(event.worker.slice(at + 1));
          run = {
            context: propagation.extract(ROOT_CONTEXT, carrier),
            attributes: {
              [ATTR_WORKER]: event.worker,
              [ATTR_HOST_NAME]: at === -1 ? event.worker : event.worker.slice(0, at),
              ...(Number.isInteger(pid) ? { [ATTR_PROCESS_PID]: pid } : {}),
            },
            tasks: 0,
          };
          this.#remoteRuns.set(event.runId, run);
        }
        run.tasks++;
      }
    } catch (error) {
      this.#report(error, "wrapRemoteTask");
    }
    try {
      return await next();
    } finally {
      if (run !== undefined && --run.tasks === 0) this.#remoteRuns.delete(event.runId);
    }
  }

  /**
   * Runs one node inside its node span, a child of the run span. The span is made current for
   * the node's work and ended when the work settles; a synchronous node stays synchronous (no
   * promise per node: the engine calls this form of the wrap hook).
   *
   * `next()` is called exactly once. The tracer's own failures are reported (see
   * {@link OpenTelemetryTracer}) and never change the node's outcome: when the span cannot be
   * started (or its attributes set) the node runs untraced; when its outcome cannot be recorded
   * the node's value or error is passed on as it is.
   */
  aroundNodeExecution(event: NodeExecutionEvent, next: () => unknown): unknown {
    let span: Span | undefined;
    let nodeContext: Context;
    try {
      const node = event.node;
      const run = this.#runs.get(event.runId);
      let parent: Context;
      let remote: RemoteRun | undefined;
      if (run !== undefined) parent = run.context;
      else {
        remote = this.#remoteRuns.size === 0 ? undefined : this.#remoteRuns.get(event.runId);
        parent = remote?.context ?? context.active();
      }
      const taskId = event.taskId;
      span = this.#tracer.startSpan(taskId === undefined ? node.name : `${node.name} ${taskId}`, undefined, parent);
      // Set after the start, not as start options: the SDK validates start attributes three
      // times, and this way they win over what a Traceloop span processor copies on start.
      span.setAttributes(this.#nodeSpanAttributes.get(node));
      // A run of this process was checked once for an SDK; a node span of another's (a worker) is checked itself.
      shareIds(span, run !== undefined ? run.sdk : !this.#madeByNoSdk(span, parent), event.attributes);
      if (taskId !== undefined) span.setAttribute(ATTR_NODE_TASK_ID, taskId);
      if (remote !== undefined) span.setAttributes(remote.attributes);
      const cached = event.cache;
      if (cached !== undefined) {
        span.setAttribute(ATTR_NODE_CACHE, cached);
        setCacheDetails(span, event);
      }
      if (this.#recordInputs)
        span.setAttribute(ATTR_TRACELOOP_ENTITY_INPUT, this.#record({ args: [], kwargs: event.kwargs }));
      nodeContext = trace.setSpan(parent, span);
    } catch (error) {
      this.#abandon(span, error, "aroundNodeExecution");
      return next();
    }
    let out: unknown;
    try {
      out = context.with(nodeContext, next);
    } catch (error) {
      this.#endFailed(span, event, error, "aroundNodeExecution");
      throw error;
    }
    if (isThenable(out)) {
      return Promise.resolve(out).then(
        (value) => this.#succeed(span, event, value),
        (error: unknown) => {
          this.#endFailed(span, event, error, "aroundNodeExecution");
          throw error;
        },
      );
    }
    return this.#succeed(span, event, out);
  }

  /**
   * The promise form of the node wrapper, for callers that compose wrappers themselves; the
   * engine uses {@link aroundNodeExecution}. Same spans, same outcome.
   */
  wrapNodeExecution(event: NodeExecutionEvent, next: () => Promise<unknown>): Promise<unknown> {
    try {
      return Promise.resolve(this.aroundNodeExecution(event, next));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Records a node's value and ends its span; returns the value, whatever the span does. */
  #succeed(span: Span, event: NodeExecutionEvent, value: unknown): unknown {
    try {
      if (this.#recordOutputs) span.setAttribute(ATTR_TRACELOOP_ENTITY_OUTPUT, this.#record(value));
      endNodeSpan(span, event, this.#maxValueLength);
    } catch (error) {
      this.#report(error, "aroundNodeExecution");
      endQuietly(span);
    }
    return value;
  }

  /**
   * Records a failure on a node span (`event` given) or the run span and ends it; a failure of
   * the span itself is reported, so the caller rethrows the node's or run's own error.
   */
  #endFailed(span: Span, event: NodeExecutionEvent | undefined, error: unknown, hook: TracerHook): void {
    try {
      recordFailure(span, error, this.#describeThrown, this.#maxValueLength);
      if (event === undefined) span.end();
      else endNodeSpan(span, event, this.#maxValueLength);
    } catch (ownError) {
      this.#report(ownError, hook);
      endQuietly(span);
    }
  }

  /**
   * True when no SDK made `span` (see `madeByNoSdk`); the first time, a warning says how to
   * register one (`console.warn` once per tracer, and OpenTelemetry's `diag.warn`).
   */
  #madeByNoSdk(span: Span, parent: Context): boolean {
    if (!madeByNoSdk(span, parent)) return false;
    try {
      if (this.#warnings.warn("no-sdk", () => NO_SDK_WARNING)) diag.warn(NO_SDK_WARNING);
    } catch {
      // A logger that throws must not break the run.
    }
    return true;
  }

  /** A span that could not be started fully: reported, and ended if it was started at all. */
  #abandon(span: Span | undefined, error: unknown, hook: TracerHook): void {
    this.#report(error, hook);
    if (span !== undefined) endQuietly(span);
  }

  /**
   * Reports one of the tracer's own failures: to OpenTelemetry's diagnostic logger (`diag.error`,
   * silent unless the app sets one with `diag.setLogger`), and once per hook as a `console.warn`.
   * Never throws.
   */
  #report(error: unknown, hook: TracerHook): void {
    try {
      diag.error(`@hamilton-ts/opentelemetry: OpenTelemetryTracer failed in ${hook}; the run is unaffected.`, error);
      this.#warnings.warn(
        hook,
        () =>
          `[hamilton-ts] OpenTelemetryTracer failed in ${hook}: ${describeError(error)}. ` +
          `The node or run went on with its result unchanged, its span missing or incomplete; ` +
          `further failures in ${hook} go to OpenTelemetry's diag logger only (diag.setLogger).`,
      );
    } catch {
      // A logger that throws must not break the run either.
    }
  }
}
