/**
 * The delivery queue: records wait in order, bounded in count and bytes, and a background loop
 * writes them to the sink in batches, retrying failed writes with backoff. Its options, reports
 * and counters are in `delivery-types.ts`.
 */
import { type Clock, type ClockTimer, systemClock } from "./clock.js";
import { isRetryable, TrackerError } from "./errors.js";
import { registerExitFlush, unregisterExitFlush } from "./exit-hooks.js";
import { Fifo } from "./fifo.js";
import { estimateBytes } from "./record-size.js";
import type { ProjectId, TrackerRecord, TrackerSink } from "./records.js";
import { Backoff } from "./retry.js";
import {
  type DeliveryQueueOptions,
  type DeliveryReport,
  type DeliveryStats,
  IDLE_WRITE_LIMIT_MS,
  MAX_REJECTED_RECORDS,
} from "./delivery-types.js";

/**
 * An ordered, bounded queue of records in front of a sink. `push` is O(1) and never waits; a
 * background loop writes batches, retries failures with exponential backoff and keeps order.
 * When more than `capacity` node records wait, or the records held (queued and in flight) are
 * estimated at more than `byteBudget` bytes, the oldest node records are dropped — run and
 * template records never are.
 */
export class DeliveryQueue {
  readonly #sink: TrackerSink;
  readonly #projectId: ProjectId;
  readonly #options: DeliveryQueueOptions;
  readonly #clock: Clock;
  readonly #backoff: Backoff;

  // Node records and the others (runs, templates) wait in two FIFOs, merged back into one order
  // by sequence number when a batch is taken: dropping the oldest node record is then O(1).
  readonly #nodes = new Fifo<TrackerRecord>();
  readonly #others = new Fifo<TrackerRecord>();
  /** Records ever pushed: the next record's sequence number. */
  #pushed = 0;

  #inFlight: readonly TrackerRecord[] | undefined;
  #inFlightBytes = 0;
  /** Estimated bytes of the records held: queued and in flight. */
  #heldBytes = 0;
  readonly #byteBudget: number;
  /** The estimated size of each record in flight. */
  #inFlightSizes: readonly number[] = [];
  /** The last records the sink rejected, for the report. */
  readonly #rejectedRecords = new Fifo<TrackerRecord>();
  /** Sequence number of the first record in flight. */
  #inFlightSeq = 0;
  /** Records with a sequence number below this are flushed: sent without waiting for a full batch (or the interval). */
  #flushBelow = 0;
  #waiters: { readonly target: number; readonly resolve: () => void }[] = [];

  #pumping = false;
  #scheduled = false;
  #timer: ClockTimer | undefined;
  #wake: (() => void) | undefined;
  #writeAbort: AbortController | undefined;
  #aborted = false;
  #registered = false;
  #exitFlushed = false;
  /** True once the batch in flight has been abandoned for idleness: its later attempts get the full `sinkTimeoutMs`. */
  #idleAbandoned = false;

  #delivered = 0;
  #dropped = 0;
  #rejected = 0;
  #failedWrites = 0;
  #lastError: unknown = undefined;

  constructor(sink: TrackerSink, projectId: ProjectId, options: DeliveryQueueOptions) {
    this.#sink = sink;
    this.#projectId = projectId;
    this.#options = options;
    this.#byteBudget = options.byteBudget;
    this.#clock = options.clock ?? systemClock;
    this.#backoff = new Backoff(options.retryInitialDelayMs, options.retryMaxDelayMs, options.random);
  }

  /**
   * Queues a record. O(1); never throws for a full queue (it drops the oldest node records).
   * `bytes` is the record's estimated size; without it the record is measured (`estimateBytes`),
   * which costs a walk over it: the tracker's node hooks pass their own estimate.
   */
  push(record: TrackerRecord, bytes = estimateBytes(record)): void {
    if (record.type === "node_run") {
      this.#nodes.push(record, this.#pushed++, bytes);
      if (this.#nodes.size > this.#options.capacity) this.#dropOldestNode("capacity");
    } else {
      this.#others.push(record, this.#pushed++, bytes);
    }
    if ((this.#heldBytes += bytes) > this.#byteBudget) this.#dropForBytes();
    this.#exitFlushed = false;
    if (!this.#registered && !this.#aborted) {
      this.#registered = true;
      registerExitFlush(this);
    }
    if (this.#queued() >= this.#options.batchSize) this.#schedule();
    else if (this.#timer === undefined && !this.#pumping) {
      this.#timer = this.#clock.setTimeout(this.#onTimer, this.#options.flushIntervalMs);
      this.#timer.unref?.();
    }
  }

  /**
   * Makes sure a batch goes out within `flushIntervalMs` though nothing may be queued yet: the
   * caller holds records it makes only when a batch is taken (`beforeTake`).
   */
  armTimer(): void {
    if (this.#timer !== undefined || this.#pumping || this.#aborted) return;
    this.#timer = this.#clock.setTimeout(this.#onTimer, this.#options.flushIntervalMs);
    this.#timer.unref?.();
  }

  /** Starts sending everything queued now, in the background (e.g. at the end of a run). */
  requestFlush(): void {
    this.#options.beforeTake?.();
    this.#flushBelow = this.#pushed;
    this.#schedule();
  }

  /**
   * Sends everything queued and resolves once it is delivered (retrying failures), or when
   * `timeoutMs` has passed. Never rejects. Without a timeout it waits as long as the sink is down.
   */
  async flush(timeoutMs?: number): Promise<DeliveryReport> {
    if (!this.#aborted) this.#options.beforeTake?.();
    const target = this.#pushed;
    // After close() nothing is sent any more: report what is left instead of waiting forever.
    if (this.#aborted) return this.report(target);
    this.#flushBelow = Math.max(this.#flushBelow, target);
    // A flush retries right away rather than waiting out the current backoff.
    this.#wake?.();
    if (!this.#isSettled(target)) {
      void this.#pump();
      await new Promise<void>((done) => {
        let timer: ClockTimer | undefined;
        const waiter = {
          target,
          resolve: () => {
            this.#clock.clearTimeout(timer);
            done();
          },
        };
        this.#waiters.push(waiter);
        if (timeoutMs !== undefined) {
          timer = this.#clock.setTimeout(
            () => {
              this.#waiters = this.#waiters.filter((w) => w !== waiter);
              done();
            },
            Math.max(0, timeoutMs),
          );
          // Not unref'd: someone awaits this flush, and the process must live to see it settle.
        }
      });
    }
    return this.report(target);
  }

  /**
   * Delivers what is queued within `timeoutMs`, then stops: no more retries, the write in flight
   * is aborted. Resolves with what could not be delivered. Later pushes are not registered for
   * the exit flush, and later flushes resolve at once.
   */
  async close(timeoutMs: number): Promise<DeliveryReport> {
    const report = await this.flush(timeoutMs);
    this.#aborted = true;
    this.#writeAbort?.abort(
      new TrackerError("SINK_TIMEOUT", `HamiltonTracker.shutdown(): gave up after ${timeoutMs} ms.`),
    );
    this.#wake?.();
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const waiter of this.#waiters) waiter.resolve();
    this.#waiters = [];
    unregisterExitFlush(this);
    this.#registered = false;
    return report;
  }

  /** The state of delivery; `complete` counts the records pushed before sequence number `target` (default: all). */
  report(target = this.#pushed): DeliveryReport {
    const undelivered: TrackerRecord[] = this.#inFlight ? [...this.#inFlight] : [];
    // Both queues are in push order: merge them by sequence number.
    const nodes = this.#nodes.entries();
    const others = this.#others.entries();
    for (let i = 0, j = 0; i < nodes.length || j < others.length; ) {
      if (j === others.length || (i < nodes.length && nodes[i]![1] < others[j]![1])) undelivered.push(nodes[i++]![0]);
      else undelivered.push(others[j++]![0]);
    }
    return {
      complete: this.#isSettled(target),
      undelivered,
      dropped: this.#dropped,
      rejected: this.#rejected,
      rejectedRecords: this.#rejectedRecords.entries().map((entry) => entry[0]),
      lastError: this.#lastError,
    };
  }

  /** Current counters. */
  get stats(): DeliveryStats {
    return {
      queued: this.#queued(),
      queuedNodeRecords: this.#nodes.size,
      queuedBytes: this.#nodes.bytes + this.#others.bytes,
      inFlightBytes: this.#inFlightBytes,
      inFlight: this.#inFlight?.length ?? 0,
      delivered: this.#delivered,
      dropped: this.#dropped,
      rejected: this.#rejected,
      failedWrites: this.#failedWrites,
    };
  }

  /**
   * Called at process `beforeExit` (nothing else keeps the process alive). A write in flight
   * then cannot finish (its sink holds nothing that could settle it): it is abandoned. The first
   * time, what is left gets one more attempt (bounded like any idle write, see
   * {@link IDLE_WRITE_LIMIT_MS}); the next time — or when an idle write was already abandoned —
   * what is still undelivered is reported (`onExitUndelivered`) and the queue lets the process go.
   */
  exitFlush(): void {
    if (this.#aborted) return;
    this.#writeAbort?.abort(
      new TrackerError(
        "SINK_TIMEOUT",
        "The process is exiting (HamiltonTracker.shutdown() was not called): the write in flight was abandoned.",
        { retryable: true },
      ),
    );
    if (!this.#exitFlushed) {
      this.#exitFlushed = true;
      // On the next turn, once the abandoned write has failed: retry at once rather than after
      // the backoff. The immediate (referenced) also brings the next `beforeExit`, which reports.
      setImmediate(() => {
        this.requestFlush();
        this.#wake?.();
      });
      return;
    }
    const report = this.report();
    unregisterExitFlush(this);
    this.#registered = false;
    if (report.undelivered.length > 0) {
      try {
        this.#options.onExitUndelivered?.(report);
      } catch {
        // A reporting callback must not stop the exit.
      }
    }
  }

  #queued(): number {
    return this.#nodes.size + this.#others.size;
  }

  /** Sequence number of the oldest record not yet delivered (or dropped, or rejected); Infinity if none. */
  #oldestUnsettled(): number {
    if (this.#inFlight !== undefined) return this.#inFlightSeq;
    return Math.min(this.#nodes.peekSeq(), this.#others.peekSeq());
  }

  /** True when every record with a sequence number below `target` is settled. */
  #isSettled(target: number): boolean {
    return this.#oldestUnsettled() >= target;
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.requestFlush();
  };

  #schedule(): void {
    if (this.#scheduled || this.#pumping || this.#aborted) return;
    this.#scheduled = true;
    // Off the caller's stack: a node hook only queues; writing happens after the current I/O turn.
    setImmediate(() => {
      this.#scheduled = false;
      void this.#pump();
    });
  }

  #dropOldestNode(bound: "capacity" | "bytes"): void {
    this.#heldBytes -= this.#nodes.peekBytes();
    this.#nodes.shift();
    if (this.#dropped++ === 0) this.#options.onFirstDrop(bound);
  }

  /**
   * Keeps the rejected records of the batch (at `indexes`) for the report, within its bounds
   * (count and an eighth of the byte budget).
   */
  #setAside(batch: readonly TrackerRecord[], indexes: readonly number[]): void {
    const kept = this.#rejectedRecords;
    const maxBytes = this.#options.byteBudget / 8;
    for (const i of indexes) kept.push(batch[i]!, 0, this.#inFlightSizes[i] ?? 0);
    while (kept.size > MAX_REJECTED_RECORDS || (kept.size > 1 && kept.bytes > maxBytes)) kept.shift();
  }

  /** Drops the oldest node records until what is held fits the byte budget (or no node record is left). */
  #dropForBytes(): void {
    const budget = this.#byteBudget;
    while (this.#nodes.size > 0 && this.#heldBytes > budget) {
      this.#dropOldestNode("bytes");
    }
  }

  /**
   * Takes up to `batchSize` queued records, oldest first, and at most a quarter of the byte budget
   * (at least one record); returns them, their bytes and the first one's sequence number.
   */
  #take(): { batch: TrackerRecord[]; sizes: number[]; bytes: number; firstSeq: number } {
    const batch: TrackerRecord[] = [];
    const sizes: number[] = [];
    const maxBytes = this.#options.byteBudget / 4;
    let bytes = 0;
    const firstSeq = Math.min(this.#nodes.peekSeq(), this.#others.peekSeq());
    while (batch.length < this.#options.batchSize) {
      const fromNodes = this.#nodes.peekSeq();
      const fromOthers = this.#others.peekSeq();
      if (fromNodes === Infinity && fromOthers === Infinity) break;
      const from = fromNodes < fromOthers ? this.#nodes : this.#others;
      const size = from.peekBytes();
      if (batch.length > 0 && bytes + size > maxBytes) break;
      bytes += size;
      sizes.push(size);
      batch.push(from.shift());
    }
    return { batch, sizes, bytes, firstSeq };
  }

  #shouldSend(): boolean {
    const queued = this.#queued();
    if (queued === 0) return false;
    return (
      queued >= this.#options.batchSize || Math.min(this.#nodes.peekSeq(), this.#others.peekSeq()) < this.#flushBelow
    );
  }

  async #pump(): Promise<void> {
    if (this.#pumping || this.#aborted) return;
    this.#pumping = true;
    if (this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    try {
      this.#options.beforeTake?.();
      while (!this.#aborted && this.#shouldSend()) {
        const { batch, sizes, bytes, firstSeq } = this.#take();
        this.#inFlight = batch;
        this.#inFlightBytes = bytes;
        this.#inFlightSizes = sizes;
        this.#inFlightSeq = firstSeq;
        await this.#deliver(batch);
        if (this.#aborted) return;
        this.#inFlight = undefined;
        this.#heldBytes -= bytes;
        this.#inFlightBytes = 0;
        this.#inFlightSizes = [];
        this.#resolveWaiters();
      }
      this.#resolveWaiters();
    } finally {
      this.#pumping = false;
      if (!this.#aborted) {
        if (this.#queued() > 0) {
          if (this.#shouldSend()) this.#schedule();
          else if (this.#timer === undefined) {
            this.#timer = this.#clock.setTimeout(this.#onTimer, this.#options.flushIntervalMs);
            this.#timer.unref?.();
          }
        } else if (this.#registered) {
          this.#registered = false;
          unregisterExitFlush(this);
        }
      }
    }
  }

  #resolveWaiters(): void {
    if (this.#waiters.length === 0) return;
    const still: { readonly target: number; readonly resolve: () => void }[] = [];
    for (const waiter of this.#waiters) {
      if (this.#isSettled(waiter.target)) waiter.resolve();
      else still.push(waiter);
    }
    this.#waiters = still;
  }

  /** Writes one batch until it is delivered, rejected as non-retryable, or the queue is closed. */
  async #deliver(batch: readonly TrackerRecord[]): Promise<void> {
    const backoff = this.#backoff;
    backoff.reset();
    this.#idleAbandoned = false;
    for (let attempt = 1; !this.#aborted; attempt++) {
      try {
        await this.#write(batch);
        this.#delivered += batch.length;
        return;
      } catch (error) {
        if (this.#aborted) return;
        this.#failedWrites++;
        this.#lastError = error;
        const willRetry = isRetryable(error);
        try {
          this.#options.onWriteError(error, { attempt, records: batch.length, willRetry });
        } catch {
          // A reporting callback must not stop delivery.
        }
        if (!willRetry) {
          // Set aside (reported), and the queue goes on with the next batch. A sink that
          // delivered part of the batch names what it did not (`setAside`): only that is set aside.
          const aside = setAsideIndexes(error, batch);
          this.#rejected += aside.length;
          this.#delivered += batch.length - aside.length;
          this.#setAside(batch, aside);
          return;
        }
        await this.#sleep(backoff.next());
      }
    }
  }

  async #write(batch: readonly TrackerRecord[]): Promise<void> {
    const controller = new AbortController();
    this.#writeAbort = controller;
    const clock = this.#clock;
    let timer: ClockTimer | undefined;
    let watchdog: ClockTimer | undefined;
    try {
      const limit = new Promise<never>((_, reject) => {
        const timeoutMs = this.#options.sinkTimeoutMs;
        timer = clock.setTimeout(() => {
          const error = new TrackerError(
            "SINK_TIMEOUT",
            `The tracker's sink did not finish writing ${batch.length} records within ${timeoutMs} ms; ` +
              `the batch will be retried. Check the sink, or raise sinkTimeoutMs.`,
          );
          controller.abort(error);
          reject(error);
        }, timeoutMs);
        this.#unrefUnlessAwaited(timer);
        controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true });
      });
      limit.catch(() => {});
      // Checked every IDLE_WRITE_LIMIT_MS, unref'd: fires while the sink's own handles (a socket)
      // keep the process alive, and abandons the write once nothing else is going on.
      const watch = (): void => {
        watchdog = clock.setTimeout(check, IDLE_WRITE_LIMIT_MS);
        watchdog.unref?.();
      };
      const check = (): void => {
        if (this.#waiters.length > 0 || !(this.#options.isIdle?.() ?? true)) return watch();
        this.#exitFlushed = true;
        this.#idleAbandoned = true;
        controller.abort(
          new TrackerError(
            "SINK_TIMEOUT",
            `The tracker's sink did not finish writing ${batch.length} records within ${IDLE_WRITE_LIMIT_MS} ms while no run was in progress ` +
              `and no flush() was awaited; the write was abandoned (so it cannot keep an ending process alive) and will be retried ` +
              `with the full sinkTimeoutMs (${this.#options.sinkTimeoutMs} ms).`,
          ),
        );
      };
      // A batch is abandoned for idleness at most once: a sink that needs longer than
      // IDLE_WRITE_LIMIT_MS per write still gets it delivered, on a later attempt.
      if (!this.#idleAbandoned) watch();
      await Promise.race([this.#sink.write(this.#projectId, batch, { signal: controller.signal }), limit]);
    } finally {
      clock.clearTimeout(timer);
      clock.clearTimeout(watchdog);
      this.#writeAbort = undefined;
    }
  }

  /**
   * Background delivery (a sink that is down, retrying) must not keep the process alive; while a
   * `flush()` is awaited it must, or the process exits with that await unsettled.
   */
  #unrefUnlessAwaited(timer: ClockTimer): void {
    if (this.#waiters.length === 0) timer.unref?.();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.#clock.setTimeout(done, ms);
      this.#unrefUnlessAwaited(timer);
      const self = this;
      function done(): void {
        self.#clock.clearTimeout(timer);
        if (self.#wake === done) self.#wake = undefined;
        resolve();
      }
      this.#wake = done;
    });
  }
}

/**
 * Positions in `batch` of the records a non-retryable `error` sets aside: those it lists in an
 * array `setAside` (see `TrackerErrorOptions.setAside`; records not in the batch are ignored), or
 * the whole batch when it lists none.
 */
function setAsideIndexes(error: unknown, batch: readonly TrackerRecord[]): number[] {
  let listed: unknown;
  try {
    listed = typeof error === "object" && error !== null ? (error as { setAside?: unknown }).setAside : undefined;
  } catch {
    listed = undefined; // a throwing getter: treat as unlisted
  }
  if (!Array.isArray(listed)) return batch.map((_, i) => i);
  const wanted = new Set<unknown>(listed);
  const indexes: number[] = [];
  for (let i = 0; i < batch.length; i++) if (wanted.has(batch[i])) indexes.push(i);
  return indexes;
}
