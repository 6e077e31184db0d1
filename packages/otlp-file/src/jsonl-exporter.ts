/**
 * A span exporter that appends OTLP JSON lines to a file: each export call writes one
 * `ExportTraceServiceRequest` as one line, the format of the OpenTelemetry "OTLP File Exporter"
 * specification (`hamilton-ts-ui`, `otel-desktop-viewer` and the collector's `otlpjsonfile`
 * receiver read it).
 */
import { FileLog } from "@hamilton-ts/store";
import { JsonTraceSerializer } from "@opentelemetry/otlp-transformer";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import { OtlpFileError } from "./errors.js";

/** The result an exporter hands to its callback (`ExportResult` of `@opentelemetry/core`). */
export type ExportResult = Parameters<SpanExporter["export"]>[1] extends (result: infer R) => void ? R : never;
const SUCCESS = 0 as ExportResult["code"];
const FAILED = 1 as ExportResult["code"];

/**
 * Appends every exported batch of spans to a file as one OTLP JSON line (ids in hex, times in
 * nanoseconds as strings), creating the file's folder when needed. Lines are written one at a
 * time, in the order of the `export` calls, through `@hamilton-ts/store`'s file log: each line is
 * one `write` on an `O_APPEND` descriptor, so other processes appending to the same file (the UI
 * server, another app) never interleave with it, whatever its size, and it starts on a fresh line
 * even after a torn last line left by a process that died mid-write (readers skip that line).
 *
 * Use it with a span processor, as any exporter:
 *
 * ```ts
 * import { JsonLinesFileExporter } from "@hamilton-ts/otlp-file";
 * import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
 *
 * const provider = new BasicTracerProvider({
 *   spanProcessors: [new BatchSpanProcessor(new JsonLinesFileExporter(".hamilton-ts/traces.jsonl"))],
 * });
 * // ... then `npx hamilton-ts-ui` shows the spans beside the runs of the same store.
 * ```
 *
 * A failed write is reported to the export's callback as `{ code: FAILED, error }` with an
 * {@link OtlpFileError} `WRITE_FAILED` (the span processor logs it through OpenTelemetry's
 * diagnostics); later exports are still attempted.
 */
export class JsonLinesFileExporter implements SpanExporter {
  /** The file lines are appended to. */
  readonly path: string;
  readonly #log: FileLog;
  #pending: Promise<void> = Promise.resolve();
  #stopped = false;

  /**
   * @param path The file to append to (relative to the working directory, or absolute); it and
   * its folder are created on the first export. `.hamilton-ts/traces.jsonl` is where
   * `hamilton-ts-ui` looks for the traces of the store `.hamilton-ts`.
   * @throws OtlpFileError `INVALID_OPTION` when `path` is not a non-empty string.
   */
  constructor(path: string) {
    if (typeof path !== "string" || path.length === 0) {
      throw new OtlpFileError(
        "INVALID_OPTION",
        `JsonLinesFileExporter: the file path is ${JSON.stringify(path)}; expected a non-empty string such as ".hamilton-ts/traces.jsonl".`,
      );
    }
    this.path = path;
    this.#log = new FileLog(path, { createDir: true });
  }

  /** Appends `spans` as one line; calls `resultCallback` once the line is written (or failed). */
  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.#stopped) {
      resultCallback({
        code: FAILED,
        error: new OtlpFileError(
          "SHUT_DOWN",
          `JsonLinesFileExporter for ${this.path} is shut down; spans are not written.`,
        ),
      });
      return;
    }
    const line = new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans));
    // The log writes its lines one after the other, in call order, so callbacks come in that order.
    const done = this.#log.append([line]).then(
      () => resultCallback({ code: SUCCESS }),
      (error: unknown) =>
        resultCallback({
          code: FAILED,
          error: new OtlpFileError(
            "WRITE_FAILED",
            `JsonLinesFileExporter: cannot append to ${this.path} (${error instanceof Error ? error.message : String(error)}).`,
            { cause: error },
          ),
        }),
    );
    this.#pending = this.#pending.then(() => done);
  }

  /** Resolves when every line handed to `export` so far is written (or failed). */
  forceFlush(): Promise<void> {
    return this.#pending;
  }

  /** Refuses further exports (they fail with `SHUT_DOWN`) and resolves once pending lines are written. */
  async shutdown(): Promise<void> {
    this.#stopped = true;
    await this.#pending;
  }
}
