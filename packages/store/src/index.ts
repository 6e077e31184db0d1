/**
 * @packageDocumentation
 * `@hamilton-ts/store`: the hamilton-ts local store — its records, its layout on disk, the fold of
 * a run's records into the run as it stands, the reader of a whole store, and the file log every
 * writer appends through (the tracker's `FileSink`, the OTLP JSON-lines exporter, the UI server),
 * so records appended by several processes at once never interleave, a torn last line costs only
 * itself, and readers take what was appended since they last looked. No runtime dependencies.
 */
export { appendLines, FileLog, fileErrorCode, MAX_WRITE_BYTES } from "./file-log.js";
export type { AppendOptions, AppendResult } from "./file-log.js";
export { readAppended, readAppendedSync } from "./read-appended.js";
export type { AppendedLines, ReadAppendedOptions } from "./read-appended.js";
export { StoreError } from "./errors.js";
export type { StoreErrorCode } from "./errors.js";
export { nodeRunKey } from "./records.js";
export type {
  CacheMissReason,
  CacheOutcome,
  DagTemplateRecord,
  ErrorInfo,
  NodeRunRecord,
  NodeRunStatus,
  NodeTemplate,
  NumericStats,
  ProjectId,
  RunRecord,
  RunStatus,
  TableColumn,
  TrackerRecord,
  ValueSummary,
} from "./records.js";
export { lostNodeRun, RunFold, supersedes } from "./run-fold.js";
export { readFileStore, storedRun } from "./read-store.js";
export type { FileStoreContents, ReadFileStoreOptions, SkippedFile, StoredRun, StoredTemplate } from "./read-store.js";
// The layout: where a project's runs and templates live, and how ids become file names.
export {
  DEFAULT_STORE_DIR,
  fromFileName,
  isHashedName,
  isTemporaryFile,
  MAX_ENCODED_NAME,
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
  TEMPORARY_EXTENSION,
  temporaryFile,
  toFileName,
  writeWholeFile,
} from "./layout.js";
export type { ParsedName } from "./layout.js";
