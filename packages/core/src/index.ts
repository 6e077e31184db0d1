/**
 * @packageDocumentation
 * hamilton-ts core: dataflows as plain functions. A function's name is the node it produces; the
 * names in its destructured parameter are the nodes it needs. `Builder` builds and validates the
 * graph, `Driver` runs only what the requested outputs need, calling lifecycle adapters around
 * every run and node.
 */
export { Builder } from "./builder.js";
export { Driver } from "./driver.js";
export type { AllVariables, ExecuteOptions, VisualizeGraphOptions, VisualizeOptions } from "./driver.js";
export type { AbortSignalLike } from "./request.js";
export type { TagFilter } from "./tags.js";
export { cache, node, tag, configWhen, configWhenIn, configWhenNot, configWhenNotIn } from "./modifiers.js";
export { wrapNode } from "./wrap-node.js";
export type {
  Binding,
  ConfigConditions,
  ConfigMode,
  ConfigWhenFn,
  GroupBinding,
  NodeContext,
  NodeOptions,
  SourceBinding,
  ValueBinding,
} from "./modifiers.js";
export { collect, extractFields, group, inject, parallelize, parameterize, source, value } from "./bindings.js";
export { checkOutput, DataValidationError } from "./check-output.js";
export type {
  CheckOutputOptions,
  OutputPredicate,
  StandardSchemaIssue,
  StandardSchemaResult,
  StandardSchemaV1,
} from "./check-output.js";
export type {
  CacheBehavior,
  CacheDeleteOptions,
  CacheEvent,
  CacheEventKind,
  CacheExplanation,
  CacheInspector,
  CacheLogEntry,
  CacheOptions,
} from "./cache.js";
export { DEFAULT_CACHE_DIR, FileCacheStore } from "./cache-store.js";
export type { CacheEntryInfo, CacheStore, MaybePromise } from "./cache-store.js";
export { fingerprint, isFingerprint } from "./fingerprint.js";
export { registerCodec, registerFingerprint } from "./codecs.js";
export type { AnyClass, Codec, RegisterOptions } from "./codecs.js";
export type { Unfingerprintable } from "./fingerprint.js";
export { subdag } from "./subdag.js";
export type { FanOutTask, RunTaskOptions, TaskExecutor } from "./task-executor.js";
export { findUncloneable } from "./crossable.js";
export type { SubdagOptions } from "./subdag.js";
export {
  GraphBuildError,
  HamiltonError,
  MissingInputsError,
  NodeExecutionError,
} from "./errors.js";
export type { BuildProblem, HamiltonErrorCode, HamiltonErrorOptions, MissingInput } from "./errors.js";
export type { VisualizationFormat } from "./visualize.js";
export type {
  CheckWiring,
  CollectBrand,
  ConfigWhenBrand,
  ExpandBrand,
  FieldsBrand,
  InjectBrand,
  ParameterizeBrand,
  DepsOf,
  InputsOf,
  ModuleDeps,
  ModuleOutputs,
  OutputOf,
  Simplify,
  WiringErrors,
} from "./types.js";
export type {
  CacheMissReason,
  CacheOutcome,
  GraphInfo,
  LifecycleAdapter,
  NodeInfo,
  NodeExecutionEvent,
  NodeExecutionResultEvent,
  GraphExecutionEvent,
  GraphExecutionResultEvent,
  RemoteTaskEvent,
  RunContextEvent,
} from "@hamilton-ts/lifecycle";
