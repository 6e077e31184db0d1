/** Questions several tests ask of the spans an in-memory exporter holds. */
import type { InMemorySpanExporter, ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { expect } from "vitest";

/** `spans()`: the finished spans; `one(name)`: the one span of that name (fails unless exactly one); `parentName(span)`: its parent's name, `ROOT` for none. */
export function spanQueries(exporter: InMemorySpanExporter) {
  const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
  function one(name: string): ReadableSpan {
    const found = spans().filter((s) => s.name === name);
    expect(found.map((s) => s.name)).toEqual([name]);
    return found[0]!;
  }
  const parentName = (span: ReadableSpan): string =>
    spans().find((s) => s.spanContext().spanId === span.parentSpanContext?.spanId)?.name ?? "ROOT";
  return { spans, one, parentName };
}
