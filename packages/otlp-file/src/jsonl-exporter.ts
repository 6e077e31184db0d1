/**
 * A span exporter that appends OTLP JSON lines to a file: each export call writes one
 * `ExportTraceServiceRequest` as a line, the format of the OpenTelemetry "OTLP File Exporter"
 * specification (`otel-cli`, `otel-desktop-viewer` and collectors' `otlpjsonfile` receiver read it).
 */
import { appendFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { JsonTraceSerializer } from "@opentelemetry/otlp-transformer";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";

type ExportResult = Parameters<SpanExporter["export"]>[1] extends (result: infer R) => void ? R : never;
const SUCCESS = 0 as ExportResult["code"];
const FAILED = 1 as ExportResult["code"];

/** Appends every exported batch of spans to `path` as one OTLP JSON line. */
export class JsonLinesFileExporter implements SpanExporter {
  readonly path: string;
  #pending: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(path: string) {
    this.path = path;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.#stopped) {
      resultCallback({ code: FAILED, error: new Error(`JsonLinesFileExporter for ${this.path} is shut down`) });
      return;
    }
    const line = `${new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans))}\n`;
    // Writes are chained so lines never interleave and forceFlush can wait for all of them.
    this.#pending = this.#pending.then(async () => {
      try {
        await mkdir(dirname(this.path), { recursive: true });
        await appendFile(this.path, line);
        resultCallback({ code: SUCCESS });
      } catch (error) {
        resultCallback({ code: FAILED, error: error instanceof Error ? error : new Error(String(error)) });
      }
    });
  }

  /** Resolves when every line handed to `export` so far is on disk. */
  forceFlush(): Promise<void> {
    return this.#pending;
  }

  async shutdown(): Promise<void> {
    this.#stopped = true;
    await this.#pending;
  }
}
