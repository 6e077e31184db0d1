/**
 * An index of the store's trace file that holds no spans: for each trace id, the byte ranges of
 * the lines that hold its spans. It is built from what was appended since it last looked, a slice
 * at a time with a turn of the event loop between slices (so a large file indexes in the
 * background while the server answers), and a trace's spans are read from those lines when asked.
 * Memory grows with the number of (trace, line) pairs, not with the spans' size: the trace file's
 * writers put up to a few hundred spans on a line.
 */
import { open, stat } from "node:fs/promises";
import { setImmediate as nextTurn } from "node:timers/promises";
import { readAppended } from "@hamilton-ts/store";
import { isReadableSpan, type SpanView, spansOf } from "./traces.js";

type Json = Record<string, unknown>;

/** Bytes of the trace file read and indexed between two turns of the event loop. */
const SLICE_BYTES = 1024 * 1024;

/** What {@link TraceIndex.status} reports. */
export interface TraceIndexStatus {
  /** Trace ids indexed. */
  readonly traces: number;
  /** Lines that are not OTLP JSON, a torn last line included. */
  readonly skippedLines: number;
  /** Spans of readable lines without string ids (skipped by the reader too). */
  readonly skippedSpans: number;
}

/** The trace ids of one OTLP JSON request's spans (lower case), and how many spans have no string ids. */
function traceIdsOf(request: unknown): { ids: Set<string>; skipped: number } {
  const ids = new Set<string>();
  let skipped = 0;
  const resourceSpans = (request as Json | null)?.resourceSpans;
  if (!Array.isArray(resourceSpans)) return { ids, skipped };
  for (const rs of resourceSpans as (Json | null)[]) {
    const scopes = rs?.scopeSpans;
    if (!Array.isArray(scopes)) continue;
    for (const ss of scopes as (Json | null)[]) {
      const spans = ss?.spans;
      if (!Array.isArray(spans)) continue;
      for (const span of spans as (Json | null)[]) {
        if (isReadableSpan(span)) ids.add(span.traceId.toLowerCase());
        else skipped++;
      }
    }
  }
  return { ids, skipped };
}

/** The trace index of one trace file; see the module's description. */
export class TraceIndex {
  /** The trace file. */
  readonly path: string;
  /** Trace id → the lines holding its spans, as flat `[offset, length, offset, length, ...]`. */
  #traces = new Map<string, number[]>();
  #offset = 0;
  #ino = -1;
  #tail = false;
  #skippedLines = 0;
  #skippedSpans = 0;
  #refreshing: Promise<boolean> | undefined;

  constructor(path: string) {
    this.path = path;
  }

  /**
   * Indexes what was appended to the file since the last refresh, in slices; reads the file again
   * from its start when it was replaced or cut. Resolves true when something changed. Calls made
   * while one runs share it.
   */
  refresh(): Promise<boolean> {
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #refresh(): Promise<boolean> {
    let ino: number;
    let size: number;
    try {
      ({ ino, size } = await stat(this.path));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      const had = this.#offset > 0 || this.#traces.size > 0 || this.#tail;
      this.#reset(-1);
      return had;
    }
    let changed = false;
    if (ino !== this.#ino || size < this.#offset) {
      changed = this.#offset > 0 || this.#traces.size > 0;
      this.#reset(ino);
    }
    for (;;) {
      const appended = await readAppended(this.path, this.#offset, { maxBytes: SLICE_BYTES });
      if (appended.size < this.#offset) {
        // Cut while being read: start again next time.
        this.#reset(-1);
        return true;
      }
      for (let i = 0; i < appended.lines.length; i++) {
        this.#indexLine(appended.lines[i]!, appended.offsets[i]!, appended.lengths[i]!);
      }
      changed ||= appended.nextOffset !== this.#offset || appended.tail !== this.#tail;
      this.#offset = appended.nextOffset;
      this.#tail = appended.tail;
      if (!appended.more) return changed;
      await nextTurn();
    }
  }

  #reset(ino: number): void {
    this.#traces = new Map();
    this.#offset = 0;
    this.#ino = ino;
    this.#tail = false;
    this.#skippedLines = 0;
    this.#skippedSpans = 0;
  }

  #indexLine(line: string, offset: number, length: number): void {
    let request: unknown;
    try {
      request = JSON.parse(line);
    } catch {
      this.#skippedLines++;
      return;
    }
    if (!Array.isArray((request as Json | null)?.resourceSpans)) {
      this.#skippedLines++;
      return;
    }
    const { ids, skipped } = traceIdsOf(request);
    this.#skippedSpans += skipped;
    for (const id of ids) {
      let ranges = this.#traces.get(id);
      if (ranges === undefined) this.#traces.set(id, (ranges = []));
      ranges.push(offset, length);
    }
  }

  /** The spans of one trace (lower-case hex id), each span id once (the first), in file order. */
  async trace(traceId: string): Promise<SpanView[]> {
    const ranges = this.#traces.get(traceId.toLowerCase());
    if (ranges === undefined) return [];
    const spans = new Map<string, SpanView>();
    const file = await open(this.path, "r");
    try {
      for (let i = 0; i < ranges.length; i += 2) {
        const buffer = Buffer.allocUnsafe(ranges[i + 1]!);
        const { bytesRead } = await file.read(buffer, 0, buffer.length, ranges[i]!);
        let request: unknown;
        try {
          request = JSON.parse(buffer.toString("utf8", 0, bytesRead));
        } catch {
          // The file changed under the index (replaced, rewritten): the next refresh reads it again.
          continue;
        }
        for (const span of spansOf(request)) {
          if (span.traceId === traceId && !spans.has(span.spanId)) spans.set(span.spanId, span);
        }
      }
    } finally {
      await file.close();
    }
    return [...spans.values()];
  }

  /** How much is indexed, and what was skipped. */
  status(): TraceIndexStatus {
    return {
      traces: this.#traces.size,
      skippedLines: this.#skippedLines + (this.#tail ? 1 : 0),
      skippedSpans: this.#skippedSpans,
    };
  }
}
