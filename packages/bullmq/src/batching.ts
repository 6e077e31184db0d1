/**
 * Queueing (internal): gathers the tasks of one fan-out that arrive in one tick into a batch,
 * writes what they share to Redis once (a key per fan-out, with a TTL the heartbeat refreshes),
 * adds their jobs (`itemsPerJob` items each) in one bulk, and on an abort removes the run's
 * queued jobs.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import type { FanOutTask } from "@hamilton-ts/core";
import { BullMQError } from "./errors.js";
import type { ExecutorState, JobEntry, Pending } from "./executor-state.js";
import {
  abortChannel,
  type JobData,
  replyChannel,
  resultKey,
  runKey,
  type SharedPart,
  sharedKey,
  versionedQueue,
} from "./protocol.js";
import { configFix, encode, nodeFix } from "./wire.js";

/** A fan-out's tasks gathered in one tick, sent as jobs together. */
interface Batch {
  readonly tasks: Pending[];
  readonly signal: AbortSignal;
}

/**
 * Whether two tasks run the same block: same run, graph version and fan-out, the same nodes and
 * outputs, and equal (by value) outer values, config and run contexts. Core hands the tasks of one
 * fan-out the same objects, so the by-value comparison only runs for tasks built otherwise.
 */
export function sameBlock(a: FanOutTask, b: FanOutTask): boolean {
  return (
    a.runId === b.runId &&
    a.graphVersion === b.graphVersion &&
    a.parallelizeName === b.parallelizeName &&
    sameList(a.nodes, b.nodes) &&
    sameList(a.outputs, b.outputs) &&
    sameList(a.computedByWorker, b.computedByWorker) &&
    sameValue(a.outer, b.outer) &&
    sameValue(a.config, b.config) &&
    sameValue(a.runContexts, b.runContexts)
  );
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a === b || (a.length === b.length && a.every((x, i) => x === b[i]));
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || isDeepStrictEqual(a, b);
}

export class Batcher {
  readonly #state: ExecutorState;
  readonly #onQueued: (entry: JobEntry) => void;
  readonly #aborts = new WeakSet<AbortSignal>();
  #batch: Batch | undefined;

  /** `onQueued` is called for each job once it is in Redis (its pick-up timer starts). */
  constructor(state: ExecutorState, onQueued: (entry: JobEntry) => void) {
    this.#state = state;
    this.#onQueued = onQueued;
  }

  /** Adds a task to the current batch (or starts one), sent at the end of the tick. */
  add(pending: Pending, signal: AbortSignal): void {
    let batch = this.#batch;
    // One batch per block: two fan-outs of a run that start together are two blocks, each
    // sent with its own nodes, outputs, outer values and collect.
    if (batch === undefined || batch.signal !== signal || !sameBlock(batch.tasks[0]!.task, pending.task)) {
      if (batch !== undefined) this.#send(batch);
      batch = this.#batch = { tasks: [], signal };
      const started = batch;
      queueMicrotask(() => {
        if (this.#batch === started) this.#batch = undefined;
        this.#send(started);
      });
    }
    batch.tasks.push(pending);
  }

  #send(batch: Batch): void {
    this.#sendAsync(batch).catch((error: unknown) => {
      for (const t of batch.tasks) t.reject(error);
    });
  }

  async #sendAsync(batch: Batch): Promise<void> {
    const { tasks, signal } = batch;
    const state = this.#state;
    const { queueName, id, runTtlMs, itemsPerJob, attempts, taskTimeoutMs } = state.settings;
    if (signal.aborted) throw signal.reason;
    const first = tasks[0]!.task;
    // Values are checked and encoded before anything is sent: a refused value fails the run at once.
    const shared: SharedPart = {
      runId: first.runId,
      graphVersion: first.graphVersion,
      parallelizeName: first.parallelizeName,
      nodes: first.nodes,
      outputs: first.outputs,
      outer: first.outer,
      computedByWorker: first.computedByWorker,
      config: first.config,
      runContexts: first.runContexts,
    };
    let sharedText: string;
    try {
      sharedText = encode(shared, `the tasks of "${first.parallelizeName}"`, "to a worker", "");
    } catch (error) {
      // Refused: each value is encoded alone (only now, not on every batch), so that the refusal names it.
      for (const [name, value] of Object.entries(first.outer)) {
        encode(value, `node "${name}" (read by task ${first.taskId})`, "to a worker", nodeFix(name));
      }
      for (const [key, value] of Object.entries(first.config)) {
        encode(value, `config value "${key}"`, "to a worker", configFix(key));
      }
      throw error;
    }
    const items = tasks.map((t) => ({
      taskId: t.task.taskId,
      index: t.task.index,
      item: encode(
        t.task.item,
        `node "${first.parallelizeName}" (item of task ${t.task.taskId})`,
        "to a worker",
        nodeFix(first.parallelizeName),
      ),
    }));
    const { publisher } = await state.link.connect();
    const queue = state.link.queue(versionedQueue(queueName, first.graphVersion, state.settings.version), publisher);
    if (signal.aborted) throw signal.reason;
    const fanOut = state.openFanOut(
      first.runId,
      runKey(queueName, id, first.runId),
      sharedKey(queueName, id, randomUUID()),
    );
    const reply = replyChannel(queueName, id);
    // Kept while its coordinator may still look for it: past the pick-up check that finds a lost signal.
    const resultTtlMs = 3 * taskTimeoutMs + runTtlMs;
    const entries: JobEntry[] = [];
    const jobs: Array<{ name: string; data: JobData; opts: Record<string, unknown> }> = [];
    for (let i = 0; i < tasks.length; i += itemsPerJob) {
      const jobId = randomUUID();
      const entry: JobEntry = {
        id: jobId,
        queue,
        fanOut,
        resultKey: resultKey(queueName, id, jobId),
        tasks: tasks.slice(i, i + itemsPerJob),
        deadline: Infinity,
        taken: false,
      };
      entries.push(entry);
      jobs.push({
        name: first.parallelizeName,
        data: {
          reply,
          runId: first.runId,
          runKey: fanOut.run.key,
          sharedKey: fanOut.sharedKey,
          resultKey: entry.resultKey,
          resultTtlMs,
          runTtlMs,
          items: items.slice(i, i + itemsPerJob),
        },
        // A job leaves Redis when it finishes: its outcome travels under its result key.
        opts: { jobId, attempts, removeOnComplete: true, removeOnFail: true },
      });
    }
    for (const entry of entries) state.track(entry);
    this.#watchAbort(signal, first.runId);
    try {
      await publisher
        .multi()
        .set(fanOut.sharedKey, sharedText, "PX", runTtlMs)
        .set(fanOut.run.key, "1", "PX", runTtlMs)
        .exec();
      await queue.addBulk(jobs);
      // Timed from when the jobs are in Redis (a job not there yet is not a lost one).
      for (const entry of entries) if (state.jobs.get(entry.id) === entry) this.#onQueued(entry);
    } catch (error) {
      for (const entry of entries) state.forget(entry);
      if (fanOut.jobs === 0) state.closeFanOut(fanOut);
      if (BullMQError.isInstance(error)) throw error;
      throw new BullMQError(
        "CONNECTION",
        `Could not queue the tasks of run ${first.runId} on Redis at ${state.link.where} ` +
          `(${error instanceof Error ? error.message : String(error)}). Check that Redis is running and reachable, then run again.`,
        { cause: error },
      );
    }
  }

  /** One abort listener per run (a listener per task trips MaxListenersExceededWarning). */
  #watchAbort(signal: AbortSignal, runId: string): void {
    if (this.#aborts.has(signal)) return;
    this.#aborts.add(signal);
    signal.addEventListener("abort", () => void this.#abortRun(runId, signal.reason), { once: true });
  }

  /** Removes the run's queued jobs (their tasks fail with the abort) and tells workers to abort. */
  async #abortRun(runId: string, reason: unknown): Promise<void> {
    const state = this.#state;
    const c = await state.link.current();
    if (c === undefined) return;
    c.publisher.publish(abortChannel(state.settings.queueName), runId).catch(() => undefined);
    const queued = [...state.jobs.values()].filter((entry) => entry.fanOut.runId === runId && !entry.taken);
    await Promise.all(
      queued.map(async (entry) => {
        const removed = await entry.queue.remove(entry.id).catch(() => 0);
        if (removed === 1) state.fail(entry, reason);
      }),
    );
  }
}
