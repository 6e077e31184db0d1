import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { context, SpanStatusCode, trace } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { fromReadableSpan, renderTraceTree } from "./trace-tree.js";
import type { TreeSpan } from "./trace-tree.js";

const span = (
  spanId: string,
  parentSpanId: string | undefined,
  name: string,
  startMs: number,
  extra: Partial<TreeSpan> = {},
): TreeSpan => ({
  traceId: "t",
  spanId,
  parentSpanId,
  name,
  startMs,
  durationMs: 100,
  attributes: {},
  error: false,
  statusMessage: undefined,
  ...extra,
});

describe("renderTraceTree", () => {
  it("draws run → nodes → LLM calls, siblings in start order, with model and tokens", () => {
    const llm = {
      "gen_ai.request.model": "gpt-4o-mini",
      "gen_ai.response.model": "gpt-4o-mini-2024",
      "gen_ai.usage.input_tokens": 28,
      "gen_ai.usage.output_tokens": 87,
    };
    const lines = renderTraceTree([
      span("c1", "b", "chat gpt-4o-mini", 3, { attributes: llm, durationMs: 98 }),
      span("b", "a", "universalTruth", 2),
      span("a", undefined, "hamilton.run", 0, { durationMs: 1500 }),
      span("x", "a", "llmClient", 1, { durationMs: 0.25 }),
      span("d", "a", "digest", 9),
      span("c2", "d", "chat gpt-4o", 10, { attributes: { "gen_ai.request.model": "gpt-4o" } }),
    ]);
    expect(lines).toEqual([
      "hamilton.run  ·  1.50 s",
      "├─ llmClient  ·  0.3 ms",
      "├─ universalTruth  ·  100 ms",
      "│  └─ chat gpt-4o-mini  ·  98 ms  ·  model gpt-4o-mini-2024  ·  28 in / 87 out tokens",
      "└─ digest  ·  100 ms",
      "   └─ chat gpt-4o  ·  100 ms  ·  model gpt-4o",
    ]);
  });

  it("marks failed spans with their status message", () => {
    expect(renderTraceTree([span("a", undefined, "hamilton.run", 0, { error: true, statusMessage: "boom" })])).toEqual([
      "hamilton.run  ·  100 ms  ·  ✗ boom",
    ]);
  });

  it("shows spans whose parent is missing as roots", () => {
    expect(renderTraceTree([span("b", "gone", "orphan", 0)])).toEqual(["orphan  ·  100 ms"]);
  });
});

describe("fromReadableSpan", () => {
  it("reads ids, parent, times, attributes and error status from an SDK span", () => {
    const memory = new InMemorySpanExporter();
    const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] }).getTracer("t");
    // No context manager is registered here: the parent is passed explicitly.
    const parent = tracer.startSpan("parent");
    const child = tracer.startSpan("child", { attributes: { k: 1 } }, trace.setSpan(context.active(), parent));
    child.setStatus({ code: SpanStatusCode.ERROR, message: "bad" });
    child.end();
    parent.end();
    const [childSpan, parentSpan] = memory.getFinishedSpans().map(fromReadableSpan);
    expect(childSpan).toMatchObject({
      name: "child",
      parentSpanId: parentSpan!.spanId,
      traceId: parentSpan!.traceId,
      attributes: { k: 1 },
      error: true,
      statusMessage: "bad",
    });
    expect(parentSpan).toMatchObject({ name: "parent", parentSpanId: undefined, error: false });
    expect(childSpan!.durationMs).toBeGreaterThanOrEqual(0);
    expect(childSpan!.startMs).toBeGreaterThan(1.7e12);
  });
});
