/**
 * `startWorker`: a worker process's side. Builds the dataflow, listens to the queue of its graph
 * version (and `version`), runs jobs (`worker-jobs.ts`), hands back jobs whose worker died, and
 * closes within `closeTimeoutMs` even when Redis is gone.
 *
 * @module
 */
import { setMaxListeners } from "node:events";
import { hostname } from "node:os";
import { Builder, type CacheOptions, type Driver, HamiltonError } from "@hamilton-ts/core";
import type { LifecycleAdapter } from "@hamilton-ts/lifecycle";
import { type Job, Worker } from "bullmq";
import type { Redis } from "ioredis";
import {
  JOB_DATA_FIELD,
  jobKey,
  LOCK_RENEWAL_TEXT,
  MISSING_LOCK_TEXT,
  STALLED_LIMIT_TEXT,
} from "./bullmq-internals.js";
import {
  checkConnection,
  checkPositive,
  connect,
  type ConnectionOptions,
  DEFAULT_CONNECT_TIMEOUT_MS,
  subscribe,
} from "./connection.js";
import { BullMQError } from "./errors.js";
import { abortChannel, checkQueueName, checkVersion, type JobData, type Signal, versionedQueue } from "./protocol.js";
import { AnswerWatch } from "./task-answers.js";
import { jobRunner, sendOutcome } from "./worker-jobs.js";
import { workerName } from "./worker-name.js";

/** Options of {@link startWorker}. */
export interface WorkerOptions {
  /** Where Redis is: ioredis options, e.g. `{ host: "127.0.0.1", port: 6379 }`. */
  readonly connection: ConnectionOptions;
  /** The queue's name, the same as the coordinator's `BullMQExecutor`'s. */
  readonly queueName: string;
  /** The dataflow's modules, as given to the coordinator's `Builder.withModules`. */
  readonly modules: readonly object[];
  /**
   * The worker's config. Config selects `configWhen` variants, so it must give the coordinator's
   * graph version; the coordinator's config values travel with each task and win inside it.
   */
  readonly config?: Readonly<Record<string, unknown>>;
  /**
   * Lifecycle adapters: a tracer and a tracker put the worker's node runs into the coordinator's
   * trace and run record (through the run context each task carries).
   */
  readonly adapters?: readonly LifecycleAdapter[];
  /**
   * The cache the fan-out items use on this worker, as `Builder.withCache(options)` takes it —
   * give it the coordinator's store, shared (`{ store: new RedisCacheStore(...) }` from
   * `@hamilton-ts/cache-redis`): an item's nodes are then looked up and stored per item under the
   * same keys as in the coordinator's own process, so a run whose items all hit computes none of
   * them. Default: no cache (items always compute).
   */
  readonly cache?: CacheOptions;
  /** Jobs this worker runs at once (default 10). Items of one job (`itemsPerJob`) run concurrently too. */
  readonly concurrency?: number;
  /**
   * How long a job's lock lasts without renewal, in ms (default 10,000; renewed every half). A
   * killed worker's jobs are taken back after at most `lockDurationMs + stalledIntervalMs`
   * (15 s by default). A node that blocks the event loop longer than half of it lets the lock
   * lapse: the job is taken as stalled and runs again elsewhere (a duplicate run, and a failure
   * after `maxStalledCount`). Raise it for nodes that block the event loop long.
   */
  readonly lockDurationMs?: number;
  /** How often this worker looks for stalled jobs (any worker's), in ms (default 5,000). */
  readonly stalledIntervalMs?: number;
  /** How often a job may stall (its worker died) before it fails (default 2). */
  readonly maxStalledCount?: number;
  /** How long to wait for Redis before `startWorker` rejects with `CONNECTION`, in ms. Default 5,000. */
  readonly connectTimeoutMs?: number;
  /**
   * The coordinator's `BullMQExecutor({ version })`: this worker takes only tasks of the same
   * graph version and the same `version` (default none, `""`). Use it for what the graph version
   * does not see — module constants the nodes read (`const RATE = 2`), config files — e.g. your
   * release, or a hash of those constants.
   */
  readonly version?: string;
  /**
   * How long `close()` waits for the tasks it holds to finish and for Redis, in ms (default
   * 5,000); then it force-closes (a held task goes back to the queue when its lock expires).
   */
  readonly closeTimeoutMs?: number;
  /** Where warnings go (a job's lock that lapsed). Default `console.warn`. */
  readonly onWarning?: (message: string) => void;
}

/** A running worker ({@link startWorker}). */
export interface HamiltonWorker {
  /** The graph version of the worker's dataflow: it takes only tasks of this version. */
  readonly graphVersion: string;
  /** The BullMQ queue it listens to: `<queueName>-<graph version>`. */
  readonly queue: string;
  /** This worker process, `<host>:<pid>`, as the trace and the run record name it. */
  readonly id: string;
  /**
   * Stops taking tasks, finishes the ones it holds, then closes its connections — within
   * `closeTimeoutMs`, after which it force-closes (Redis gone, a task that does not end).
   */
  close(): Promise<void>;
}

/**
 * Starts a worker that runs fan-out tasks of a coordinator's `BullMQExecutor`: builds the dataflow
 * (`modules`, `config`, `adapters`), listens to the queue of its graph version, and resolves once
 * it is taking tasks. Tasks are at-least-once: a task whose worker died runs again, so nodes in a
 * fan-out block should be idempotent.
 *
 * @example
 * ```ts
 * const worker = await startWorker({ connection: { host, port }, queueName: "docs",
 *   modules: [dataflow], adapters: [tracer, tracker], concurrency: 50 });
 * process.on("SIGTERM", () => void worker.close());
 * ```
 */
export async function startWorker(options: WorkerOptions): Promise<HamiltonWorker> {
  const where = "startWorker(options)";
  if (options === null || typeof options !== "object") {
    throw new BullMQError(
      "INVALID_OPTION",
      `${where}: options must be an object with connection, queueName and modules.`,
    );
  }
  const connection = checkConnection(options.connection, where);
  const queueName = checkQueueName(options.queueName, where);
  if (!Array.isArray(options.modules) || options.modules.length === 0) {
    throw new BullMQError("INVALID_OPTION", `${where}: modules must be a non-empty array of the dataflow's modules.`);
  }
  const concurrency = checkPositive(options.concurrency, "concurrency", where, 10);
  const lockDuration = checkPositive(options.lockDurationMs, "lockDurationMs", where, 10_000);
  const stalledInterval = checkPositive(options.stalledIntervalMs, "stalledIntervalMs", where, 5_000);
  const maxStalledCount = checkPositive(options.maxStalledCount, "maxStalledCount", where, 2);
  const connectTimeoutMs = checkPositive(
    options.connectTimeoutMs,
    "connectTimeoutMs",
    where,
    DEFAULT_CONNECT_TIMEOUT_MS,
  );
  const closeTimeoutMs = checkPositive(options.closeTimeoutMs, "closeTimeoutMs", where, 5_000);
  const version = checkVersion(options.version, where);
  if (options.onWarning !== undefined && typeof options.onWarning !== "function") {
    throw new BullMQError("INVALID_OPTION", `${where}: onWarning must be a function (message: string) => void.`);
  }
  const warn = options.onWarning ?? ((message: string) => console.warn(message));
  let builder = new Builder()
    .withModules(...options.modules)
    .withConfig(options.config ?? {})
    .withAdapters(...(options.adapters ?? []));
  if (options.cache !== undefined) {
    try {
      builder = builder.withCache(options.cache);
    } catch (error) {
      if (!HamiltonError.isInstance(error)) throw error;
      throw new BullMQError("INVALID_OPTION", `${where}: cache: ${error.message}`, { cause: error });
    }
  }
  // With a cache, a watch on the item runs tells which tasks the cache answered or stored whole.
  const watch = options.cache === undefined ? undefined : new AnswerWatch();
  if (watch !== undefined) builder = builder.withAdapters(watch.adapter);
  const driver: Driver = builder.build() as unknown as Driver;
  const graphVersion = driver.graph.version;
  const queue = versionedQueue(queueName, graphVersion, version);
  const id = `${hostname()}:${process.pid}`;

  const ignore = (): void => undefined;
  const publisher = await connect(connection, connectTimeoutMs, ignore);
  let subscriber: Redis;
  let blocking: Redis;
  try {
    subscriber = await connect(connection, connectTimeoutMs, ignore);
    blocking = await connect(connection, connectTimeoutMs, ignore);
  } catch (error) {
    publisher.disconnect();
    throw error;
  }
  /** Aborted runs (kept a while: an abort may come before the run's last tasks do). */
  const aborted = new Map<string, unknown>();
  const running = new Map<string, { controller: AbortController; tasks: number }>();
  subscriber.on("message", (_channel: string, runId: string) => {
    aborted.set(runId, Date.now());
    if (aborted.size > 10_000) aborted.delete(aborted.keys().next().value as string);
    running.get(runId)?.controller.abort(new Error(`run ${runId} was aborted by its coordinator`));
  });
  await subscribe(subscriber, abortChannel(queueName), ignore);

  const signalOf = (runId: string) => {
    let run = running.get(runId);
    if (run === undefined) {
      run = { controller: new AbortController(), tasks: 0 };
      // Every task of the run on this worker listens to it (MaxListenersExceededWarning otherwise).
      setMaxListeners(0, run.controller.signal);
      running.set(runId, run);
      if (aborted.has(runId)) run.controller.abort(new Error(`run ${runId} was aborted by its coordinator`));
    }
    run.tasks++;
    const held = run;
    return {
      signal: held.controller.signal,
      release: () => {
        if (--held.tasks === 0) running.delete(runId);
      },
    };
  };
  const processJob = jobRunner({
    driver,
    publisher,
    id,
    // Well within the half of the lock after which BullMQ renews it.
    sliceMs: Math.max(1, Math.min(50, Math.floor(lockDuration / 10))),
    signalOf,
    answers:
      watch === undefined || driver.cache === undefined
        ? undefined
        : { store: driver.cache.store, watch, version, warnOnce: once(warn) },
  });

  const worker = new Worker<JobData>(queue, processJob, {
    connection: blocking,
    name: workerName(graphVersion, version),
    concurrency,
    lockDuration,
    stalledInterval,
    maxStalledCount,
    autorun: false,
  });
  const lockLapsed = (what: string): void =>
    warn(
      `Worker ${id}: ${what} on queue "${queue}": the job's lock lapsed, so it may run twice. A node blocked the event ` +
        `loop longer than lockDurationMs / 2 (${lockDuration / 2} ms): raise lockDurationMs, or make the node yield.`,
    );
  worker.on("error", (error: Error) => {
    if (MISSING_LOCK_TEXT.test(error.message) || LOCK_RENEWAL_TEXT.test(error.message)) lockLapsed(error.message);
  });
  worker.on("stalled", (jobId: string) => {
    // A job given back after its worker died: its coordinator restarts its pick-up timer.
    requeued(jobId).catch(ignore);
  });
  worker.on("failed", (job: Job<JobData> | undefined, error: Error) => {
    if (job === undefined) return;
    const willRetry = job.attemptsMade < (job.opts.attempts ?? 1) && !STALLED_LIMIT_TEXT.test(error.message);
    if (willRetry) return;
    void sendOutcome(publisher, job.data, job.id!, { kind: "failed", worker: id, message: error.message }).catch(
      ignore,
    );
  });
  const requeued = async (jobId: string): Promise<void> => {
    const job = await publisher.hget(jobKey(worker.qualifiedName, jobId), JOB_DATA_FIELD);
    if (job === null) return;
    const data = JSON.parse(job) as JobData;
    await publisher.publish(data.reply, JSON.stringify({ kind: "requeued", jobId } satisfies Signal));
  };
  void worker.run().catch(ignore);
  await worker.waitUntilReady();

  const disconnect = (): void => {
    subscriber.disconnect();
    publisher.disconnect();
    blocking.disconnect();
  };
  let closing: Promise<void> | undefined;
  return {
    graphVersion,
    queue,
    id,
    close: () =>
      (closing ??= (async () => {
        // worker.close() waits for Redis forever when it is gone: bounded, then forced.
        if (!(await within(worker.close(), closeTimeoutMs))) {
          disconnect();
          await within(worker.close(true), closeTimeoutMs);
        }
        disconnect();
      })()),
  };
}

/** Whether `promise` settled within `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const settled = promise.then(
    () => true,
    () => true,
  );
  const result = await Promise.race([
    settled,
    new Promise<false>((resolve) => (timer = setTimeout(resolve, ms, false))),
  ]);
  clearTimeout(timer);
  return result;
}

/** `warn`, at most once. */
function once(warn: (message: string) => void): (message: string) => void {
  let warned = false;
  return (message) => {
    if (warned) return;
    warned = true;
    warn(message);
  };
}
