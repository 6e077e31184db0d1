/**
 * What a worker does with one job (internal): checks that the coordinator's run is alive (its
 * heartbeat key) and reads the fan-out's shared part (once per fan-out per worker), runs the
 * job's items — yielding to the event loop between items, so that BullMQ renews the job's lock
 * however many items a chunk holds — and leaves the outcome under the job's result key, with a
 * small signal on the coordinator's reply channel.
 *
 * @module
 */
import { type CacheStore, type Driver, type FanOutTask, findUncloneable } from "@hamilton-ts/core";
import type { Job } from "bullmq";
import type { Redis } from "ioredis";
import { toWire } from "./errors-wire.js";
import {
  INLINE_OUTCOME_BYTES,
  type JobData,
  type Outcome,
  type SharedPart,
  type Signal,
  type WireResult,
} from "./protocol.js";
import { type AnswerWatch, answerKey, answerNode, encodeAnswer } from "./task-answers.js";
import { decode, encode, nodeFix } from "./wire.js";

/** What a job runner needs. */
export interface JobContext {
  readonly driver: Driver;
  readonly publisher: Redis;
  /** This worker, `<host>:<pid>`. */
  readonly id: string;
  /** How long the items of a job may run without a pause for the event loop, in ms. */
  readonly sliceMs: number;
  /** The abort signal of a run (aborted runs are told over pub/sub). */
  readonly signalOf: (runId: string) => { signal: AbortSignal; release(): void };
  /** With a cache: where a task the cache answered or stored whole is kept, for the coordinator. */
  readonly answers?: TaskAnswers | undefined;
}

/** What a worker with a cache needs to store task answers (see `task-answers.ts`). */
export interface TaskAnswers {
  readonly store: CacheStore;
  readonly watch: AnswerWatch;
  /** The worker's `version` option (part of the answer key). */
  readonly version: string;
  /** Reports a store that fails (once per worker). */
  readonly warnOnce: (message: string) => void;
}

/** Fan-outs' shared parts read lately, by key (a chunk of one fan-out after another reads it once). */
const SHARED_CACHE = 16;

/** Leaves a job's outcome under its result key and signals the coordinator. */
export async function sendOutcome(publisher: Redis, data: JobData, jobId: string, outcome: Outcome): Promise<void> {
  // One round trip; the signal goes out only after the outcome is in place (a small outcome rides
  // along, so that the coordinator need not read it).
  const text = JSON.stringify(outcome);
  const signal: Signal =
    text.length <= INLINE_OUTCOME_BYTES ? { kind: "done", jobId, outcome: text } : { kind: "done", jobId };
  const replies = await publisher
    .multi()
    .set(data.resultKey, text, "PX", data.resultTtlMs)
    .publish(data.reply, JSON.stringify(signal))
    .exec();
  const failure = replies?.find(([error]) => error !== null)?.[0];
  if (replies === null || failure) throw failure ?? new Error("the outcome's transaction was discarded");
}

/** Makes the BullMQ processor of a worker. */
export function jobRunner(context: JobContext): (job: Job<JobData>) => Promise<void> {
  const { driver, publisher, id } = context;
  const cache = new Map<string, SharedPart>();
  /** When each run was last seen alive (ms since the epoch): trusted for a tenth of runTtlMs. */
  const seen = new Map<string, number>();

  const isAlive = async (data: JobData): Promise<boolean> => {
    const last = seen.get(data.runKey);
    if (last !== undefined && Date.now() - last < data.runTtlMs / 10) return true;
    const alive = (await publisher.exists(data.runKey)) === 1;
    seen.delete(data.runKey);
    if (alive) seen.set(data.runKey, Date.now());
    if (seen.size > SHARED_CACHE) seen.delete(seen.keys().next().value as string);
    return alive;
  };

  const sharedOf = async (key: string): Promise<SharedPart | undefined> => {
    const cached = cache.get(key);
    if (cached !== undefined) return cached;
    const text = await publisher.get(key);
    if (text === null) return undefined;
    const shared = decode(text) as SharedPart;
    cache.set(key, shared);
    if (cache.size > SHARED_CACHE) cache.delete(cache.keys().next().value as string);
    return shared;
  };

  return async (job) => {
    const data = job.data;
    const jobId = job.id!;
    // A task of a dead run (its coordinator stopped refreshing the heartbeat) is dropped, not run
    // for nobody; so is one of a fan-out that ended (aborted, or its coordinator closed).
    const alive = await isAlive(data);
    const shared = alive ? await sharedOf(data.sharedKey) : undefined;
    if (shared === undefined) {
      await sendOutcome(publisher, data, jobId, {
        kind: "failed",
        worker: id,
        message:
          `the task was dropped: ${alive ? "its fan-out's shared values are" : "its run's heartbeat is"} no longer in ` +
          `Redis (the coordinator stopped, closed, or did not refresh it within runTtlMs).`,
      });
      return;
    }
    const run = context.signalOf(data.runId);
    try {
      const attempt = Math.max(1, job.attemptsStarted);
      const results: Promise<WireResult>[] = [];
      let slice = performance.now();
      for (const { taskId, index, item } of data.items) {
        // Items whose nodes are synchronous run back to back: pause for the event loop now and
        // then, so that the lock renewal (a timer) runs during a long chunk.
        if (performance.now() - slice > context.sliceMs) {
          await new Promise((resolve) => setImmediate(resolve));
          slice = performance.now();
        }
        const task: FanOutTask = { ...shared, taskId, index, item: decode(item) };
        results.push(runOne(driver, task, run.signal, id, attempt, context.answers));
      }
      await sendOutcome(publisher, data, jobId, { kind: "done", worker: id, results: await Promise.all(results) });
    } finally {
      run.release();
    }
  };
}

async function runOne(
  driver: Driver,
  task: FanOutTask,
  signal: AbortSignal,
  worker: string,
  attempt: number,
  answers: TaskAnswers | undefined,
): Promise<WireResult> {
  try {
    let out: Record<string, unknown>;
    let whole = false;
    try {
      out = await driver.runTask(task, { signal, worker, attempt });
    } finally {
      whole = answers?.watch.settle(task) === true;
    }
    try {
      const value = encode(out, `the results of task ${task.taskId}`, "back to the coordinator", "");
      if (whole) await storeAnswer(answers!, task, out);
      return { ok: true, value };
    } catch (error) {
      // Refused: checked again per output (only now, not for every result), so that the refusal names the node.
      for (const [name, value] of Object.entries(out)) {
        if (findUncloneable(value) !== undefined) {
          encode(value, `node "${name}" (task ${task.taskId})`, "back to the coordinator", nodeFix(name));
        }
      }
      throw error;
    }
  } catch (error) {
    return { ok: false, error: toWire(error) };
  }
}

/**
 * Stores a task's outputs whole (before its result goes back, so that the coordinator's next run
 * finds it). A store that fails costs only the coordinator's shortcut: reported once, never the task's.
 */
async function storeAnswer(answers: TaskAnswers, task: FanOutTask, out: Record<string, unknown>): Promise<void> {
  const key = answerKey(task, answers.version);
  if (key === undefined) return;
  try {
    await answers.store.set(key, encodeAnswer(out), { node: answerNode(task) });
  } catch (error) {
    answers.warnOnce(
      `hamilton-ts cache: a worker could not store a task's answer in the cache store ` +
        `(${error instanceof Error ? error.message : String(error)}); the coordinator sends such tasks to workers until it can.`,
    );
  }
}
