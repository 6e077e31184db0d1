/**
 * The OpenTelemetry SDK the tracer variants report to: a `NodeTracerProvider` (registered, so
 * `context.with` has its AsyncLocalStorage context manager) with a `BatchSpanProcessor` in front
 * of an `InMemorySpanExporter` — an exporter that costs next to nothing, so the figures are the
 * tracer's and the SDK's, not a network's.
 */
import type { Tracer } from "@opentelemetry/api";
import { BatchSpanProcessor, InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";

/** The provider, its exporter and a tracer; one per process. */
export interface OtelSetup {
  readonly tracer: Tracer;
  /**
   * Exports what the batch processor still holds. Part of every timed run that makes spans: a
   * run that never yields leaves most of its spans to this export, one that awaits exports
   * batches as it goes, so only "run + forceFlush" compares them fairly.
   */
  forceFlush(): Promise<void>;
  /** Checks that the exporter got `expectedSpans` spans and empties it (after the timing). */
  check(expectedSpans: number): Promise<void>;
  shutdown(): Promise<void>;
}

let setup: OtelSetup | undefined;

/** Creates (once) and returns the process's OpenTelemetry setup. */
export function otel(): OtelSetup {
  if (setup !== undefined) return setup;
  const exporter = new InMemorySpanExporter();
  // The default queue (2,048 spans) drops spans when a run ends more spans than that before the
  // processor gets a turn to export — dropped spans are cheaper and would flatter the figures.
  // A queue that holds a whole 100k-node run means every span is really processed.
  const processor = new BatchSpanProcessor(exporter, { maxQueueSize: 1 << 20, maxExportBatchSize: 512 });
  const provider = new NodeTracerProvider({ spanProcessors: [processor] });
  provider.register();
  const tracer = provider.getTracer("hamilton-ts-bench");
  setup = {
    tracer,
    forceFlush: () => provider.forceFlush(),
    async check(expectedSpans) {
      const got = exporter.getFinishedSpans().length;
      exporter.reset();
      if (got !== expectedSpans) {
        throw new Error(
          `OpenTelemetry exported ${got} spans, expected ${expectedSpans}: spans were dropped or missing.`,
        );
      }
    },
    shutdown: () => provider.shutdown(),
  };
  return setup;
}
