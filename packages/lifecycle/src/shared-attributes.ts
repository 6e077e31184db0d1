/**
 * Keys of the {@link SharedAttributes} record that adapters agree on: the OpenTelemetry tracer
 * leaves its span's ids under them, and the tracker stores them with each node run so a record
 * links to its trace.
 */

/** The W3C trace id (32 hex digits) of the node's (or run's) span. */
export const SHARED_TRACE_ID = "trace_id";
/** The span id (16 hex digits) of the node's (or run's) span. */
export const SHARED_SPAN_ID = "span_id";
