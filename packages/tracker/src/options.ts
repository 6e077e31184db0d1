import { TrackerError } from "./errors.js";
import type { ProjectId, TrackerSink } from "./records.js";
import { DEFAULT_SUMMARY_LIMITS, type SummaryLimits } from "./summarize.js";

/** Options of `HamiltonTracker`. */
export interface HamiltonTrackerOptions {
  /** The project the runs belong to: a Hamilton UI project id, or any name for a local store. */
  readonly projectId: ProjectId;
  /** Who runs the pipeline; stored with every run. */
  readonly username: string;
  /** The name of the dataflow, shown with its template and runs. */
  readonly dagName: string;
  /** Tags stored with the template and every run. Keys and values are strings (as in Hamilton). */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * Where records go. Default: `new FileSink()` — JSON lines under `.hamilton-ts/` in the working
   * directory. Use `new HamiltonUIClient({ ... })` to send runs to a Hamilton UI.
   */
  readonly sink?: TrackerSink;
  /**
   * Summarise node results and run inputs (types, sizes, previews, statistics). Default: true.
   * With false, results are recorded as `{ kind: "disabled" }` and inputs by name only.
   */
  readonly captureDataStatistics?: boolean;
  /** Bounds on summaries; see `SummaryLimits` for each default. */
  readonly summaryLimits?: Partial<SummaryLimits>;
  /**
   * Node records kept while the sink is behind. Default: 20,000 — 10,000 node runs, each a
   * `RUNNING` and a final record. Past it, the oldest node records are dropped (counted, reported
   * once); run and template records are never dropped.
   */
  readonly queueCapacity?: number;
  /**
   * Estimated bytes of records held while the sink is behind (queued, and the batch in flight).
   * Default: 64 MB (67,108,864). Past it, the oldest node records are dropped (counted, reported
   * once), as past `queueCapacity`: a record's size is estimated once, when it is made (about its
   * JSON length), so a few large summaries cannot grow the heap where the record count would not
   * notice. Run and template records are never dropped.
   */
  readonly queueByteBudget?: number;
  /** Records per sink write; a queue this long is sent without waiting. Default: 100 (as Hamilton). */
  readonly batchSize?: number;
  /** Longest time a record waits before it is sent (runs are also sent as soon as they end). Default: 1,000 ms. */
  readonly flushIntervalMs?: number;
  /** First delay before retrying a failed write; it doubles per failure. Default: 200 ms. */
  readonly retryInitialDelayMs?: number;
  /** Longest delay between retries. Default: 10,000 ms. */
  readonly retryMaxDelayMs?: number;
  /**
   * A sink write that has not settled after this long is aborted and retried. Default: 30,000 ms.
   * This and the other delays (`flushIntervalMs`, `retryInitialDelayMs`, `retryMaxDelayMs`) are at
   * most 2,147,483,647 ms, the longest a Node timer can wait.
   */
  readonly sinkTimeoutMs?: number;
  /**
   * Receives the tracker's own problems: `write` (a failed sink write, to be retried),
   * `rejected` (a non-retryable sink error: the batch is discarded), `close`, or the hook that
   * failed. The pipeline never sees them. Default: one `console.warn` per kind of problem, so a dead sink cannot flood the log.
   */
  readonly onError?: (error: unknown, context: TrackerErrorContext) => void;
}

/** Where a problem reported to `onError` came from. */
export type TrackerErrorContext =
  | "write"
  | "rejected"
  | "close"
  | "afterGraphConstruction"
  | "beforeGraphExecution"
  | "afterGraphExecution"
  | "beforeNodeExecution"
  | "afterNodeExecution";

/** The options with every default filled in. */
export interface ResolvedTrackerOptions {
  readonly projectId: ProjectId;
  readonly username: string;
  readonly dagName: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly captureDataStatistics: boolean;
  readonly summaryLimits: SummaryLimits;
  readonly queueCapacity: number;
  readonly queueByteBudget: number;
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly retryInitialDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly sinkTimeoutMs: number;
}

function invalid(option: string, received: unknown, expected: string): TrackerError {
  const shown =
    typeof received === "string"
      ? JSON.stringify(received)
      : typeof received === "object"
        ? received === null
          ? "null"
          : "an object"
        : String(received);
  return new TrackerError("INVALID_OPTION", `HamiltonTracker: option "${option}" is ${shown}; expected ${expected}.`, {
    retryable: false,
  });
}

/**
 * The longest delay a Node timer supports: 2³¹ − 1 ms (about 24.8 days). A longer one fires
 * after 1 ms (with a warning), so a huge timeout would mean no wait at all.
 */
export const MAX_TIMER_MS = 2_147_483_647;

function positiveInt(options: HamiltonTrackerOptions, key: keyof HamiltonTrackerOptions, fallback: number): number {
  const value = options[key];
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw invalid(key, value, "a positive integer (or leave it out for the default)");
  }
  return value;
}

/** A delay in milliseconds that a Node timer can wait. */
function timerMs(options: HamiltonTrackerOptions, key: keyof HamiltonTrackerOptions, fallback: number): number {
  const value = positiveInt(options, key, fallback);
  if (value > MAX_TIMER_MS) {
    throw invalid(
      key,
      value,
      `at most ${MAX_TIMER_MS} ms (about 24.8 days), the longest delay a Node timer supports: a longer one fires after 1 ms`,
    );
  }
  return value;
}

/**
 * Checks the `timeoutMs` of `flush()` or `shutdown()`: a number of milliseconds from 0 to
 * {@link MAX_TIMER_MS}, or undefined.
 * @throws TrackerError `INVALID_OPTION` naming the method.
 */
export function checkTimeout(method: "flush" | "shutdown", timeoutMs: unknown): number | undefined {
  if (timeoutMs === undefined) return undefined;
  if (typeof timeoutMs !== "number" || !(timeoutMs >= 0) || timeoutMs > MAX_TIMER_MS) {
    const shown = typeof timeoutMs === "string" ? JSON.stringify(timeoutMs) : String(timeoutMs);
    throw new TrackerError(
      "INVALID_OPTION",
      `HamiltonTracker.${method}(): option "timeoutMs" is ${shown}; expected a number of milliseconds from 0 to ${MAX_TIMER_MS} ` +
        `(the longest delay a Node timer supports), or leave it out${method === "flush" ? " to wait until delivered" : " for the default (10,000)"}.`,
      { retryable: false },
    );
  }
  return timeoutMs;
}

/** Checks the options and fills in the defaults; throws `INVALID_OPTION` naming the bad option. */
export function resolveOptions(options: HamiltonTrackerOptions): ResolvedTrackerOptions {
  if (options === null || typeof options !== "object") {
    throw invalid("options", options, "an object: new HamiltonTracker({ projectId, username, dagName })");
  }
  const { projectId, username, dagName, tags = {} } = options;
  if (
    !(typeof projectId === "string" && projectId.length > 0) &&
    !(typeof projectId === "number" && Number.isInteger(projectId))
  ) {
    throw invalid("projectId", projectId, "a Hamilton UI project id (an integer) or a non-empty string");
  }
  if (typeof username !== "string" || username.length === 0) {
    throw invalid("username", username, "a non-empty string, e.g. your email as known to the Hamilton UI");
  }
  if (typeof dagName !== "string" || dagName.length === 0) {
    throw invalid("dagName", dagName, "a non-empty string naming the dataflow");
  }
  if (tags === null || typeof tags !== "object" || Array.isArray(tags)) {
    throw invalid("tags", tags, 'an object of string values, e.g. { team: "search" }');
  }
  for (const [key, value] of Object.entries(tags)) {
    if (typeof value !== "string")
      throw invalid(`tags.${key}`, value, "a string (tag values are strings, as in Hamilton)");
  }
  if (options.sink !== undefined && (options.sink === null || typeof options.sink.write !== "function")) {
    throw invalid(
      "sink",
      options.sink,
      "an object with a write(projectId, records) method, e.g. new FileSink() or new HamiltonUIClient({...})",
    );
  }
  const capture = options.captureDataStatistics ?? true;
  if (typeof capture !== "boolean") throw invalid("captureDataStatistics", capture, "true or false");
  // The sink's limits (e.g. the Hamilton UI's capture limits) over the defaults; the option over both.
  const summaryLimits = { ...DEFAULT_SUMMARY_LIMITS, ...options.sink?.summaryLimits, ...options.summaryLimits };
  for (const [key, value] of Object.entries(summaryLimits)) {
    if (typeof value !== "number" || !(value >= 0)) throw invalid(`summaryLimits.${key}`, value, "a number ≥ 0");
  }
  const retryInitialDelayMs = timerMs(options, "retryInitialDelayMs", 200);
  const retryMaxDelayMs = timerMs(options, "retryMaxDelayMs", 10_000);
  return {
    projectId,
    username,
    dagName,
    tags: { ...tags },
    captureDataStatistics: capture,
    summaryLimits,
    queueCapacity: positiveInt(options, "queueCapacity", 20_000),
    queueByteBudget: positiveInt(options, "queueByteBudget", 64 * 1024 * 1024),
    batchSize: positiveInt(options, "batchSize", 100),
    flushIntervalMs: timerMs(options, "flushIntervalMs", 1_000),
    retryInitialDelayMs,
    retryMaxDelayMs: Math.max(retryMaxDelayMs, retryInitialDelayMs),
    sinkTimeoutMs: timerMs(options, "sinkTimeoutMs", 30_000),
  };
}
