/**
 * Telling that no OpenTelemetry SDK made a span: without one, `@opentelemetry/api` hands out
 * non-recording spans whose ids are all zero (or their parent's), which nothing exports and no
 * other adapter can link to. The tracer checks each run's span, warns once, and marks the events.
 *
 * @module
 */
import { type Context, INVALID_SPANID, INVALID_TRACEID, type Span, trace } from "@opentelemetry/api";

/**
 * The key, in a node or run event's shared `attributes`, of the tracer's note that no
 * OpenTelemetry SDK recorded the span (value {@link NO_SDK}); absent when one did.
 */
export const SHARED_OTEL_SDK = "otel_sdk";

/** The value of {@link SHARED_OTEL_SDK} when no SDK is registered. */
export const NO_SDK = "none";

/**
 * True when `span`, started under `parent`, was made by no SDK: the API's no-op tracer gives a
 * non-recording span with an invalid span context, or with its parent's own (the same span id).
 * A span an SDK sampled out is non-recording too, but has ids of its own: false. Never throws.
 */
export function madeByNoSdk(span: Span, parent: Context): boolean {
  try {
    if (span.isRecording()) return false;
    const own = span.spanContext();
    if (own.traceId === INVALID_TRACEID || own.spanId === INVALID_SPANID) return true;
    return trace.getSpanContext(parent)?.spanId === own.spanId;
  } catch {
    return false;
  }
}

/** The warning, once per tracer, when a run's span was made by no SDK. */
export const NO_SDK_WARNING =
  "[hamilton-ts] OpenTelemetryTracer: no OpenTelemetry SDK is registered in this process, so its spans " +
  'record nothing and go nowhere (their ids are all zero); node events are marked otel_sdk: "none". ' +
  "Register one before running: new NodeTracerProvider({ spanProcessors: [...] }).register() " +
  "(@opentelemetry/sdk-trace-node), new NodeSDK({ ... }).start() (@opentelemetry/sdk-node), or " +
  "Traceloop's initialize({ ... }) (@traceloop/node-server-sdk); or pass the tracer option a " +
  "provider's tracer. See @hamilton-ts/opentelemetry's README (Setup).";
