/**
 * OpenTelemetry for the demo. Traceloop's SDK owns the global tracer provider and instruments the
 * `openai` client; the destination of the spans is chosen by the configuration: Traceloop, an
 * OTLP/HTTP endpoint, or (the default) OTLP JSON lines in a local file. Every mode also keeps the
 * spans in memory, to print the trace as a tree, and registers `OpenSpanCloser`, so the span of a
 * failed OpenAI call (which the instrumentation never ends) is ended with its node and exported.
 */
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { Context } from "@opentelemetry/api";
import { OpenSpanCloser } from "@hamilton-ts/opentelemetry";
import * as traceloop from "@traceloop/node-server-sdk";
import { OpenAI } from "openai";
import type { TraceDestination } from "./config.js";
import { JsonLinesFileExporter } from "@hamilton-ts/otlp-file";
import { fromReadableSpan } from "./trace-tree.js";
import type { TreeSpan } from "./trace-tree.js";

type InitializeOptions = NonNullable<Parameters<typeof traceloop.initialize>[0]>;
type InstrumentModules = NonNullable<InitializeOptions["instrumentModules"]>;

/** The demo's OpenTelemetry setup, once started. */
export interface Telemetry {
  /** One line saying where spans go. */
  readonly description: string;
  /** Every span that ended so far, in this process, in end order. */
  spans(): TreeSpan[];
  /**
   * Exports every ended span to the destination and waits until it is written or sent. Never
   * rejects: resolves with the export's error message (e.g. an unreachable endpoint), if any.
   */
  flush(): Promise<string | undefined>;
}

/**
 * Traceloop's `processor` option takes one extra processor: this one forwards every call to each
 * of its processors, in order.
 */
class EachProcessor implements SpanProcessor {
  readonly #processors: readonly SpanProcessor[];
  constructor(...processors: SpanProcessor[]) {
    this.#processors = processors;
  }
  onStart(span: Span, parentContext: Context): void {
    for (const processor of this.#processors) processor.onStart(span, parentContext);
  }
  onEnd(span: ReadableSpan): void {
    for (const processor of this.#processors) processor.onEnd(span);
  }
  async forceFlush(): Promise<void> {
    await Promise.all(this.#processors.map((processor) => processor.forceFlush()));
  }
  async shutdown(): Promise<void> {
    await Promise.all(this.#processors.map((processor) => processor.shutdown()));
  }
}

/** The service name the spans carry (`service.name`). */
export const SERVICE_NAME = "hamilton-ts-demo";

/**
 * Starts Traceloop with the destination's exporter. Call it before anything creates a tracer or
 * registers a provider: the first registration wins. Only one call per process makes sense
 * (Traceloop's `initialize` ignores later calls).
 */
export function startTelemetry(destination: TraceDestination): Telemetry {
  const memory = new InMemorySpanExporter();
  const base: InitializeOptions = {
    appName: SERVICE_NAME,
    silenceInitializationMessage: true,
    // Explicit instrumentation works for ESM and whatever the import order. The cast bridges
    // Traceloop's CommonJS view of openai's types and this ESM one (the same class at runtime).
    instrumentModules: { openAI: OpenAI } as unknown as InstrumentModules,
    // The extra processor: OpenSpanCloser ends the spans an instrumentation left open under a node
    // when the node ends (the OpenAI span of a failed call: DEMO_FAIL_LLM), so they are exported
    // too; and every span is kept in memory for the tree (Simple exports each span as it ends, so
    // nothing is left to flush there).
    processor: new EachProcessor(new OpenSpanCloser(), new SimpleSpanProcessor(memory)),
  };

  let description: string;
  let flushExporter: (() => Promise<void>) | undefined;
  if (destination.kind === "traceloop") {
    traceloop.initialize({ ...base, apiKey: destination.apiKey, baseUrl: destination.baseUrl });
    description = `Traceloop at ${destination.baseUrl}`;
  } else {
    let exporter: SpanExporter;
    if (destination.kind === "otlp") {
      // OTLP/HTTP with JSON bodies; OTEL_EXPORTER_OTLP_HEADERS (e.g. an API key) still applies.
      exporter = new OTLPTraceExporter({ url: destination.tracesUrl });
      description = `OTLP/HTTP (JSON) to ${destination.tracesUrl}`;
    } else {
      const file = new JsonLinesFileExporter(destination.path);
      exporter = file;
      flushExporter = () => file.forceFlush();
      description = `OTLP JSON lines in ${destination.path}`;
    }
    traceloop.initialize({
      ...base,
      exporter,
      // No Traceloop account here: without this, a prompt-registry fetch to api.traceloop.com
      // fails offline and its unhandled rejection ends the process.
      traceloopSyncEnabled: false,
    });
  }

  return {
    description,
    spans: () => memory.getFinishedSpans().map(fromReadableSpan),
    async flush() {
      try {
        await traceloop.forceFlush();
        await flushExporter?.();
        return undefined;
      } catch (error) {
        return error instanceof Error ? error.message : String(error);
      }
    },
  };
}
