/** A span exporter that appends each span as one JSON line to a file (for spans made in a child process). */
import { appendFileSync } from "node:fs";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";

/** What the tests read back. */
export interface SpanLine {
  readonly name: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly attributes: Record<string, unknown>;
  readonly pid: number;
}

export function toLine(span: ReadableSpan): SpanLine {
  return {
    name: span.name,
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    attributes: { ...span.attributes },
    pid: process.pid,
  };
}

export class FileSpanExporter implements SpanExporter {
  constructor(readonly file: string) {}
  export(spans: ReadableSpan[], done: (result: { code: number }) => void): void {
    appendFileSync(this.file, spans.map((s) => `${JSON.stringify(toLine(s))}\n`).join(""));
    done({ code: 0 }); // ExportResultCode.SUCCESS
  }
  async shutdown(): Promise<void> {}
}
