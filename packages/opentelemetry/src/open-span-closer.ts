/**
 * `OpenSpanCloser`: a span processor that ends the spans an instrumentation left open under a
 * node's span when that node's span ends (Traceloop's OpenAI instrumentation never ends the span
 * of a failed call, so without this the failed call, its prompt and model, is never exported).
 *
 * It is structural: it implements the SDK's `SpanProcessor` interface without importing the SDK,
 * so the package keeps depending on `@opentelemetry/api` only.
 *
 * @module
 */
import { diag, SpanStatusCode, trace } from "@opentelemetry/api";
import type { Attributes, Context, Span, SpanContext, SpanStatus } from "@opentelemetry/api";
import { WarnOnce } from "@hamilton-ts/lifecycle/internal";
import { ATTR_ERROR_TYPE, ATTR_NODE_NAME } from "./attribute-names.js";

/** Span attribute on a span the closer ended: who ended it (value {@link ENDED_BY_OPEN_SPAN_CLOSER}). */
export const ATTR_SPAN_ENDED_BY = "hamilton.span.ended_by";
/** The value of {@link ATTR_SPAN_ENDED_BY} on a span `OpenSpanCloser` ended. */
export const ENDED_BY_OPEN_SPAN_CLOSER = "OpenSpanCloser";

/** The default of `maxOpenSpans`. */
const DEFAULT_MAX_OPEN_SPANS = 10_000;

/** Options of `new OpenSpanCloser(options)`. */
export interface OpenSpanCloserOptions {
  /**
   * The most spans under node spans tracked while they are open (default 10,000). Spans started
   * beyond it are not tracked (so not ended for you), counted in `untracked`, and warned about
   * once. Spans that end, and the spans the closer ends, are forgotten at once.
   */
  readonly maxOpenSpans?: number;
}

/**
 * What the closer reads of a span that ended: its ids, status and attributes. The SDK's
 * `ReadableSpan` has all of them.
 */
export interface EndedSpan {
  spanContext(): SpanContext;
  readonly status: SpanStatus;
  readonly attributes: Attributes;
}

/** An open span under a node span. */
class Tracked {
  constructor(
    readonly span: Span,
    readonly id: string,
    /** The span id of the node span it is under. */
    readonly nodeId: string,
    /** 1 for a child of the node span, 2 for a grandchild, … */
    readonly depth: number,
  ) {}
}

/** How the node ended, applied to the spans left open under it. */
interface NodeOutcome {
  readonly failed: boolean;
  readonly message: string | undefined;
  readonly errorType: unknown;
}

const byDepthDescending = (a: Tracked, b: Tracked): number => b.depth - a.depth;

/** A node span: one the tracer made (it carries `hamilton.node.name`, set before the node's work starts). */
function isNodeSpan(span: Span): boolean {
  const attributes = (span as Partial<EndedSpan>).attributes;
  return attributes !== undefined && attributes !== null && attributes[ATTR_NODE_NAME] !== undefined;
}

/**
 * A span processor that ends the spans an instrumentation left open under a hamilton-ts node's
 * span, when the node's span ends: deepest first, with status `ERROR` and the node's error as the
 * status message when the node failed (and the node's `error.type` when the span has none),
 * status left unset when it succeeded, and `hamilton.span.ended_by = "OpenSpanCloser"` on each.
 * Traceloop's OpenAI instrumentation never ends the span of a call that failed, so without it
 * the failed call — its prompt, model and parameters — is never exported.
 *
 * A span that ends normally is never touched, and nothing is kept for it once it ended: the
 * closer holds only the spans under node spans that are open now (at most `maxOpenSpans`).
 * Node spans are recognised by the `hamilton.node.name` attribute the `OpenTelemetryTracer` sets.
 *
 * Register it with the tracer provider, before or after the exporting processor:
 *
 * @example
 * ```ts
 * new NodeTracerProvider({ spanProcessors: [new OpenSpanCloser(), new BatchSpanProcessor(exporter)] }).register();
 * // or: new NodeSDK({ spanProcessors: [...] }); or Traceloop: initialize({ processor: new OpenSpanCloser(), ... })
 * ```
 */
export class OpenSpanCloser {
  readonly #maxOpenSpans: number;
  /** Every open span under a node span, by span id. */
  readonly #open = new Map<string, Tracked>();
  /** The open spans under each node span that has any, by the node span's id. */
  readonly #byNode = new Map<string, Set<Tracked>>();
  readonly #warnings = new WarnOnce();
  #untracked = 0;

  /** @throws RangeError when `maxOpenSpans` is not a positive integer. */
  constructor(options: OpenSpanCloserOptions = {}) {
    const max = options.maxOpenSpans;
    if (max !== undefined && !(Number.isInteger(max) && max > 0)) {
      throw new RangeError(
        `new OpenSpanCloser(options): \`maxOpenSpans\` must be a positive integer (spans), got ${String(max)}.`,
      );
    }
    this.#maxOpenSpans = max ?? DEFAULT_MAX_OPEN_SPANS;
  }

  /** The spans under node spans open now, that the closer would end. For tests and diagnostics. */
  get openSpans(): number {
    return this.#open.size;
  }

  /** Spans under node spans not tracked because `maxOpenSpans` were open already. */
  get untracked(): number {
    return this.#untracked;
  }

  /** SpanProcessor: notes a span started under a node span (or under such a span). Never throws. */
  onStart(span: Span, parentContext: Context): void {
    try {
      const parent = trace.getSpan(parentContext);
      if (parent === undefined) return;
      const parentId = parent.spanContext().spanId;
      let nodeId: string;
      let depth: number;
      if (isNodeSpan(parent)) {
        nodeId = parentId;
        depth = 1;
      } else {
        const above = this.#open.get(parentId);
        if (above === undefined) return;
        nodeId = above.nodeId;
        depth = above.depth + 1;
      }
      // A child of a span that has ended (a given-up node's late work) has nothing left to wait for.
      if (!parent.isRecording()) return;
      if (this.#open.size >= this.#maxOpenSpans) {
        this.#untracked++;
        this.#warn();
        return;
      }
      const id = span.spanContext().spanId;
      const tracked = new Tracked(span, id, nodeId, depth);
      this.#open.set(id, tracked);
      let siblings = this.#byNode.get(nodeId);
      if (siblings === undefined) this.#byNode.set(nodeId, (siblings = new Set()));
      siblings.add(tracked);
    } catch (error) {
      diag.error("@hamilton-ts/opentelemetry: OpenSpanCloser failed in onStart; the span is not tracked.", error);
    }
  }

  /**
   * SpanProcessor: forgets a tracked span that ended; when a node span ends, ends the spans still
   * open under it. Never throws.
   */
  onEnd(span: EndedSpan): void {
    if (this.#open.size === 0) return;
    try {
      const id = span.spanContext().spanId;
      const tracked = this.#open.get(id);
      if (tracked !== undefined) this.#forget(tracked);
      if (!this.#byNode.has(id)) return;
      const status = span.status;
      this.#closeUnder(id, {
        failed: status.code === SpanStatusCode.ERROR,
        message: status.message,
        errorType: span.attributes[ATTR_ERROR_TYPE],
      });
    } catch (error) {
      diag.error("@hamilton-ts/opentelemetry: OpenSpanCloser failed in onEnd.", error);
    }
  }

  /** SpanProcessor: nothing is buffered here. */
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  /** SpanProcessor: forgets every tracked span (the provider is going away). */
  shutdown(): Promise<void> {
    this.#open.clear();
    this.#byNode.clear();
    return Promise.resolve();
  }

  /** Ends the spans open under the span `nodeId`, deepest first, each after the spans under it. */
  #closeUnder(nodeId: string, outcome: NodeOutcome): void {
    const under = this.#byNode.get(nodeId);
    if (under === undefined) return;
    this.#byNode.delete(nodeId);
    const spans = [...under].sort(byDepthDescending);
    for (const tracked of spans) this.#open.delete(tracked.id);
    for (const tracked of spans) {
      // A node span under the node (a nested run) ends the spans under it first, with this outcome.
      this.#closeUnder(tracked.id, outcome);
      this.#end(tracked.span, outcome);
    }
  }

  /** Ends one span left open, saying why and how the node ended. */
  #end(span: Span, outcome: NodeOutcome): void {
    try {
      span.setAttribute(ATTR_SPAN_ENDED_BY, ENDED_BY_OPEN_SPAN_CLOSER);
      if (outcome.failed) {
        const own = (span as Partial<EndedSpan>).status;
        // A span that recorded its own error keeps it: it says more than the node's.
        if (own?.code !== SpanStatusCode.ERROR)
          span.setStatus({
            code: SpanStatusCode.ERROR,
            ...(outcome.message !== undefined ? { message: outcome.message } : {}),
          });
        const attributes = (span as Partial<EndedSpan>).attributes;
        if (typeof outcome.errorType === "string" && attributes?.[ATTR_ERROR_TYPE] === undefined)
          span.setAttribute(ATTR_ERROR_TYPE, outcome.errorType);
      }
      span.end();
    } catch (error) {
      diag.error("@hamilton-ts/opentelemetry: OpenSpanCloser could not end a span left open.", error);
    }
  }

  #forget(tracked: Tracked): void {
    this.#open.delete(tracked.id);
    const siblings = this.#byNode.get(tracked.nodeId);
    if (siblings === undefined) return;
    siblings.delete(tracked);
    if (siblings.size === 0) this.#byNode.delete(tracked.nodeId);
  }

  #warn(): void {
    try {
      this.#warnings.warn(
        "max-open-spans",
        () =>
          `[hamilton-ts] OpenSpanCloser: ${this.#maxOpenSpans} spans under node spans are open at once; ` +
          "spans started beyond that are not tracked and will not be ended for you if their instrumentation " +
          "leaves them open (raise maxOpenSpans if that many are expected; `untracked` counts them).",
      );
    } catch {
      // A console that throws must not break the app.
    }
  }
}
