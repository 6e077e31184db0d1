/**
 * @packageDocumentation
 * `HamiltonTracker`: a Hamilton-UI-style record of every hamilton-ts run — the DAG and its code,
 * each run and node run with status, timing, errors, result summaries and trace links — queued
 * off the pipeline's path and delivered to a sink: a local JSON-lines store ({@link FileSink}, the
 * default) or a Hamilton UI ({@link HamiltonUIClient}).
 */
export { HamiltonTracker } from "./tracker.js";
export type { FlushOptions, ShutdownOptions, TrackerRunContext } from "./tracker.js";
export type { HamiltonTrackerOptions, ResolvedTrackerOptions, TrackerErrorContext } from "./options.js";
export type { DeliveryReport, DeliveryStats } from "./delivery-types.js";
export { FileSink } from "./file-sink.js";
export type { FileSinkOptions } from "./file-sink.js";
export { readFileStore, storedRun } from "@hamilton-ts/store";
export { RunFold, supersedes } from "@hamilton-ts/store";
export type {
  FileStoreContents,
  ReadFileStoreOptions,
  SkippedFile,
  StoredRun,
  StoredTemplate,
} from "@hamilton-ts/store";
export { HamiltonUIClient } from "./hamilton-ui-client.js";
export type { HamiltonUIClientOptions } from "./hamilton-ui-client.js";
export { nodeRunKey } from "./records.js";
// The store's records, layout, fold and reader live in @hamilton-ts/store; re-exported here so code
// written against the tracker keeps working.
export {
  DEFAULT_STORE_DIR,
  fromFileName,
  isHashedName,
  isTemporaryFile,
  parseProjectFolderName,
  PROJECT_FILE,
  parseRunFileName,
  parseTemplateFileName,
  projectFolder,
  projectIdFile,
  runFile,
  RUN_EXTENSION,
  RUNS_FOLDER,
  runsFolder,
  TEMPLATE_EXTENSION,
  templateFile,
  TEMPLATES_FOLDER,
  templatesFolder,
  temporaryFile,
  toFileName,
  writeWholeFile,
} from "@hamilton-ts/store";
export type { ParsedName } from "@hamilton-ts/store";
export type {
  CacheMissReason,
  DagTemplateRecord,
  ErrorInfo,
  NodeRunRecord,
  NodeRunStatus,
  NodeTemplate,
  NumericStats,
  ProjectId,
  RunRecord,
  RunStatus,
  SinkWriteOptions,
  TableColumn,
  TrackerRecord,
  TrackerSink,
  ValueSummary,
} from "./records.js";
export { DEFAULT_SUMMARY_LIMITS, errorInfo, summarize } from "./summarize.js";
export type { SummaryLimits } from "./summarize.js";
// The redaction rule lives in @hamilton-ts/lifecycle, shared with the OpenTelemetry tracer.
export { isSecretKey, redactText } from "@hamilton-ts/lifecycle";
export { TrackerError } from "./errors.js";
export type { TrackerErrorCode, TrackerErrorOptions } from "./errors.js";
