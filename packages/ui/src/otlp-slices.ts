/**
 * Decodes an OTLP trace export in slices that yield to the event loop, so a large export (tens of
 * MB, hundreds of thousands of spans) never holds up the server's other requests: the body is
 * walked without decoding it whole (the protobuf wire format's field lengths, or a scan of the
 * JSON text), and spans are decoded, checked and written out a slice at a time. The output is
 * OTLP JSON lines for the trace file, each an `ExportTraceServiceRequest` of one resource and
 * scope with a slice of the spans, so lines stay bounded and a trace's spans are read back
 * without reading the whole export.
 */
import { setImmediate as nextTurn } from "node:timers/promises";
import protobuf from "protobufjs";
import { HttpError } from "./http-error.js";

type Json = Record<string, unknown>;

/** Bytes of encoded spans decoded between two turns of the event loop; also the size of a line. */
export const SLICE_BYTES = 256 * 1024;

/** One slice of spans of one resource and scope, in the body's encoding, not yet decoded. */
export interface SpanGroup {
  /** The resource's and scope's fields as OTLP JSON (decoded once per group). */
  readonly resource: Json | undefined;
  readonly resourceSchemaUrl: string | undefined;
  readonly scope: Json | undefined;
  readonly scopeSchemaUrl: string | undefined;
  /** Each span's `[start, end)` in the body. */
  readonly spans: readonly (readonly [number, number])[];
}

/** The characters where a JSON object's or array's nesting can change: quotes and brackets. */
const STRUCTURE = /["{}[\]]/g;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The length-delimited fields of a protobuf message between `start` and `end`: `[field, start, end]`. */
function protobufFields(body: Uint8Array, start: number, end: number): [number, number, number][] {
  const reader = protobuf.Reader.create(body);
  reader.pos = start;
  reader.len = end;
  const out: [number, number, number][] = [];
  while (reader.pos < end) {
    const tag = reader.uint32();
    const wire = tag & 7;
    if (wire === 2) {
      const length = reader.uint32();
      const from = reader.pos;
      if (from + length > end) throw new RangeError(`a field of length ${length} at ${from} runs past its message`);
      out.push([tag >>> 3, from, from + length]);
      reader.pos = from + length;
    } else {
      reader.skipType(wire);
    }
  }
  return out;
}

/**
 * The span groups of a protobuf `ExportTraceServiceRequest`; `decode(type, start, end)` decodes a
 * resource (1) or scope (2) to OTLP JSON.
 */
export function walkProtobuf(
  body: Uint8Array,
  decode: (what: "resource" | "scope", start: number, end: number) => Json,
): SpanGroup[] {
  const groups: SpanGroup[] = [];
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  // A ResourceSpans or ScopeSpans message: its resource or scope (1), its children (2), its schema URL (3).
  const level = (what: "resource" | "scope", start: number, end: number) => {
    let value: Json | undefined;
    let schemaUrl: string | undefined;
    const children: [number, number][] = [];
    for (const [f, s, e] of protobufFields(body, start, end)) {
      if (f === 1) value = decode(what, s, e);
      else if (f === 2) children.push([s, e]);
      else if (f === 3) schemaUrl = bytes.toString("utf8", s, e);
    }
    return { value, schemaUrl, children };
  };
  for (const [field, rsStart, rsEnd] of protobufFields(body, 0, body.length)) {
    if (field !== 1) continue;
    const rs = level("resource", rsStart, rsEnd);
    for (const [ssStart, ssEnd] of rs.children) {
      const ss = level("scope", ssStart, ssEnd);
      groups.push({
        resource: rs.value,
        resourceSchemaUrl: rs.schemaUrl,
        scope: ss.value,
        scopeSchemaUrl: ss.schemaUrl,
        spans: ss.children,
      });
    }
  }
  return groups;
}

/** A scan of JSON text that finds values' extents without building them. */
class JsonScan {
  constructor(readonly text: string) {}

  fail(at: number, what: string): never {
    throw new SyntaxError(`${what} at position ${at}`);
  }

  space(i: number): number {
    const t = this.text;
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else return i;
    }
  }

  /** The index after the string starting at `i` (a `"`). */
  string(i: number): number {
    const t = this.text;
    let j = i + 1;
    for (;;) {
      const q = t.indexOf('"', j);
      if (q === -1) this.fail(i, "Unterminated string");
      let slashes = 0;
      while (t.charCodeAt(q - 1 - slashes) === 0x5c) slashes++;
      if (slashes % 2 === 0) return q + 1;
      j = q + 1;
    }
  }

  /** The index after the value starting at `i` (after spaces). */
  value(i: number): number {
    const t = this.text;
    i = this.space(i);
    const c = t.charCodeAt(i);
    if (c === 0x22) return this.string(i);
    if (c === 0x7b || c === 0x5b) {
      let depth = 0;
      let j = i;
      for (;;) {
        // Jump to the next quote or bracket (a native scan, not a loop over every character).
        STRUCTURE.lastIndex = j;
        const found = STRUCTURE.exec(t);
        if (found === null) this.fail(i, "Unexpected end of JSON input in the value starting");
        j = found.index;
        const d = t.charCodeAt(j);
        if (d === 0x22) {
          j = this.string(j);
          continue;
        }
        if (d === 0x7b || d === 0x5b) depth++;
        else if (d === 0x7d || d === 0x5d) {
          depth--;
          if (depth === 0) return j + 1;
        }
        j++;
      }
    }
    let j = i;
    while (j < t.length && !/[\s,}\]]/.test(t[j]!)) j++;
    if (j === i) this.fail(i, "Unexpected token");
    return j;
  }

  /** Calls `onMember(key, valueStart)` for each member of the object at `i`, which returns the value's end. */
  object(i: number, onMember: (key: string, start: number) => number): number {
    const t = this.text;
    i = this.space(i);
    if (t[i] !== "{") this.fail(i, "Expected an object");
    i = this.space(i + 1);
    if (t[i] === "}") return i + 1;
    for (;;) {
      if (t[i] !== '"') this.fail(i, "Expected a property name");
      const keyEnd = this.string(i);
      const key = JSON.parse(t.slice(i, keyEnd)) as string;
      i = this.space(keyEnd);
      if (t[i] !== ":") this.fail(i, "Expected ':'");
      i = this.space(onMember(key, this.space(i + 1)));
      if (t[i] === ",") i = this.space(i + 1);
      else if (t[i] === "}") return i + 1;
      else this.fail(i, "Expected ',' or '}'");
    }
  }

  /** Calls `onElement(start)` for each element of the array at `i`, which returns the element's end. */
  array(i: number, onElement: (start: number) => number): number {
    const t = this.text;
    i = this.space(i);
    if (t[i] !== "[") this.fail(i, "Expected an array");
    i = this.space(i + 1);
    if (t[i] === "]") return i + 1;
    for (;;) {
      i = this.space(onElement(i));
      if (t[i] === ",") i = this.space(i + 1);
      else if (t[i] === "]") return i + 1;
      else this.fail(i, "Expected ',' or ']'");
    }
  }

  kind(i: number): "object" | "array" | "null" | "other" {
    const c = this.text[this.space(i)];
    return c === "{" ? "object" : c === "[" ? "array" : this.text.startsWith("null", this.space(i)) ? "null" : "other";
  }

  parse(start: number, end: number): unknown {
    return JSON.parse(this.text.slice(start, end));
  }
}

/**
 * The span groups of an OTLP JSON `ExportTraceServiceRequest`, found by a scan of the text: only
 * resources and scopes are parsed here; spans are `[start, end)` extents. A structure that is not
 * OTLP (a list that is not a list) is a 400 that says where; malformed JSON a `SyntaxError`.
 */
export function walkJson(text: string): SpanGroup[] {
  const scan = new JsonScan(text);
  const groups: SpanGroup[] = [];
  const list = (start: number, where: string, onElement: (start: number, index: number) => number): number => {
    const kind = scan.kind(start);
    if (kind === "null") return scan.value(start);
    if (kind !== "array") throw new HttpError(400, `POST /v1/traces: ${where} must be an array.`);
    let index = 0;
    return scan.array(start, (s) => onElement(s, index++));
  };
  const top = scan.space(0);
  if (scan.kind(top) !== "object") {
    scan.value(top);
    throw new HttpError(
      400,
      'POST /v1/traces: expected an OTLP ExportTraceServiceRequest object ({"resourceSpans": [...]}).',
    );
  }
  const end = scan.object(top, (key, start) => {
    if (key !== "resourceSpans") return scan.value(start);
    return list(start, '"resourceSpans"', (rsStart, i) => {
      if (scan.kind(rsStart) !== "object")
        throw new HttpError(400, `POST /v1/traces: resourceSpans[${i}] must be an object.`);
      let resource: Json | undefined;
      let resourceSchemaUrl: string | undefined;
      const scopes: [number, number, number][] = [];
      const rsEnd = scan.object(rsStart, (k, s) => {
        const e = scan.value(s);
        if (k === "resource") {
          const value = scan.parse(s, e);
          resource = isObject(value) ? value : undefined;
        } else if (k === "schemaUrl") {
          const value = scan.parse(s, e);
          resourceSchemaUrl = typeof value === "string" ? value : undefined;
        } else if (k === "scopeSpans") {
          list(s, `resourceSpans[${i}].scopeSpans`, (ssStart, j) => {
            const ssEnd = scan.value(ssStart);
            scopes.push([ssStart, ssEnd, j]);
            return ssEnd;
          });
        }
        return e;
      });
      for (const [ssStart, , j] of scopes) {
        const where = `resourceSpans[${i}].scopeSpans[${j}]`;
        if (scan.kind(ssStart) !== "object") throw new HttpError(400, `POST /v1/traces: ${where} must be an object.`);
        let scope: Json | undefined;
        let scopeSchemaUrl: string | undefined;
        const spans: [number, number][] = [];
        scan.object(ssStart, (k, s) => {
          if (k === "spans")
            return list(s, `${where}.spans`, (spanStart) => {
              const spanEnd = scan.value(spanStart);
              spans.push([spanStart, spanEnd]);
              return spanEnd;
            });
          const e = scan.value(s);
          if (k === "scope") {
            const value = scan.parse(s, e);
            scope = isObject(value) ? value : undefined;
          } else if (k === "schemaUrl") {
            const value = scan.parse(s, e);
            scopeSchemaUrl = typeof value === "string" ? value : undefined;
          }
          return e;
        });
        groups.push({ resource, resourceSchemaUrl, scope, scopeSchemaUrl, spans });
      }
      return rsEnd;
    });
  });
  if (scan.space(end) < text.length) scan.fail(scan.space(end), "Unexpected non-whitespace character after JSON");
  return groups;
}

/**
 * Turns span groups into trace file lines, a slice of about {@link SLICE_BYTES} encoded bytes at a
 * time, yielding to the event loop between slices. `span(start, end)` decodes one span to OTLP
 * JSON, or undefined to reject it.
 */
export async function linesOf(
  groups: readonly SpanGroup[],
  span: (start: number, end: number) => Json | undefined,
  sliceBytes = SLICE_BYTES,
): Promise<{ lines: string[]; spans: number; rejected: number }> {
  const lines: string[] = [];
  let spans = 0;
  let rejected = 0;
  for (const group of groups) {
    let kept: Json[] = [];
    let bytes = 0;
    const flush = () => {
      if (kept.length === 0) return;
      const scopeSpans: Json = {};
      if (group.scope !== undefined) scopeSpans.scope = group.scope;
      scopeSpans.spans = kept;
      if (group.scopeSchemaUrl !== undefined) scopeSpans.schemaUrl = group.scopeSchemaUrl;
      const resourceSpans: Json = {};
      if (group.resource !== undefined) resourceSpans.resource = group.resource;
      resourceSpans.scopeSpans = [scopeSpans];
      if (group.resourceSchemaUrl !== undefined) resourceSpans.schemaUrl = group.resourceSchemaUrl;
      lines.push(JSON.stringify({ resourceSpans: [resourceSpans] }));
      kept = [];
      bytes = 0;
    };
    for (const [start, end] of group.spans) {
      const decoded = span(start, end);
      if (decoded === undefined) rejected++;
      else {
        kept.push(decoded);
        spans++;
      }
      bytes += end - start;
      if (bytes >= sliceBytes) {
        flush();
        await nextTurn();
      }
    }
    flush();
  }
  return { lines, spans, rejected };
}
