/**
 * `BullMQExecutor`, the coordinator's task executor: its options, `runTask` and `close`. The work
 * is done by its parts: queueing and batching (`batching.ts`), the pick-up checks (`pick-up.ts`),
 * the reply channel (`replies.ts`), the connections (`link.ts`) and the bookkeeping of jobs,
 * fan-outs and run heartbeats (`executor-state.ts`).
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import type { CacheStore, FanOutTask, TaskExecutor } from "@hamilton-ts/core";
import { AnswerLookup } from "./answer-lookup.js";
import { Batcher } from "./batching.js";
import { checkConnection, checkPositive, type ConnectionOptions, DEFAULT_CONNECT_TIMEOUT_MS } from "./connection.js";
import { BullMQError } from "./errors.js";
import { ExecutorState } from "./executor-state.js";
import { RedisLink } from "./link.js";
import { PickUp } from "./pick-up.js";
import { checkQueueName, checkVersion, replyChannel } from "./protocol.js";
import { Replies } from "./replies.js";

/** Options of {@link BullMQExecutor}. */
export interface BullMQExecutorOptions {
  /** Where Redis is: ioredis options, e.g. `{ host: "127.0.0.1", port: 6379 }`. */
  readonly connection: ConnectionOptions;
  /**
   * The queue's name (no `:`), the same as the workers'. Tasks go to `<queueName>-<version hash>`,
   * so only workers with the same dataflow (and `version`) take them.
   */
  readonly queueName: string;
  /**
   * What the graph version does not see, added to it: a worker takes this executor's tasks only
   * when its `startWorker({ version })` is the same string. The graph version hashes the nodes'
   * function sources only, so a module constant a node reads (`const RATE = 2`) can differ between
   * coordinator and worker while the versions match, and the worker would silently compute other
   * results. Give both sides your release, or a hash of such constants and config files.
   * Default: none (`""`).
   */
  readonly version?: string;
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
  /**
   * How long a run's keys in Redis (its heartbeat and its fan-outs' shared values) outlive this
   * process, in ms (default 30,000). The executor refreshes them every third of it while the run
   * has tasks out; when the coordinator dies they expire, and workers drop the dead run's tasks
   * still queued instead of running them for nobody.
   */
  readonly runTtlMs?: number;
  /** Where warnings go (a malformed message on the reply channel). Default `console.warn`. */
  readonly onWarning?: (message: string) => void;
  /**
   * The cache store the workers use (`startWorker({ cache: { store } })`), shared — e.g. a
   * `RedisCacheStore` from `@hamilton-ts/cache-redis`. Before sending a task, the executor looks
   * for its answer there: a task whose item runs a worker answered or stored whole from the cache
   * before resolves here, without going to a worker (a second run whose items all hit sends none).
   * Default: none (every task goes to a worker).
   */
  readonly cacheStore?: CacheStore;
}

/**
 * A task executor for `Builder.withTaskExecutor` that runs fan-out items on BullMQ workers
 * ({@link startWorker}) through Redis: other processes, other machines.
 *
 * Each item (or chunk of `itemsPerJob` items) becomes a job on the queue of its graph version;
 * what the items of a fan-out share is written to Redis once; a worker runs the block and leaves
 * the outcome in Redis, which comes back in item order. Values cross by structured clone; values
 * that cannot are refused with a `BullMQError` naming the node. Tasks are at-least-once: a task
 * whose worker died runs again elsewhere.
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
  readonly #state: ExecutorState;
  readonly #batcher: Batcher;
  readonly #pickUp: PickUp;
  readonly #answers: AnswerLookup | undefined;

  constructor(options: BullMQExecutorOptions) {
    const where = "new BullMQExecutor(options)";
    if (options === null || typeof options !== "object") {
      throw new BullMQError("INVALID_OPTION", `${where}: options must be an object with connection and queueName.`);
    }
    const connection = checkConnection(options.connection, where);
    const queueName = checkQueueName(options.queueName, where);
    if (options.onWarning !== undefined && typeof options.onWarning !== "function") {
      throw new BullMQError("INVALID_OPTION", `${where}: onWarning must be a function (message: string) => void.`);
    }
    const connectTimeoutMs = checkPositive(
      options.connectTimeoutMs,
      "connectTimeoutMs",
      where,
      DEFAULT_CONNECT_TIMEOUT_MS,
    );
    const id = randomUUID();
    let replies: Replies | undefined;
    const link = new RedisLink(connection, connectTimeoutMs, replyChannel(queueName, id), {
      onMessage: (text) => replies?.onMessage(text),
      onLost: (error) => {
        for (const entry of [...this.#state.jobs.values()]) this.#state.fail(entry, error);
        this.#pickUp.stop();
      },
    });
    this.#state = new ExecutorState(
      {
        queueName,
        taskTimeoutMs: checkPositive(options.taskTimeoutMs, "taskTimeoutMs", where, 60_000),
        itemsPerJob: checkPositive(options.itemsPerJob, "itemsPerJob", where, 1),
        attempts: checkPositive(options.attempts, "attempts", where, 3),
        connectTimeoutMs,
        runTtlMs: checkPositive(options.runTtlMs, "runTtlMs", where, 30_000),
        version: checkVersion(options.version, where),
        warn: options.onWarning ?? ((message) => console.warn(message)),
        id,
      },
      link,
    );
    this.#pickUp = new PickUp(this.#state, () => replies!);
    replies = new Replies(
      this.#state,
      (entry) => this.#pickUp.startTimer(entry),
      (entry) => void this.#pickUp.lookNow(entry),
    );
    this.#batcher = new Batcher(this.#state, (entry) => this.#pickUp.startTimer(entry));
    const store = options.cacheStore;
    if (store !== undefined && (store === null || typeof store !== "object" || typeof store.get !== "function")) {
      throw new BullMQError(
        "INVALID_OPTION",
        `${where}: cacheStore must be a cache store (get, set, …), e.g. new RedisCacheStore({ connection }), got ${store === null ? "null" : typeof store}.`,
      );
    }
    this.#answers =
      store === undefined
        ? undefined
        : new AnswerLookup(
            store,
            this.#state.settings.version,
            ({ task, signal, resolve, reject }) => {
              if (this.#state.closed)
                reject(new BullMQError("CLOSED", "The BullMQExecutor was closed: create a new one."));
              else this.#batcher.add({ task, resolve, reject }, signal);
            },
            this.#state.settings.warn,
          );
  }

  /** Sends one item's block to the workers; see `TaskExecutor`. */
  runTask(task: FanOutTask, signal: AbortSignal): Promise<Readonly<Record<string, unknown>>> {
    if (this.#state.closed)
      return Promise.reject(new BullMQError("CLOSED", "The BullMQExecutor was closed: create a new one."));
    if (this.#answers !== undefined) return this.#answers.run(task, signal);
    return new Promise((resolve, reject) => this.#batcher.add({ task, resolve, reject }, signal));
  }

  /**
   * Closes the executor: tasks still waiting for a result fail with `CLOSED`, its jobs that no
   * worker has taken yet and its keys (shared values, run heartbeats, unread outcomes) are removed
   * from Redis, and its connections close. Call it once the runs are done (a script that does not
   * keeps running).
   */
  async close(): Promise<void> {
    const state = this.#state;
    if (state.closed) return;
    state.closed = true;
    this.#pickUp.stop();
    state.stop();
    const jobs = [...state.jobs.values()];
    const fanOuts = [...state.fanOuts];
    const runs = [...state.runs.values()];
    for (const entry of jobs) {
      for (const t of entry.tasks)
        t.reject(new BullMQError("CLOSED", "The BullMQExecutor was closed while the task ran."));
    }
    state.jobs.clear();
    state.fanOuts.clear();
    state.runs.clear();
    // Its jobs no worker has taken yet leave Redis (no worker runs a closed coordinator's tasks),
    // and so do its keys; a job a worker holds is locked and stays (its worker drops it, finding
    // the run's heartbeat gone). Bounded: Redis may be gone.
    const c = await state.link.current();
    if (c !== undefined) {
      const keys = [
        ...fanOuts.map((f) => f.sharedKey),
        ...runs.map((r) => r.key),
        ...jobs.map((entry) => entry.resultKey),
      ];
      await within(
        Promise.allSettled([
          ...jobs.filter((entry) => !entry.taken).map((entry) => entry.queue.remove(entry.id)),
          keys.length > 0 ? c.publisher.del(...keys) : undefined,
        ]),
        state.settings.connectTimeoutMs,
      );
    }
    await state.link.close();
  }
}

/** Waits for `promise`, or `ms` at most. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
