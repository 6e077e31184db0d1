import { randomUUID } from "node:crypto";
import type { FanOutTask, TaskExecutor } from "@hamilton-ts/core";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import {
  checkConnection,
  checkPositive,
  connect,
  type ConnectionOptions,
  DEFAULT_CONNECT_TIMEOUT_MS,
  watchConnection,
  whereIs,
} from "./connection.js";
import { BullMQError } from "./errors.js";
import { fromWire } from "./errors-wire.js";
import {
  abortChannel,
  checkQueueName,
  type JobData,
  type ReplyMessage,
  replyChannel,
  type SharedPart,
  versionedQueue,
} from "./protocol.js";
import { configFix, decode, encode, nodeFix } from "./wire.js";

/** Options of {@link BullMQExecutor}. */
export interface BullMQExecutorOptions {
  /** Where Redis is: ioredis options, e.g. `{ host: "127.0.0.1", port: 6379 }`. */
  readonly connection: ConnectionOptions;
  /**
   * The queue's name (no `:`), the same as the workers'. Tasks go to `<queueName>-<graph version>`,
   * so only workers with the same dataflow take them.
   */
  readonly queueName: string;
  /**
   * Pick-up timeout: how long a queued (or re-queued) task may wait, with no worker of its graph
   * version connected, before the run fails with `NO_WORKER`, in ms. Default 60,000. While such
   * workers are connected (busy with other tasks) a task waits on; it does not bound how long a
   * task runs once taken.
   */
  readonly taskTimeoutMs?: number;
  /**
   * Items per job (default 1): more items per job cost fewer Redis round trips (10,000 tiny items
   * go several times faster in chunks of 100), at the price of coarser distribution and of a
   * whole chunk being re-run when its worker dies.
   */
  readonly itemsPerJob?: number;
  /**
   * BullMQ attempts per job (default 3): how often a job is tried when its worker fails outside
   * the dataflow's nodes. A node's own failure is never retried: it fails the run.
   */
  readonly attempts?: number;
  /** How long to wait for Redis before `execute` fails with `CONNECTION`, in ms. Default 5,000. */
  readonly connectTimeoutMs?: number;
}

/** One task waiting for its outcome. */
interface Pending {
  readonly task: FanOutTask;
  resolve(value: Readonly<Record<string, unknown>>): void;
  reject(error: unknown): void;
}

/** One job in flight: its tasks and its pick-up deadline. */
interface JobEntry {
  readonly id: string;
  readonly queue: Queue;
  readonly runId: string;
  readonly tasks: Pending[];
  /** When the queue's pick-up check looks at it next (ms since the epoch). */
  deadline: number;
  taken: boolean;
}

/** A fan-out's tasks gathered in one tick, sent as jobs together. */
interface Batch {
  readonly tasks: Pending[];
  readonly signal: AbortSignal;
}

/** Waits for `promise`, or `ms` at most. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** Whether two tasks run the same block (same fan-out of the same run, same nodes and inputs). */
function sameBlock(a: FanOutTask, b: FanOutTask): boolean {
  return (
    a.runId === b.runId &&
    a.graphVersion === b.graphVersion &&
    a.parallelizeName === b.parallelizeName &&
    a.outer === b.outer &&
    a.config === b.config &&
    a.runContexts === b.runContexts &&
    sameList(a.nodes, b.nodes) &&
    sameList(a.outputs, b.outputs) &&
    sameList(a.computedByWorker, b.computedByWorker)
  );
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a === b || (a.length === b.length && a.every((x, i) => x === b[i]));
}

interface Connected {
  readonly publisher: Redis;
  readonly subscriber: Redis;
  /** Stops watching the connections. */
  readonly unwatch: () => void;
}

/**
 * A task executor for `Builder.withTaskExecutor` that runs fan-out items on BullMQ workers
 * ({@link startWorker}) through Redis: other processes, other machines.
 *
 * Each item (or chunk of `itemsPerJob` items) becomes a job on the queue `<queueName>-<graph
 * version>`; a worker runs the block and publishes the results, which come back in item order.
 * Values cross by structured clone; values that cannot are refused with a `BullMQError` naming
 * the node. Tasks are at-least-once: a task whose worker died runs again elsewhere.
 *
 * @example
 * ```ts
 * const executor = new BullMQExecutor({ connection: { host, port }, queueName: "docs" });
 * const dr = new Builder().withModules(dataflow).withTaskExecutor(executor).build();
 * await dr.execute(["report"], { inputs: { urls } });
 * await executor.close();
 * ```
 */
export class BullMQExecutor implements TaskExecutor {
  readonly #connection: ConnectionOptions;
  readonly #queueName: string;
  readonly #taskTimeoutMs: number;
  readonly #itemsPerJob: number;
  readonly #attempts: number;
  readonly #connectTimeoutMs: number;
  readonly #id = randomUUID();
  readonly #queues = new Map<string, Queue>();
  readonly #jobs = new Map<string, JobEntry>();
  readonly #aborts = new WeakSet<AbortSignal>();
  /** Each queue's pick-up check timer (see #schedule). */
  readonly #checks = new Map<Queue, ReturnType<typeof setTimeout>>();
  #connected: Promise<Connected> | undefined;
  #batch: Batch | undefined;
  #closed = false;

  constructor(options: BullMQExecutorOptions) {
    const where = "new BullMQExecutor(options)";
    if (options === null || typeof options !== "object") {
      throw new BullMQError("INVALID_OPTION", `${where}: options must be an object with connection and queueName.`);
    }
    this.#connection = checkConnection(options.connection, where);
    this.#queueName = checkQueueName(options.queueName, where);
    this.#taskTimeoutMs = checkPositive(options.taskTimeoutMs, "taskTimeoutMs", where, 60_000);
    this.#itemsPerJob = checkPositive(options.itemsPerJob, "itemsPerJob", where, 1);
    this.#attempts = checkPositive(options.attempts, "attempts", where, 3);
    this.#connectTimeoutMs = checkPositive(
      options.connectTimeoutMs,
      "connectTimeoutMs",
      where,
      DEFAULT_CONNECT_TIMEOUT_MS,
    );
  }

  /** Sends one item's block to the workers; see `TaskExecutor`. */
  runTask(task: FanOutTask, signal: AbortSignal): Promise<Readonly<Record<string, unknown>>> {
    if (this.#closed)
      return Promise.reject(new BullMQError("CLOSED", "The BullMQExecutor was closed: create a new one."));
    return new Promise((resolve, reject) => {
      const pending: Pending = { task, resolve, reject };
      let batch = this.#batch;
      // One batch per block: two fan-outs of a run that start together are two blocks, each
      // sent with its own nodes, outputs, outer values and collect.
      if (batch === undefined || batch.signal !== signal || !sameBlock(batch.tasks[0]!.task, task)) {
        if (batch !== undefined) this.#send(batch);
        batch = this.#batch = { tasks: [], signal };
        const started = batch;
        queueMicrotask(() => {
          if (this.#batch === started) this.#batch = undefined;
          this.#send(started);
        });
      }
      batch.tasks.push(pending);
    });
  }

  /**
   * Closes the executor's Redis connections. Tasks still waiting for a result fail with
   * `CLOSED`, and its jobs that no worker has taken yet are removed from Redis. Call it once the
   * runs are done (a script that does not keeps running).
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const jobs = [...this.#jobs.values()];
    for (const job of jobs) {
      for (const t of job.tasks)
        t.reject(new BullMQError("CLOSED", "The BullMQExecutor was closed while the task ran."));
    }
    this.#jobs.clear();
    for (const timer of this.#checks.values()) clearTimeout(timer);
    this.#checks.clear();
    // Its jobs no worker has taken yet leave Redis (no worker runs a closed coordinator's tasks),
    // all at once; a job a worker holds is locked and stays. Bounded: Redis may be gone.
    const untaken = jobs.filter((job) => !job.taken);
    if (untaken.length > 0) {
      await within(Promise.allSettled(untaken.map((job) => job.queue.remove(job.id))), this.#connectTimeoutMs);
    }
    const connected = this.#connected;
    await Promise.allSettled([...this.#queues.values()].map((q) => q.close()));
    if (connected !== undefined) {
      const c = await connected.catch(() => undefined);
      c?.unwatch();
      c?.subscriber.disconnect();
      c?.publisher.disconnect();
    }
  }

  /**
   * The connection to Redis was lost and did not come back within `connectTimeoutMs`: every task
   * waiting for a result fails with `CONNECTION`, and the next run connects again.
   */
  #lost(lost: Promise<Connected>, c: Connected): void {
    if (this.#connected !== lost || this.#closed) return;
    this.#connected = undefined;
    c.unwatch();
    const queues = [...this.#queues.values()];
    this.#queues.clear();
    const error = new BullMQError(
      "CONNECTION",
      `Lost the connection to Redis at ${whereIs(this.#connection)}, and it did not come back within ` +
        `${this.#connectTimeoutMs} ms (connectTimeoutMs): the run's pending tasks failed. Check that Redis is running ` +
        `and reachable, then run again (the executor connects again on the next run).`,
    );
    for (const entry of [...this.#jobs.values()]) {
      this.#forget(entry);
      for (const t of entry.tasks) t.reject(error);
    }
    for (const timer of this.#checks.values()) clearTimeout(timer);
    this.#checks.clear();
    // Commands waiting for the lost connection fail now ("Connection is closed"), not never.
    c.subscriber.disconnect();
    c.publisher.disconnect();
    void Promise.allSettled(queues.map((q) => q.close()));
  }

  #send(batch: Batch): void {
    this.#sendAsync(batch).catch((error: unknown) => {
      for (const t of batch.tasks) t.reject(error);
    });
  }

  async #sendAsync(batch: Batch): Promise<void> {
    const { tasks, signal } = batch;
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
    for (const [name, value] of Object.entries(first.outer)) {
      encode(value, `node "${name}" (read by task ${first.taskId})`, "to a worker", nodeFix(name));
    }
    for (const [key, value] of Object.entries(first.config)) {
      encode(value, `config value "${key}"`, "to a worker", configFix(key));
    }
    const sharedText = encode(shared, `the tasks of "${first.parallelizeName}"`, "to a worker", "");
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
    const { publisher } = await this.#connect();
    const queueName = versionedQueue(this.#queueName, first.graphVersion);
    const queue = this.#queue(queueName, publisher);
    const reply = replyChannel(this.#queueName, this.#id);
    const jobs: Array<{ name: string; data: JobData; opts: { jobId: string } }> = [];
    const entries: JobEntry[] = [];
    for (let i = 0; i < tasks.length; i += this.#itemsPerJob) {
      const id = randomUUID();
      const chunk = tasks.slice(i, i + this.#itemsPerJob);
      jobs.push({
        name: first.parallelizeName,
        data: { reply, runId: first.runId, shared: sharedText, items: items.slice(i, i + this.#itemsPerJob) },
        opts: { jobId: id },
      });
      const entry: JobEntry = { id, queue, runId: first.runId, tasks: chunk, deadline: Infinity, taken: false };
      entries.push(entry);
    }
    if (signal.aborted) throw signal.reason;
    for (const entry of entries) this.#jobs.set(entry.id, entry);
    this.#watchAbort(signal, first.runId);
    try {
      await queue.addBulk(
        jobs.map((j) => ({
          name: j.name,
          data: j.data,
          opts: {
            ...j.opts,
            attempts: this.#attempts,
            // Kept a while: its return value is its outcome, read when the published one was lost.
            removeOnComplete: { age: Math.ceil((3 * this.#taskTimeoutMs) / 1000), count: 10_000 },
            removeOnFail: true,
          },
        })),
      );
      // Timed from when the jobs are in Redis (a job not there yet is not a lost one).
      for (const entry of entries) if (this.#jobs.has(entry.id)) this.#startTimer(entry);
    } catch (error) {
      for (const entry of entries) this.#forget(entry);
      if (BullMQError.isInstance(error)) throw error;
      throw new BullMQError(
        "CONNECTION",
        `Could not queue the tasks of run ${first.runId} on Redis at ${whereIs(this.#connection)} ` +
          `(${error instanceof Error ? error.message : String(error)}). Check that Redis is running and reachable, then run again.`,
        { cause: error },
      );
    }
  }

  #queue(name: string, connection: Redis): Queue {
    let queue = this.#queues.get(name);
    if (queue === undefined) {
      queue = new Queue(name, { connection });
      queue.on("error", () => undefined); // reported where it matters: the commands that fail
      this.#queues.set(name, queue);
    }
    return queue;
  }

  /** One abort listener per run (a listener per task trips MaxListenersExceededWarning). */
  #watchAbort(signal: AbortSignal, runId: string): void {
    if (this.#aborts.has(signal)) return;
    this.#aborts.add(signal);
    signal.addEventListener(
      "abort",
      () => {
        void this.#abortRun(runId, signal.reason);
      },
      { once: true },
    );
  }

  /** Removes the run's queued jobs (their tasks fail with the abort) and tells workers to abort. */
  async #abortRun(runId: string, reason: unknown): Promise<void> {
    const c = await this.#connected?.catch(() => undefined);
    if (c === undefined) return;
    c.publisher.publish(abortChannel(this.#queueName), runId).catch(() => undefined);
    const queued = [...this.#jobs.values()].filter((entry) => entry.runId === runId && !entry.taken);
    await Promise.all(
      queued.map(async (entry) => {
        const removed = await entry.queue.remove(entry.id).catch(() => 0);
        if (removed === 1) {
          this.#forget(entry);
          for (const t of entry.tasks) t.reject(reason);
        }
      }),
    );
  }

  /** The job is looked at again `taskTimeoutMs` from now, by its queue's pick-up check. */
  #startTimer(entry: JobEntry): void {
    entry.deadline = Date.now() + this.#taskTimeoutMs;
    this.#schedule(entry.queue);
  }

  /**
   * One pick-up check per queue (not a timer per job): it wakes at the earliest deadline of the
   * queue's jobs, counts the queue's workers once, and looks at every job that is due.
   */
  #schedule(queue: Queue): void {
    if (this.#closed || this.#checks.has(queue)) return;
    let earliest = Infinity;
    for (const entry of this.#jobs.values()) if (entry.queue === queue) earliest = Math.min(earliest, entry.deadline);
    if (earliest === Infinity) return;
    const timer = setTimeout(() => void this.#check(queue), Math.max(0, earliest - Date.now()));
    // The Redis connections keep a waiting run's process alive; the check alone does not.
    timer.unref();
    this.#checks.set(queue, timer);
  }

  async #check(queue: Queue): Promise<void> {
    const now = Date.now();
    const due = [...this.#jobs.values()].filter((entry) => entry.queue === queue && entry.deadline <= now);
    try {
      if (due.length > 0) {
        // Workers of the version are there but busy (a long fan-out): a queued job waits on.
        const workers = await queue.getWorkersCount().catch(() => 0);
        await Promise.all(due.map((entry) => this.#pickUpTimeout(entry, workers)));
      }
    } finally {
      this.#checks.delete(queue);
      this.#schedule(queue);
    }
  }

  async #pickUpTimeout(entry: JobEntry, workers: number): Promise<void> {
    if (!this.#jobs.has(entry.id)) return;
    entry.deadline = Infinity; // set again below by #startTimer, or forgotten
    const state = await entry.queue.getJobState(entry.id).catch(() => "error");
    if (!this.#jobs.has(entry.id)) return;
    if (state === "completed") {
      // Done, but its outcome never arrived (a reply lost while the subscriber reconnected): it is
      // the job's return value.
      const job = await entry.queue.getJob(entry.id).catch(() => undefined);
      if (!this.#jobs.has(entry.id)) return;
      const text: unknown = job?.returnvalue;
      if (typeof text === "string") this.#onReply(text);
      else this.#lostResult(entry, "it completed, but its outcome is not in Redis");
      return;
    }
    if (state === "unknown") {
      // Gone from Redis while still awaited: it failed or completed and was removed, and the
      // message saying so was lost. Waiting on would wait forever.
      this.#lostResult(entry, "it is no longer in Redis");
      return;
    }
    let orphaned = false;
    if (state === "active") {
      // Taken: its outcome is on its way while its worker holds the lock (a worker that dies
      // loses it; another worker's stall check gives the job back: "requeued"). Checked again
      // later; a job whose lock has lapsed with no worker to take it back is orphaned.
      const lock = await (await this.#connect()).publisher
        .exists(`${entry.queue.qualifiedName}:${entry.id}:lock`)
        .catch(() => 1);
      if (lock === 1 || !this.#jobs.has(entry.id)) {
        entry.taken = true;
        if (this.#jobs.has(entry.id)) this.#startTimer(entry);
        return;
      }
      orphaned = true;
    }
    if (!this.#jobs.has(entry.id)) return;
    if (workers > 0) {
      this.#startTimer(entry);
      return;
    }
    await entry.queue.remove(entry.id).catch(() => 0);
    this.#forget(entry);
    const first = entry.tasks[0]!.task;
    const error = new BullMQError(
      "NO_WORKER",
      `No worker took task ${first.taskId} of run ${first.runId} within ${this.#taskTimeoutMs} ms (taskTimeoutMs): ` +
        (orphaned ? "the worker that had taken it stopped, and no other worker took it back; " : "") +
        `no worker listens to queue "${entry.queue.name}" (queueName "${this.#queueName}", graph version ${first.graphVersion}). ` +
        `Start workers (startWorker) with the same queueName, dataflow code and config variants, or raise taskTimeoutMs ` +
        `(a worker's graph version is its startWorker(...).graphVersion: code built differently, or config that selects ` +
        `other configWhen variants, gives another version, whose workers never take these tasks).`,
    );
    for (const t of entry.tasks) t.reject(error);
  }

  /** Fails a job's tasks whose outcome was lost on the way back. */
  #lostResult(entry: JobEntry, what: string): void {
    this.#forget(entry);
    const first = entry.tasks[0]!.task;
    const error = new BullMQError(
      "CONNECTION",
      `The outcome of task ${first.taskId} of run ${first.runId} (job ${entry.id} on queue "${entry.queue.name}") ` +
        `was lost: ${what}, and its result message never arrived (the reply connection to Redis at ` +
        `${whereIs(this.#connection)} dropped while it was sent). Run again; check that Redis is stable.`,
    );
    for (const t of entry.tasks) t.reject(error);
  }

  #forget(entry: JobEntry): void {
    this.#jobs.delete(entry.id);
  }

  #onReply(text: string): void {
    let message: ReplyMessage;
    try {
      message = JSON.parse(text) as ReplyMessage;
    } catch {
      return;
    }
    const entry = this.#jobs.get(message.jobId);
    if (entry === undefined) return; // a duplicate (at-least-once) or another run's leftover
    switch (message.kind) {
      case "requeued":
        entry.taken = false;
        this.#startTimer(entry);
        return;
      case "failed": {
        this.#forget(entry);
        const error = new BullMQError("WORKER_FAILED", `Worker ${message.worker} failed: ${message.message}`);
        for (const t of entry.tasks) t.reject(error);
        return;
      }
      case "done":
        this.#forget(entry);
        entry.tasks.forEach((t, i) => {
          const result = message.results[i];
          if (result === undefined)
            t.reject(new BullMQError("WORKER_FAILED", `Worker ${message.worker} sent no result.`));
          else if (result.ok) {
            try {
              t.resolve(decode(result.value) as Record<string, unknown>);
            } catch (error) {
              t.reject(error);
            }
          } else t.reject(fromWire(result.error, message.worker));
        });
        return;
    }
  }

  #connect(): Promise<Connected> {
    this.#connected ??= this.#open();
    // A failed connection is tried again by the next run.
    this.#connected.catch(() => {
      this.#connected = undefined;
    });
    return this.#connected;
  }

  async #open(): Promise<Connected> {
    const ignore = (): void => undefined;
    const publisher = await connect(this.#connection, this.#connectTimeoutMs, ignore);
    let subscriber: Redis;
    try {
      subscriber = await connect(this.#connection, this.#connectTimeoutMs, ignore);
    } catch (error) {
      publisher.disconnect();
      throw error;
    }
    subscriber.on("message", (_channel: string, text: string) => this.#onReply(text));
    await subscriber.subscribe(replyChannel(this.#queueName, this.#id));
    if (this.#closed) {
      publisher.disconnect();
      subscriber.disconnect();
      throw new BullMQError("CLOSED", "The BullMQExecutor was closed: create a new one.");
    }
    const opened = this.#connected;
    const stops: Array<() => void> = [];
    const c: Connected = {
      publisher,
      subscriber,
      unwatch: () => {
        for (const stop of stops) stop();
      },
    };
    for (const redis of [publisher, subscriber]) {
      stops.push(
        watchConnection(redis, this.#connectTimeoutMs, () => {
          if (opened !== undefined) this.#lost(opened, c);
        }),
      );
    }
    return c;
  }
}
