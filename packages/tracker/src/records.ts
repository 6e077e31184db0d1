/**
 * The interface of the sinks that receive the tracker's records. The records themselves are the
 * store's (`@hamilton-ts/store`), re-exported here.
 */
import type { ProjectId, TrackerRecord } from "@hamilton-ts/store";
import type { SummaryLimits } from "./summarize.js";

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
} from "@hamilton-ts/store";
export { nodeRunKey } from "@hamilton-ts/store";

/** Options the delivery queue passes to {@link TrackerSink.write}. */
export interface SinkWriteOptions {
  /** Aborted when the queue gives up on this write (its timeout, or `shutdown()`'s). */
  readonly signal: AbortSignal;
}

/**
 * Where the tracker's records go. Implement it to send records anywhere:
 *
 * ```ts
 * const sink: TrackerSink = {
 *   async write(projectId, records) { await db.insert(projectId, records); },
 * };
 * ```
 *
 * The contract:
 * - `write` receives the project id and a non-empty batch of records in the order they happened
 *   (a template before the first run that uses it, a run's `RUNNING` record before its node
 *   records, its final record after them). Batches arrive one at a time, in order: the next
 *   `write` starts after the previous one settled (or timed out, see `sinkTimeoutMs`).
 * - Resolve when the batch is stored. Reject to have it retried with backoff; a rejection with an
 *   error whose `retryable` is `false` discards the batch instead (it is counted and reported).
 *   If part of the batch was stored, list the records that were not in an array `setAside` on
 *   that error (`TrackerErrorOptions.setAside`): only those are discarded.
 * - Delivery is at-least-once: after a failure the same batch (or part of it) can come again, so
 *   storing a record twice must be harmless (records are snapshots; keep the latest per key).
 * - Do not modify the records; they are shared.
 * - `close` (optional) is called once by `HamiltonTracker.shutdown()` after the last write.
 * - `summaryLimits` (optional) are the summary limits the sink's viewer wants; the tracker's own
 *   `summaryLimits` option overrides them key by key.
 */
export interface TrackerSink {
  write(projectId: ProjectId, records: readonly TrackerRecord[], options: SinkWriteOptions): Promise<void>;
  close?(): Promise<void>;
  /**
   * Summary limits for this sink's records, over the tracker's defaults and under its
   * `summaryLimits` option. `HamiltonUIClient` sets the Python SDK's capture limits here.
   */
  readonly summaryLimits?: Partial<SummaryLimits>;
}
