/**
 * The reply channel (internal): workers signal there that a job's outcome is under its result key
 * (or that the job went back to the queue). Every signal is checked; a malformed one is dropped
 * with a warning, and the job is then looked at in Redis instead. The outcome itself is read from
 * its key (never from pub/sub: a large message would make Redis drop the subscriber), checked,
 * deleted, and settles the job's tasks.
 *
 * @module
 */
import { BullMQError } from "./errors.js";
import { fromWire } from "./errors-wire.js";
import type { ExecutorState, JobEntry } from "./executor-state.js";
import { excerpt, parseOutcome, parseSignal } from "./messages.js";
import { decode } from "./wire.js";

export class Replies {
  readonly #state: ExecutorState;
  readonly #requeued: (entry: JobEntry) => void;
  readonly #lookNow: (entry: JobEntry) => void;

  /**
   * `requeued`: the job is queued again (its pick-up timer restarts); `lookNow`: the job's state
   * is read from Redis now (a signal about it was malformed).
   */
  constructor(state: ExecutorState, requeued: (entry: JobEntry) => void, lookNow: (entry: JobEntry) => void) {
    this.#state = state;
    this.#requeued = requeued;
    this.#lookNow = lookNow;
  }

  /** A message on the reply channel. */
  onMessage(text: string): void {
    const signal = parseSignal(text);
    if (!signal.ok) {
      const jobId = jobIdOf(text);
      const entry = jobId === undefined ? undefined : this.#state.jobs.get(jobId);
      this.#state.settings.warn(
        `BullMQExecutor: dropped a malformed message on its reply channel (${signal.why}): ${excerpt(text)}.` +
          (entry === undefined ? "" : ` Job ${entry.id}'s outcome is read from Redis instead.`),
      );
      if (entry !== undefined) this.#lookNow(entry);
      return;
    }
    // Another executor's job, a duplicate (at-least-once) or a settled job: nothing to do.
    const entry = this.#state.jobs.get(signal.value.jobId);
    if (entry === undefined) return;
    if (signal.value.kind === "requeued") {
      entry.taken = false;
      this.#requeued(entry);
      return;
    }
    if (signal.value.outcome !== undefined) {
      // A small outcome came with the signal: settled at once, its key removed in the background.
      if (this.#settle(entry, signal.value.outcome, "inline")) {
        void this.#state.link.current().then((c) => c?.publisher.del(entry.resultKey).catch(() => undefined));
      } else this.#lookNow(entry);
      return;
    }
    void this.read(entry).then((found) => {
      if (!found && this.#state.jobs.get(entry.id) === entry) {
        this.#state.settings.warn(
          `BullMQExecutor: a "done" message for job ${entry.id} came, but its outcome is not in Redis; ` +
            `the job is looked at again by its pick-up check.`,
        );
      }
    });
  }

  /**
   * Reads the job's outcome from its result key and settles its tasks. Resolves `false` when there
   * is no outcome in Redis (yet, or any more), `true` when the job was settled or was already.
   */
  async read(entry: JobEntry): Promise<boolean> {
    const state = this.#state;
    if (state.jobs.get(entry.id) !== entry) return true;
    const c = await state.link.current();
    // Read and removed in one round trip.
    const replies = await c?.publisher
      .multi()
      .get(entry.resultKey)
      .del(entry.resultKey)
      .exec()
      .catch(() => null);
    const text = replies?.[0]?.[1];
    if (state.jobs.get(entry.id) !== entry) return true;
    if (typeof text !== "string") return false;
    this.#settle(entry, text, "key");
    return true;
  }

  /**
   * Settles a job's tasks with an outcome's text. A malformed outcome from the job's key fails
   * them (`WORKER_FAILED`); one that came with a signal is dropped with a warning and `false` is
   * returned (the key is read instead).
   */
  #settle(entry: JobEntry, text: string, from: "inline" | "key"): boolean {
    const state = this.#state;
    const outcome = parseOutcome(text, entry.tasks.length);
    if (!outcome.ok && from === "inline") {
      state.settings.warn(
        `BullMQExecutor: dropped a malformed outcome of job ${entry.id} on its reply channel (${outcome.why}): ` +
          `${excerpt(text)}. The outcome is read from Redis instead.`,
      );
      return false;
    }
    if (!outcome.ok) {
      state.fail(
        entry,
        new BullMQError(
          "WORKER_FAILED",
          `The outcome of job ${entry.id} (task ${entry.tasks[0]!.task.taskId}…) in Redis is malformed (${outcome.why}): ` +
            `${excerpt(text)}. Check that every worker on queue "${entry.queue.name}" runs this version of @hamilton-ts/bullmq, ` +
            `and that nothing else writes to its keys.`,
        ),
      );
      return true;
    }
    state.forget(entry);
    const o = outcome.value;
    if (o.kind === "failed") {
      const error = new BullMQError("WORKER_FAILED", `Worker ${o.worker} failed: ${o.message}`);
      for (const t of entry.tasks) t.reject(error);
      return true;
    }
    entry.tasks.forEach((t, i) => {
      const result = o.results[i]!;
      if (!result.ok) {
        t.reject(fromWire(result.error, o.worker));
        return;
      }
      try {
        t.resolve(decode(result.value) as Record<string, unknown>);
      } catch (error) {
        t.reject(
          new BullMQError(
            "WORKER_FAILED",
            `Worker ${o.worker} sent a result for task ${t.task.taskId} that cannot be read ` +
              `(${error instanceof Error ? error.message : String(error)}).`,
            { cause: error },
          ),
        );
      }
    });
    return true;
  }
}

/** The `jobId` of a malformed message, when it has a string one. */
function jobIdOf(text: string): string | undefined {
  try {
    const value: unknown = JSON.parse(text);
    const jobId = (value as { jobId?: unknown } | null)?.jobId;
    return typeof value === "object" && typeof jobId === "string" ? jobId : undefined;
  } catch {
    return undefined;
  }
}
