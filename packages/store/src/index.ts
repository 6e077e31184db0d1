/**
 * @packageDocumentation
 * `@hamilton-ts/store`: the hamilton-ts local store's file log. Every writer of the store (the
 * tracker's `FileSink`, the OTLP JSON-lines exporter, the UI server) appends through it, so records
 * appended by several processes at once never interleave, a torn last line costs only itself, and
 * readers take what was appended since they last looked.
 */
export { appendLines, FileLog, fileErrorCode, MAX_WRITE_BYTES } from "./file-log.js";
export type { AppendOptions, AppendResult } from "./file-log.js";
export { readAppended, readAppendedSync } from "./read-appended.js";
export type { AppendedLines, ReadAppendedOptions } from "./read-appended.js";
export { StoreError } from "./errors.js";
export type { StoreErrorCode } from "./errors.js";
