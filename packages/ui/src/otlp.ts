/**
 * `POST /v1/traces`, OTLP/HTTP: an `ExportTraceServiceRequest` as protobuf
 * (`application/x-protobuf`) or JSON (`application/json`), decoded to OTLP JSON (ids in hex) and
 * appended to the store's trace file. Answers as the OTLP specification says: 200 with an
 * `ExportTraceServiceResponse` in the request's encoding (with `partialSuccess` when spans were
 * rejected), 400 for a body that cannot be decoded, 415 for another content type.
 */
import { ExportTraceServiceRequest, ExportTraceServiceResponse } from "./otlp-schema.js";
import { HttpError } from "./http-error.js";

type Json = Record<string, unknown>;

/** A decoded request: OTLP JSON, and the number of spans it holds and rejects. */
export interface DecodedTraces {
  readonly request: Json;
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

function hex(value: unknown): unknown {
  return typeof value === "string" ? Buffer.from(value, "base64").toString("hex") : value;
}

/** Ids from base64 (protobufjs's `bytes: String`) to hex, as OTLP JSON has them. */
function idsToHex(request: Json): void {
  for (const rs of (request.resourceSpans as Json[] | undefined) ?? []) {
    for (const ss of (rs.scopeSpans as Json[] | undefined) ?? []) {
      for (const span of (ss.spans as Json[] | undefined) ?? []) {
        span.traceId = hex(span.traceId);
        span.spanId = hex(span.spanId);
        if ("parentSpanId" in span) span.parentSpanId = hex(span.parentSpanId);
        for (const link of (span.links as Json[] | undefined) ?? []) {
          link.traceId = hex(link.traceId);
          link.spanId = hex(link.spanId);
        }
      }
    }
  }
}

const TRACE_ID = /^[0-9a-f]{32}$/i;
const SPAN_ID = /^[0-9a-f]{16}$/i;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A list field that may be left out (or null, as some JSON exporters write it): its items. */
function optionalList(value: unknown, where: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new HttpError(400, `POST /v1/traces: ${where} must be an array.`);
  return value;
}

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

/**
 * Checks the request's structure (a malformed `resourceSpans`/`scopeSpans`/`spans` is a 400 that
 * says where), keeps the valid spans (see {@link isValidSpan}) and counts the others as rejected.
 */
function filterSpans(request: Json): { spans: number; rejected: number } {
  let spans = 0;
  let rejected = 0;
  optionalList(request.resourceSpans, '"resourceSpans"').forEach((rs, i) => {
    if (!isObject(rs)) throw new HttpError(400, `POST /v1/traces: resourceSpans[${i}] must be an object.`);
    optionalList(rs.scopeSpans, `resourceSpans[${i}].scopeSpans`).forEach((ss, j) => {
      const where = `resourceSpans[${i}].scopeSpans[${j}]`;
      if (!isObject(ss)) throw new HttpError(400, `POST /v1/traces: ${where} must be an object.`);
      const list = optionalList(ss.spans, `${where}.spans`);
      const kept = list.filter(isValidSpan);
      rejected += list.length - kept.length;
      spans += kept.length;
      ss.spans = kept;
    });
  });
  return { spans, rejected };
}

/** Decodes a request body; an undecodable one is a 400 that says why. */
export function decodeTraces(body: Buffer, encoding: OtlpEncoding): DecodedTraces {
  let request: Json;
  if (encoding === "protobuf") {
    try {
      const message = ExportTraceServiceRequest.decode(body);
      request = ExportTraceServiceRequest.toObject(message, { longs: String, enums: Number, bytes: String }) as Json;
    } catch (error) {
      throw new HttpError(
        400,
        `POST /v1/traces: the body is not an OTLP ExportTraceServiceRequest in protobuf (${(error as Error).message}).`,
      );
    }
    idsToHex(request);
  } else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString("utf8"));
    } catch (error) {
      throw new HttpError(400, `POST /v1/traces: the body is not valid JSON (${(error as Error).message}).`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new HttpError(
        400,
        'POST /v1/traces: expected an OTLP ExportTraceServiceRequest object ({"resourceSpans": [...]}).',
      );
    }
    request = parsed as Json;
    if (request.resourceSpans !== undefined && !Array.isArray(request.resourceSpans)) {
      throw new HttpError(400, 'POST /v1/traces: "resourceSpans" must be an array.');
    }
  }
  request.resourceSpans ??= [];
  const { spans, rejected } = filterSpans(request);
  return {
    request,
    spans,
    rejected,
    rejectedReason:
      rejected > 0
        ? `${rejected} span(s) without a valid traceId (32 hex digits, not all zero) and spanId (16 hex digits), or with events, links or attributes that are not arrays or a status that is not an object`
        : undefined,
  };
}

/** The success answer, in the request's encoding. */
export function encodeResponse(decoded: DecodedTraces, encoding: OtlpEncoding): { contentType: string; body: Buffer } {
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
