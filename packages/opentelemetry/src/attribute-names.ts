/**
 * The attribute and event names the tracer writes. Semantic-convention names are copied here,
 * not imported, as OpenTelemetry asks of libraries (the incubating constants change in minors).
 */

// --- run span -------------------------------------------------------------------------------
/** The execute call's run id (a UUID). */
export const ATTR_RUN_ID = "hamilton.run_id";
/** The graph's version: a hash of node names, wiring and sources. */
export const ATTR_GRAPH_VERSION = "hamilton.graph.version";
/** The requested outputs. */
export const ATTR_FINAL_VARS = "hamilton.final_vars";
/** The names (never the values) of the run's inputs, config included. */
export const ATTR_INPUTS = "hamilton.inputs";
/** The names (never the values) of the run's overrides. */
export const ATTR_OVERRIDES = "hamilton.overrides";
/** The nodes the run computes, in a valid execution order. */
export const ATTR_EXECUTION_PATH = "hamilton.execution_path";

// --- node span ------------------------------------------------------------------------------
/** The node's name. */
export const ATTR_NODE_NAME = "hamilton.node.name";
/** The node's version: a hash of its source. */
export const ATTR_NODE_VERSION = "hamilton.node.version";
/** The node's dependencies, in declaration order. */
export const ATTR_NODE_DEPENDENCIES = "hamilton.node.dependencies";
/** Prefix of the node's tags: `hamilton.node.tags.<tag>` = the tag's value (a string or strings). */
export const ATTR_NODE_TAGS_PREFIX = "hamilton.node.tags.";
/** The task id of a node run inside a dynamic fan-out. */
export const ATTR_NODE_TASK_ID = "hamilton.node.task_id";
/**
 * What the engine's cache did for the node run (`hit`, `miss`, `recompute`, `disabled`), when the
 * driver has a cache (`Builder.withCache`). A hit's span is short: the node function did not run.
 */
export const ATTR_NODE_CACHE = "hamilton.cache";
/** The node run's cache key (64 hex digits), when it could be keyed. */
export const ATTR_NODE_CACHE_KEY = "hamilton.cache.key";
/** For a cache `hit`: the run id of the run whose stored result the node run replayed. */
export const ATTR_NODE_CACHE_FROM_RUN = "hamilton.cache.from_run";
/**
 * For a cache `miss`: why, as the reason's kind alone (`new`, `code`, `dependency`, `config`,
 * `unkeyed`), so spans group and filter by it; what it is about is in {@link ATTR_NODE_CACHE_MISS_DETAIL}.
 */
export const ATTR_NODE_CACHE_MISS_REASON = "hamilton.cache.miss_reason";
/**
 * For a cache `miss` whose reason names something: the dependency's name (`dependency`),
 * `<from> -> <to>` code versions (`code`), or what could not be keyed (`unkeyed`).
 */
export const ATTR_NODE_CACHE_MISS_DETAIL = "hamilton.cache.miss_detail";
/** The attempt number, set from the second attempt on (a retrying adapter outside the tracer). */
export const ATTR_NODE_ATTEMPT = "hamilton.node.attempt";
/** Name of the span event a node warning becomes. */
export const EVENT_WARNING = "hamilton.node.warning";
/** The warning's text, on a {@link EVENT_WARNING} event. */
export const ATTR_WARNING_MESSAGE = "hamilton.warning.message";
/** Node span attribute: how many warnings of the node run were not recorded (over the 100 kept). */
export const ATTR_WARNINGS_DROPPED = "hamilton.node.warnings_dropped";

// --- OpenTelemetry semantic conventions (stable) -------------------------------------------
/** semconv `code.function.name`: the function the node came from. */
export const ATTR_CODE_FUNCTION_NAME = "code.function.name";
/** semconv `error.type`: the error's class name. */
export const ATTR_ERROR_TYPE = "error.type";
/** semconv fallback value of `error.type` when the thrown value has no class name. */
export const ERROR_TYPE_OTHER = "_OTHER";

// --- Traceloop / OpenLLMetry ----------------------------------------------------------------
/** `workflow` on the run span, `task` on node spans. */
export const ATTR_TRACELOOP_SPAN_KIND = "traceloop.span.kind";
/** The workflow name on the run span, the node name on node spans. */
export const ATTR_TRACELOOP_ENTITY_NAME = "traceloop.entity.name";
/** The workflow name, on every span of the run. */
export const ATTR_TRACELOOP_WORKFLOW_NAME = "traceloop.workflow.name";
/** The recorded input values (JSON `{"args":[],"kwargs":{...}}`), with `recordInputs`. */
export const ATTR_TRACELOOP_ENTITY_INPUT = "traceloop.entity.input";
/** The recorded output value (JSON), with `recordOutputs`. */
export const ATTR_TRACELOOP_ENTITY_OUTPUT = "traceloop.entity.output";

// --- shared event attributes ----------------------------------------------------------------
// The keys the tracer leaves its ids under are defined with the lifecycle API, where every
// adapter reads them; re-exported here for the tracer's users.
export { SHARED_SPAN_ID, SHARED_TRACE_ID } from "@hamilton-ts/lifecycle";

/** On a node span made on a worker (a distributed run): the worker process, `<host>:<pid>`. */
export const ATTR_WORKER = "hamilton.worker";

/** On a node span made on a worker: the worker's host name (OpenTelemetry semconv). */
export const ATTR_HOST_NAME = "host.name";

/** On a node span made on a worker: the worker's process id (OpenTelemetry semconv). */
export const ATTR_PROCESS_PID = "process.pid";
