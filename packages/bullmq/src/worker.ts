import { hostname } from "node:os";
import { Builder, type Driver, type FanOutTask, findUncloneable } from "@hamilton-ts/core";
import type { LifecycleAdapter } from "@hamilton-ts/lifecycle";
import { type Job, Worker } from "bullmq";
import type { Redis } from "ioredis";
import {
  checkConnection,
  checkPositive,
  connect,
  type ConnectionOptions,
  DEFAULT_CONNECT_TIMEOUT_MS,
} from "./connection.js";
import { BullMQError } from "./errors.js";
import { toWire } from "./errors-wire.js";
import {
  abortChannel,
  checkQueueName,
  type JobData,
  type ReplyMessage,
  type SharedPart,
  versionedQueue,
} from "./protocol.js";
import { decode, encode, nodeFix } from "./wire.js";

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
}

/** A running worker ({@link startWorker}). */
export interface HamiltonWorker {
  /** The graph version of the worker's dataflow: it takes only tasks of this version. */
  readonly graphVersion: string;
  /** The BullMQ queue it listens to: `<queueName>-<graph version>`. */
  readonly queue: string;
  /** This worker process, `<host>:<pid>`, as the trace and the run record name it. */
  readonly id: string;
  /** Stops taking tasks, finishes the ones it holds, then closes its connections. */
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
  const driver: Driver = new Builder()
    .withModules(...options.modules)
    .withConfig(options.config ?? {})
    .withAdapters(...(options.adapters ?? []))
    .build() as unknown as Driver;
  const graphVersion = driver.graph.version;
  const queue = versionedQueue(queueName, graphVersion);
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
  await subscriber.subscribe(abortChannel(queueName));

  const reply = (channel: string, message: ReplyMessage): Promise<unknown> =>
    publisher.publish(channel, JSON.stringify(message));

  /**
   * Runs a job's items and publishes the outcome; the outcome is also the job's return value, which
   * the coordinator reads when the published message was lost (a subscriber reconnecting).
   */
  const processJob = async (job: Job<JobData>): Promise<string> => {
    const data = job.data;
    const jobId = job.id!;
    let run = running.get(data.runId);
    if (run === undefined) {
      run = { controller: new AbortController(), tasks: 0 };
      running.set(data.runId, run);
      if (aborted.has(data.runId)) run.controller.abort(new Error(`run ${data.runId} was aborted by its coordinator`));
    }
    run.tasks++;
    try {
      const shared = decode(data.shared) as SharedPart;
      const attempt = Math.max(1, job.attemptsStarted);
      const results = await Promise.all(
        data.items.map(async ({ taskId, index, item }) => {
          const task: FanOutTask = { ...shared, taskId, index, item: decode(item) };
          try {
            const out = await driver.runTask(task, { signal: run.controller.signal, worker: id, attempt });
            // Checked per output, so that a refusal names the node; encoded once.
            for (const [name, value] of Object.entries(out)) {
              if (findUncloneable(value) !== undefined) {
                encode(value, `node "${name}" (task ${taskId})`, "back to the coordinator", nodeFix(name));
              }
            }
            return {
              ok: true as const,
              value: encode(out, `the results of task ${taskId}`, "back to the coordinator", ""),
            };
          } catch (error) {
            return { ok: false as const, error: toWire(error) };
          }
        }),
      );
      const text = JSON.stringify({ kind: "done", jobId, worker: id, results } satisfies ReplyMessage);
      await publisher.publish(data.reply, text);
      return text;
    } finally {
      if (--run.tasks === 0) running.delete(data.runId);
    }
  };

  const worker = new Worker<JobData>(queue, processJob, {
    connection: blocking,
    concurrency,
    lockDuration,
    stalledInterval,
    maxStalledCount,
    autorun: false,
  });
  worker.on("error", ignore);
  worker.on("stalled", (jobId: string) => {
    // A job given back after its worker died: its coordinator restarts its pick-up timer.
    requeued(jobId).catch(ignore);
  });
  worker.on("failed", (job: Job<JobData> | undefined, error: Error) => {
    if (job === undefined) return;
    const willRetry = job.attemptsMade < (job.opts.attempts ?? 1) && !/stalled more than/.test(error.message);
    if (!willRetry)
      void reply(job.data.reply, { kind: "failed", jobId: job.id!, worker: id, message: error.message }).catch(ignore);
  });
  const requeued = async (jobId: string): Promise<void> => {
    const job = await publisher.hget(`${worker.qualifiedName}:${jobId}`, "data");
    if (job === null) return;
    const data = JSON.parse(job) as JobData;
    await reply(data.reply, { kind: "requeued", jobId });
  };
  void worker.run().catch(ignore);
  await worker.waitUntilReady();

  let closing: Promise<void> | undefined;
  return {
    graphVersion,
    queue,
    id,
    close: () =>
      (closing ??= (async () => {
        await worker.close();
        subscriber.disconnect();
        publisher.disconnect();
        blocking.disconnect();
      })()),
  };
}
