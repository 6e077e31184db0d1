/**
 * `POST /v1/traces`, OTLP/HTTP: an `ExportTraceServiceRequest` as protobuf
 * (`application/x-protobuf`) or JSON (`application/json`), decoded to OTLP JSON (ids in hex) and
 * appended to the store's trace file. Answers as the OTLP specification says: 200 with an
 * `ExportTraceServiceResponse` in the request's encoding (with `partialSuccess` when spans were
 * rejected), 400 for a body that cannot be decoded, 415 for another content type.
 */
import protobuf from "protobufjs";
import { ExportTraceServiceResponse, InstrumentationScope, Resource, Span } from "./otlp-schema.js";
import { HttpError } from "./http-error.js";
import { linesOf, type SpanGroup, walkJson, walkProtobuf } from "./otlp-slices.js";

type Json = Record<string, unknown>;

/**
 * A decoded request: OTLP JSON lines for the trace file (each an `ExportTraceServiceRequest` with
 * a slice of the spans), and the number of spans it holds and rejects.
 */
export interface DecodedTraces {
  readonly lines: readonly string[];
  readonly spans: number;
  readonly rejected: number;
  /** Why spans were rejected, for `partialSuccess.errorMessage`. */
  readonly rejectedReason: string | undefined;
}

/** The encodings `POST /v1/traces` takes. */
export type OtlpEncoding = "protobuf" | "json";

/** The encoding of a content type, or a 415. */
export function otlpEncoding(contentType: string | undefined): OtlpEncoding {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/x-protobuf" || type === "application/protobuf") return "protobuf";
  if (type === "application/json") return "json";
  throw new HttpError(
    415,
    `POST /v1/traces: content-type "${type}" is not supported; send application/x-protobuf or application/json.`,
  );
}

/** How one field of a decoded message becomes OTLP JSON. */
interface FieldPlan {
  readonly name: string;
  readonly repeated: boolean;
  readonly convert: (value: unknown) => unknown;
}

const plans = new Map<protobuf.Type, readonly FieldPlan[]>();
const LONG_TYPES = new Set(["int64", "uint64", "sint64", "fixed64", "sfixed64"]);
/** The id fields of spans and links: hex in OTLP JSON; other bytes (`bytesValue`) are base64. */
const HEX_ID_FIELDS = new Set(["traceId", "spanId", "parentSpanId"]);

/** A 64-bit integer as protobufjs decodes it (a `Long`, or a number) as OTLP JSON's decimal string. */
function longString(value: unknown): string {
  if (typeof value === "number") return String(value);
  const { low, high, unsigned } = value as { low: number; high: number; unsigned: boolean };
  // Below 2^53 a number is exact; above, BigInt (Long's own toString divides in a loop).
  if (high >>> 0 < 0x200000 && (unsigned || high >= 0)) return String((high >>> 0) * 4294967296 + (low >>> 0));
  const bits = (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
  return (unsigned ? bits : BigInt.asIntN(64, bits)).toString();
}

function bytesOf(value: unknown): Buffer {
  const bytes = value as Uint8Array;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The fields of a message type in field-number order, each with its conversion (made once per type). */
function planOf(type: protobuf.Type): readonly FieldPlan[] {
  let plan = plans.get(type);
  if (plan === undefined) {
    const list: FieldPlan[] = [];
    plan = list;
    plans.set(type, plan);
    for (const field of [...type.fieldsArray].sort((a, b) => a.id - b.id)) {
      field.resolve();
      const nested = field.resolvedType;
      let convert: (value: unknown) => unknown = (value) => value;
      if (nested instanceof protobuf.Type) convert = (value) => messageToJson(nested, value);
      else if (LONG_TYPES.has(field.type)) convert = longString;
      else if (field.type === "bytes")
        convert = HEX_ID_FIELDS.has(field.name)
          ? (value) => bytesOf(value).toString("hex")
          : (value) => bytesOf(value).toString("base64");
      list.push({ name: field.name, repeated: field.repeated, convert });
    }
  }
  return plan;
}

/**
 * A decoded message as OTLP JSON: what `toObject(message, { longs: String, enums: Number, bytes:
 * String })` gives (the fields present on the wire, lists only when not empty, in field-number
 * order), with span and link ids in hex as OTLP JSON has them — made in one pass, without
 * protobufjs's slow 64-bit-to-decimal conversion and without a detour through base64 for ids.
 */
function messageToJson(type: protobuf.Type, message: unknown): Json {
  const m = message as Json;
  const out: Json = {};
  for (const field of planOf(type)) {
    const value = m[field.name];
    if (field.repeated) {
      if (Array.isArray(value) && value.length > 0) out[field.name] = value.map(field.convert);
    } else if (value !== null && value !== undefined && Object.hasOwn(m, field.name)) {
      out[field.name] = field.convert(value);
    }
  }
  return out;
}

const TRACE_ID = /^[0-9a-f]{32}$/i;
const SPAN_ID = /^[0-9a-f]{16}$/i;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** True for a span this server can store and read back: valid ids, and well-formed fields. */
function isValidSpan(s: unknown): boolean {
  if (!isObject(s)) return false;
  const listOrAbsent = (v: unknown) => v === undefined || v === null || Array.isArray(v);
  return (
    typeof s.traceId === "string" &&
    TRACE_ID.test(s.traceId) &&
    !/^0+$/.test(s.traceId) &&
    typeof s.spanId === "string" &&
    SPAN_ID.test(s.spanId) &&
    (s.parentSpanId === undefined || s.parentSpanId === null || typeof s.parentSpanId === "string") &&
    listOrAbsent(s.events) &&
    listOrAbsent(s.links) &&
    listOrAbsent(s.attributes) &&
    (s.status === undefined || s.status === null || isObject(s.status))
  );
}

const REJECTED_REASON = (rejected: number) =>
  `${rejected} span(s) without a valid traceId (32 hex digits, not all zero) and spanId (16 hex digits), or with events, links or attributes that are not arrays or a status that is not an object`;

/** Runs `decode`, turning what the decoder throws into a 400 that says why. */
function undecodable<T>(encoding: OtlpEncoding, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof HttpError) throw error;
    const message = (error as Error)?.message ?? String(error);
    if (error instanceof RangeError && /call stack/i.test(message))
      throw new HttpError(400, `POST /v1/traces: the export is nested too deeply to decode (${message}).`);
    throw new HttpError(
      400,
      encoding === "protobuf"
        ? `POST /v1/traces: the body is not an OTLP ExportTraceServiceRequest in protobuf (${message}).`
        : `POST /v1/traces: the body is not valid JSON (${message}).`,
    );
  }
}

/**
 * Decodes a request body into trace file lines, in slices that yield to the event loop (see
 * `otlp-slices.ts`), so a large export does not hold up other requests; an undecodable body is a
 * 400 that says why (nothing is written for it).
 */
export async function decodeTraces(body: Buffer, encoding: OtlpEncoding): Promise<DecodedTraces> {
  let groups: SpanGroup[];
  let span: (start: number, end: number) => Json | undefined;
  if (encoding === "protobuf") {
    groups = undecodable(encoding, () =>
      walkProtobuf(body, (what, start, end) => {
        const type = what === "resource" ? Resource : InstrumentationScope;
        return messageToJson(type, type.decode(body.subarray(start, end)));
      }),
    );
    span = (start, end) =>
      undecodable(encoding, () => {
        const json = messageToJson(Span, Span.decode(body.subarray(start, end)));
        return isValidSpan(json) ? json : undefined;
      });
  } else {
    const text = body.toString("utf8");
    groups = undecodable(encoding, () => walkJson(text));
    span = (start, end) =>
      undecodable(encoding, () => {
        const json: unknown = JSON.parse(text.slice(start, end));
        return isValidSpan(json) ? (json as Json) : undefined;
      });
  }
  const { lines, spans, rejected } = await linesOf(groups, span);
  return { lines, spans, rejected, rejectedReason: rejected > 0 ? REJECTED_REASON(rejected) : undefined };
}

/** The success answer, in the request's encoding. */
export function encodeResponse(
  decoded: Pick<DecodedTraces, "rejected" | "rejectedReason">,
  encoding: OtlpEncoding,
): { contentType: string; body: Buffer } {
  const response =
    decoded.rejected > 0
      ? { partialSuccess: { rejectedSpans: String(decoded.rejected), errorMessage: decoded.rejectedReason } }
      : {};
  if (encoding === "json") return { contentType: "application/json", body: Buffer.from(JSON.stringify(response)) };
  const message = ExportTraceServiceResponse.fromObject(response);
  return {
    contentType: "application/x-protobuf",
    body: Buffer.from(ExportTraceServiceResponse.encode(message).finish()),
  };
}
