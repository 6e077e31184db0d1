import { OTLPTraceExporter as HttpExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtoExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { context, trace } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { serve } from "../test/temp.js";

const EXPORTERS = 20;
const BATCHES = 8;
const SPANS = 100;

/** `EXPORTERS` traces of `BATCHES` batches of `SPANS` spans each: exporter i sends trace i. */
function makeBatches(): ReadableSpan[][][] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer("load");
  const out: ReadableSpan[][][] = [];
  for (let e = 0; e < EXPORTERS; e++) {
    memory.reset();
    const root = tracer.startSpan(`run-${e}`);
    const parent = trace.setSpan(context.active(), root);
    for (let i = 0; i < BATCHES * SPANS - 1; i++) {
      tracer
        .startSpan(`node-${i}`, { attributes: { "hamilton.node": `node-${i}`, i, text: "x".repeat(200) } }, parent)
        .end();
    }
    root.end();
    const spans = [...memory.getFinishedSpans()];
    out.push(Array.from({ length: BATCHES }, (_, b) => spans.slice(b * SPANS, (b + 1) * SPANS)));
  }
  return out;
}

/** An export's result, as `@opentelemetry/core` types it (`code` 0 is SUCCESS). */
interface ExportResult {
  readonly code: number;
  readonly error?: Error;
}
const SUCCESS = 0;

const exportOnce = (exporter: HttpExporter | ProtoExporter, spans: ReadableSpan[]) =>
  new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));

describe("OpenTelemetry's OTLP/HTTP exporters, 20 at once", () => {
  for (const [name, Exporter] of [
    ["JSON", HttpExporter],
    ["protobuf", ProtoExporter],
  ] as const) {
    it(`${name}: every export reports success and every span is stored once`, { timeout: 120_000 }, async () => {
      const ui = await serve();
      const batches = makeBatches();
      const results: ExportResult[] = [];
      // Each exporter sends its batches one after another, as a BatchSpanProcessor does; the 20 at once.
      await Promise.all(
        batches.map(async (mine) => {
          // A minute per export, not the default 10 s: the 20 exporters share a busy machine with
          // the server they send to; the test is about acknowledgements, not the exporter's timeout.
          const exporter = new Exporter({ url: `${ui.url}/v1/traces`, timeoutMillis: 60_000 });
          for (const batch of mine) results.push(await exportOnce(exporter, batch));
          await exporter.shutdown();
        }),
      );
      const failures = results.filter((r) => r.code !== SUCCESS);
      expect(
        failures.map((f) => f.error?.message),
        "failed exports",
      ).toEqual([]);
      expect(results).toHaveLength(EXPORTERS * BATCHES);
      for (const mine of batches) {
        const traceId = mine[0]![0]!.spanContext().traceId;
        const res = await fetch(`${ui.url}/api/traces/${traceId}`);
        const body = (await res.json()) as { spans: { spanId: string }[] };
        expect(new Set(body.spans.map((s) => s.spanId)).size, traceId).toBe(BATCHES * SPANS);
      }
    });
  }
});
