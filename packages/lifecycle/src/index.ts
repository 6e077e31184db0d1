/**
 * @packageDocumentation
 * The lifecycle API of hamilton-ts: the types adapters implement and see, and {@link AdapterSet},
 * which the engine uses to call them. No runtime dependencies.
 */
export type {
  AdapterErrorHandler,
  AdapterErrorInfo,
  GraphConstructionEvent,
  CacheMissReason,
  CacheOutcome,
  GraphExecutionEvent,
  GraphExecutionResultEvent,
  GraphInfo,
  GraphValidationEvent,
  LifecycleAdapter,
  MaybePromise,
  NodeExecutionEvent,
  NodeExecutionResultEvent,
  NodeInfo,
  NodeKind,
  NodeValidationEvent,
  ObserverHookName,
  RemoteTaskEvent,
  RunContextEvent,
  SharedAttributes,
  TagValue,
} from "./types.js";
export { AdapterSet, adapterName } from "./adapter-set.js";
export { SHARED_SPAN_ID, SHARED_TRACE_ID } from "./shared-attributes.js";
export { isSecretKey, REDACTED, redactHead, redactText } from "./redact.js";
export { cutWarning, MAX_NODE_WARNINGS, MAX_WARNING_LENGTH } from "./warning-limits.js";
export type { AdapterSetOptions, GraphRunInit, NodeRunInit, RemoteTaskInit, ValidationProblem } from "./adapter-set.js";
