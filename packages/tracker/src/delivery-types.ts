/**
 * The delivery queue's contract (see `delivery-queue.ts` for the machinery): its options, what a
 * failed write reports, what `flush()`/`shutdown()` report, its counters, and its bounds.
 */
import type { Clock } from "./clock.js";
import type { TrackerRecord } from "./records.js";

/** Tuning of the `DeliveryQueue`; see `HamiltonTrackerOptions` for the defaults. */
export interface DeliveryQueueOptions {
  /** Node records kept while undelivered; past it the oldest node record is dropped. */
  readonly capacity: number;
  /**
   * Estimated bytes of the records held (queued and in flight); past it the oldest node records
   * are dropped. A batch holds at most a quarter of it (and at least one record).
   */
  readonly byteBudget: number;
  /** Records per `sink.write`, and the queue length that triggers a send. */
  readonly batchSize: number;
  /** Longest time a record waits in the queue before a send starts. */
  readonly flushIntervalMs: number;
  /** First retry delay after a failed write; doubles up to `retryMaxDelayMs`. */
  readonly retryInitialDelayMs: number;
  readonly retryMaxDelayMs: number;
  /** A write that has not settled after this long counts as failed (and is retried). */
  readonly sinkTimeoutMs: number;
  /** Called for every failed write. */
  readonly onWriteError: (error: unknown, info: WriteErrorInfo) => void;
  /** Called once, when the first node record is dropped: by the record count or by the byte budget. */
  readonly onFirstDrop: (bound: "capacity" | "bytes") => void;
  /**
   * True while nothing is going on that the records belong to (the tracker: no run in progress).
   * A write that has been in flight for {@link IDLE_WRITE_LIMIT_MS} while the queue is idle and
   * no `flush()` is awaited is abandoned (see `DeliveryQueue`), once per batch: the batch's
   * later attempts get the full `sinkTimeoutMs`. Default: always idle.
   */
  readonly isIdle?: () => boolean;
  /**
   * Called when the process is about to exit (`beforeExit`) with records still undelivered after
   * the exit attempt: `shutdown()` was not called. Default: nothing.
   */
  readonly onExitUndelivered?: (report: DeliveryReport) => void;
  /** The timers (flush interval, backoff, write timeouts, flush timeouts). Default: the process's own. */
  readonly clock?: Clock;
  /** Numbers in `[0, 1)` for the backoff's jitter. Default: `Math.random`. */
  readonly random?: () => number;
  /**
   * Called before a batch is taken and before a flush counts what it waits for: the caller pushes
   * the records it made lazily (the tracker: `RUNNING` records of nodes still running).
   */
  readonly beforeTake?: () => void;
}

/**
 * How long a write may stay in flight while the queue is idle and nobody awaits a flush, before
 * it is abandoned (aborted, to be retried): a script that ends without `shutdown()` is not kept
 * alive longer than this by a sink that does not answer. A batch is abandoned this way at most
 * once; its later attempts are bounded by `sinkTimeoutMs` only.
 */
export const IDLE_WRITE_LIMIT_MS = 2_000;

/** Rejected records kept for {@link DeliveryReport.rejectedRecords}. */
export const MAX_REJECTED_RECORDS = 1_000;

/** About one failed `sink.write`. */
export interface WriteErrorInfo {
  /** 1 for the first try of this batch. */
  readonly attempt: number;
  /** Records in the batch. */
  readonly records: number;
  /** False when the error was not retryable and the batch was discarded. */
  readonly willRetry: boolean;
}

/** What `flush()` or `shutdown()` achieved. */
export interface DeliveryReport {
  /** True when every record handed to the tracker so far was delivered (or dropped/rejected, see below). */
  readonly complete: boolean;
  /** Records still queued or in flight: not delivered. */
  readonly undelivered: readonly TrackerRecord[];
  /** Node records dropped so far because the queue was full. */
  readonly dropped: number;
  /** Records discarded so far because the sink rejected them with a non-retryable error. */
  readonly rejected: number;
  /**
   * The last records the sink rejected (non-retryable errors), oldest first: at most
   * {@link MAX_REJECTED_RECORDS}, and at most an eighth of the byte budget (older ones are let go
   * first; {@link rejected} counts them all). Send them elsewhere, or inspect them, to recover
   * exactly what was not delivered.
   */
  readonly rejectedRecords: readonly TrackerRecord[];
  /** The sink's last error, if any write ever failed. */
  readonly lastError: unknown;
}

/** Counters of a `DeliveryQueue`. */
export interface DeliveryStats {
  /** Records waiting in the queue (not in flight). */
  readonly queued: number;
  /** Node records among {@link queued}. */
  readonly queuedNodeRecords: number;
  /** Estimated bytes of the records waiting in the queue (the byte budget counts them with {@link inFlightBytes}). */
  readonly queuedBytes: number;
  /** Estimated bytes of the batch being written. */
  readonly inFlightBytes: number;
  /** Records in the batch being written. */
  readonly inFlight: number;
  /** Records the sink accepted. */
  readonly delivered: number;
  /** Node records dropped because the queue was full (by count or by bytes). */
  readonly dropped: number;
  /** Records discarded after a non-retryable sink error. */
  readonly rejected: number;
  /** Failed `sink.write` calls (each retry counts). */
  readonly failedWrites: number;
}
