/**
 * @packageDocumentation
 * `@hamilton-ts/otlp-file`: an OpenTelemetry span exporter that appends OTLP JSON lines to a file
 * (the OTLP File Exporter format), so an app writes its traces to disk with no collector or server
 * running, where `hamilton-ts-ui` (and any OTLP JSON-lines reader) reads them.
 */
export { JsonLinesFileExporter } from "./jsonl-exporter.js";
export type { ExportResult } from "./jsonl-exporter.js";
export { OtlpFileError } from "./errors.js";
export type { OtlpFileErrorCode } from "./errors.js";
