/**
 * The store's OTLP JSON-lines trace file (`<store>/traces.jsonl`): each line one
 * `ExportTraceServiceRequest` in OTLP JSON (ids in hex), as the OpenTelemetry "OTLP File Exporter"
 * specification writes them. The demo's exporter writes it, and the server appends what arrives at
 * `POST /v1/traces` to it, so one reader serves both.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { FileLog } from "@hamilton-ts/store";

/** The name of the trace file in the store's directory. */
export const TRACES_FILE = "traces.jsonl";

/** The path of a store's trace file. */
export function tracesFile(dir: string): string {
  return join(dir, TRACES_FILE);
}

/** One span as the read API gives it (times in ms since the epoch). */
export interface SpanView {
  readonly traceId: string;
  readonly spanId: string;
  /** The parent's span id, or undefined for a root span. */
  readonly parentSpanId: string | undefined;
  readonly name: string;
  /** The OTLP span kind number (1 internal, 2 server, 3 client, 4 producer, 5 consumer; 0 unspecified). */
  readonly kind: number;
  readonly startTime: number;
  readonly endTime: number;
  readonly durationMs: number;
  /** `code`: 0 unset, 1 ok, 2 error; `message` when one was set. */
  readonly status: { readonly code: number; readonly message: string | undefined };
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly events: readonly {
    readonly name: string;
    readonly time: number;
    readonly attributes: Readonly<Record<string, unknown>>;
  }[];
  /** The attributes of the resource that reported the span (`service.name`, ...). */
  readonly resource: Readonly<Record<string, unknown>>;
}

/** What reading the trace file found. */
export interface TraceFileContents {
  readonly spans: readonly SpanView[];
  /** Lines that were not OTLP JSON and were skipped (a torn last line, a foreign line). */
  readonly skippedLines: number;
  /** Spans of readable lines that were skipped: without string ids, or with a malformed field. */
  readonly skippedSpans: number;
}

type Json = Record<string, unknown>;

/** An OTLP JSON `AnyValue` as a plain value. */
export function anyValue(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Json;
  if ("stringValue" in v) return v.stringValue;
  if ("boolValue" in v) return v.boolValue;
  if ("intValue" in v) {
    const n = Number(v.intValue);
    return Number.isSafeInteger(n) ? n : String(v.intValue);
  }
  if ("doubleValue" in v) return Number(v.doubleValue);
  if ("arrayValue" in v) {
    const values = (v.arrayValue as Json | null)?.values;
    return Array.isArray(values) ? values.map(anyValue) : [];
  }
  if ("kvlistValue" in v) return keyValues((v.kvlistValue as Json | null)?.values);
  if ("bytesValue" in v) return v.bytesValue;
  return undefined;
}

/** An OTLP JSON `KeyValue` list as a record. */
export function keyValues(list: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!Array.isArray(list)) return out;
  for (const item of list) {
    const key = (item as Json | null)?.key;
    if (typeof key === "string") out[key] = anyValue((item as Json).value);
  }
  return out;
}

function nanosToMs(value: unknown): number {
  if (typeof value === "number") return value / 1e6;
  if (typeof value === "string" && /^\d+$/.test(value)) {
    // Whole milliseconds from the integer part; sub-millisecond digits as a fraction.
    const ms = value.length > 6 ? Number(value.slice(0, -6)) : 0;
    const rest = value.length > 6 ? value.slice(-6) : value.padStart(6, "0");
    return ms + Number(rest) / 1e6;
  }
  return 0;
}

/** The items of a list field, or none when it is missing or not a list. */
function list(value: unknown): Json[] {
  return Array.isArray(value) ? (value as Json[]) : [];
}

/**
 * Whether an OTLP JSON span can be read (string ids, `events` a list when present); the reader and
 * the trace index skip and count the others alike.
 */
export function isReadableSpan(span: Json | null | undefined): span is Json & { traceId: string; spanId: string } {
  return (
    typeof span?.traceId === "string" &&
    typeof span.spanId === "string" &&
    (span.events === undefined || span.events === null || Array.isArray(span.events))
  );
}

/**
 * The spans of one OTLP JSON `ExportTraceServiceRequest`. A span without string ids, or whose
 * `events` is there but not a list, is skipped and counted in `skipped`.
 */
export function spansOf(request: unknown): SpanView[] & { skipped: number } {
  const out = Object.assign([] as SpanView[], { skipped: 0 });
  const resourceSpans = (request as Json | null)?.resourceSpans;
  if (!Array.isArray(resourceSpans)) return out;
  for (const rs of resourceSpans as (Json | null)[]) {
    const resource = keyValues((rs?.resource as Json | undefined)?.attributes);
    for (const ss of list(rs?.scopeSpans)) {
      for (const span of list(ss?.spans)) {
        if (!isReadableSpan(span)) {
          out.skipped++;
          continue;
        }
        const startTime = nanosToMs(span.startTimeUnixNano);
        const endTime = nanosToMs(span.endTimeUnixNano);
        const status = typeof span.status === "object" && span.status !== null ? (span.status as Json) : {};
        const parent =
          typeof span.parentSpanId === "string" && span.parentSpanId.length > 0 ? span.parentSpanId : undefined;
        out.push({
          traceId: span.traceId.toLowerCase(),
          spanId: span.spanId.toLowerCase(),
          parentSpanId: parent?.toLowerCase(),
          name: typeof span.name === "string" ? span.name : "",
          kind: typeof span.kind === "number" ? span.kind : 0,
          startTime,
          endTime,
          durationMs: Math.max(0, endTime - startTime),
          status: {
            code: typeof status.code === "number" ? status.code : 0,
            message: typeof status.message === "string" && status.message.length > 0 ? status.message : undefined,
          },
          attributes: keyValues(span.attributes),
          events: list(span.events).map((event) => ({
            name: typeof event?.name === "string" ? event.name : "",
            time: nanosToMs(event?.timeUnixNano),
            attributes: keyValues(event?.attributes),
          })),
          resource,
        });
      }
    }
  }
  return out;
}

/**
 * Reads the spans of trace file lines (OTLP JSON requests, one per line; empty lines ignored),
 * handing each to `onSpan`; counts lines that are not OTLP JSON and spans that were skipped.
 */
export function readTraceLines(
  text: string,
  onSpan: (span: SpanView) => void,
): { skippedLines: number; skippedSpans: number } {
  let skippedLines = 0;
  let skippedSpans = 0;
  for (const line of text.split("\n")) {
    if (line.length === 0) continue;
    let request: unknown;
    try {
      request = JSON.parse(line);
    } catch {
      skippedLines++;
      continue;
    }
    if (!Array.isArray((request as Json | null)?.resourceSpans)) {
      skippedLines++;
      continue;
    }
    const found = spansOf(request);
    for (const span of found) onSpan(span);
    skippedSpans += found.skipped;
  }
  return { skippedLines, skippedSpans };
}

/** Reads every span of a trace file; a missing file reads as empty. */
export async function readTraceFile(path: string): Promise<TraceFileContents> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { spans: [], skippedLines: 0, skippedSpans: 0 };
    throw error;
  }
  const spans: SpanView[] = [];
  const skipped = readTraceLines(text, (span) => spans.push(span));
  return { spans, ...skipped };
}

/**
 * Appends OTLP JSON requests to a trace file through the store's file log: each batch of lines is
 * one `write` on an `O_APPEND` descriptor, so an app's `JsonLinesFileExporter` appending to the
 * same file at once never interleaves with it, and a batch starts on a fresh line after a torn
 * last line. Batches of this process are written in call order; the store's directory is made
 * when missing (on the first write, and again if it was deleted meanwhile).
 */
export class TraceFileWriter {
  /** The trace file. */
  readonly path: string;
  readonly #log: FileLog;

  constructor(path: string) {
    this.path = path;
    this.#log = new FileLog(path, { createDir: true });
  }

  /** Appends lines (each one OTLP JSON request, without its newline); resolves once they are written. */
  async appendLines(lines: readonly string[]): Promise<void> {
    await this.#log.append(lines);
  }

  /** Appends one request as a line; resolves once it is written. */
  append(request: unknown): Promise<void> {
    return this.appendLines([JSON.stringify(request)]);
  }

  /** Resolves once every line handed to {@link appendLines} so far is written (or failed). */
  idle(): Promise<void> {
    return this.#log.idle();
  }
}
