/**
 * @packageDocumentation
 * `OpenTelemetryTracer`: every hamilton-ts run as an OpenTelemetry trace — a run span, a span per
 * node made current while the node runs — so LLM calls instrumented by OpenLLMetry nest under
 * the node that made them. Depends on `@opentelemetry/api` only (a peer dependency).
 */
export { OpenTelemetryTracer } from "./tracer.js";
export type { OpenTelemetryTracerOptions } from "./options.js";
export { toJsonAttribute } from "./serialize.js";
/**
 * `OpenSpanCloser`, a span processor to register with your tracer provider: when a node's span
 * ends, it ends the spans an instrumentation left open under it (Traceloop's OpenAI span of a
 * failed call), so they are exported — status ERROR with the node's error when the node failed —
 * marked `hamilton.span.ended_by = "OpenSpanCloser"` (`ATTR_SPAN_ENDED_BY`, `ENDED_BY_OPEN_SPAN_CLOSER`).
 */
export { ATTR_SPAN_ENDED_BY, ENDED_BY_OPEN_SPAN_CLOSER, OpenSpanCloser } from "./open-span-closer.js";
export type { EndedSpan, OpenSpanCloserOptions } from "./open-span-closer.js";
/**
 * `"otel_sdk"`: the key under which the tracer notes, in a node or run event's shared
 * `attributes`, that no OpenTelemetry SDK recorded its span (value `"none"`; then no
 * `trace_id`/`span_id` are left). Absent when an SDK made the span.
 */
export { SHARED_OTEL_SDK } from "./no-sdk.js";
export {
  ATTR_CODE_FUNCTION_NAME,
  ATTR_ERROR_TYPE,
  ATTR_EXECUTION_PATH,
  ATTR_FINAL_VARS,
  ATTR_GRAPH_VERSION,
  ATTR_INPUTS,
  ATTR_NODE_ATTEMPT,
  ATTR_NODE_CACHE,
  ATTR_NODE_CACHE_FROM_RUN,
  ATTR_NODE_CACHE_KEY,
  ATTR_NODE_CACHE_MISS_DETAIL,
  ATTR_NODE_CACHE_MISS_REASON,
  ATTR_NODE_DEPENDENCIES,
  ATTR_NODE_NAME,
  ATTR_NODE_TAGS_PREFIX,
  ATTR_NODE_TASK_ID,
  ATTR_NODE_VERSION,
  ATTR_OVERRIDES,
  ATTR_RUN_ID,
  ATTR_TRACELOOP_ENTITY_INPUT,
  ATTR_TRACELOOP_ENTITY_NAME,
  ATTR_TRACELOOP_ENTITY_OUTPUT,
  ATTR_TRACELOOP_SPAN_KIND,
  ATTR_TRACELOOP_WORKFLOW_NAME,
  ATTR_WARNING_MESSAGE,
  ATTR_WARNINGS_DROPPED,
  ATTR_WORKER,
  ATTR_HOST_NAME,
  ATTR_PROCESS_PID,
  EVENT_WARNING,
  SHARED_SPAN_ID,
  SHARED_TRACE_ID,
} from "./attribute-names.js";
