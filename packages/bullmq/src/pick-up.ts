/**
 * The pick-up checks (internal): one timer per queue wakes at the earliest deadline of its jobs,
 * counts the queue's workers once, and looks at every job that is due — a job taken by a worker
 * waits on while the worker holds its lock; a finished job whose signal was lost is read from its
 * result key; a job no worker of its version took within `taskTimeoutMs` fails with `NO_WORKER`,
 * naming the versions of the workers that are connected.
 *
 * @module
 */
import type { Queue } from "bullmq";
import { lockKey, parseWorkerClientName } from "./bullmq-internals.js";
import { BullMQError } from "./errors.js";
import type { ExecutorState, JobEntry } from "./executor-state.js";
import type { Replies } from "./replies.js";
import { parseWorkerName } from "./worker-name.js";

export class PickUp {
  readonly #state: ExecutorState;
  readonly #replies: () => Replies;
  /** Each queue's pick-up check timer. */
  readonly #checks = new Map<Queue, ReturnType<typeof setTimeout>>();

  constructor(state: ExecutorState, replies: () => Replies) {
    this.#state = state;
    this.#replies = replies;
  }

  /** The job is looked at again `taskTimeoutMs` from now. */
  startTimer(entry: JobEntry): void {
    entry.deadline = Date.now() + this.#state.settings.taskTimeoutMs;
    this.#schedule(entry.queue);
  }

  /**
   * The job is looked at now (a message about it was malformed): if it finished, its outcome is
   * read from Redis; otherwise its pick-up timer goes on as it was.
   */
  async lookNow(entry: JobEntry): Promise<void> {
    const status = await entry.queue.getJobState(entry.id).catch(() => "error");
    if (this.#state.jobs.get(entry.id) !== entry) return;
    if (status === "completed" || status === "failed" || status === "unknown") {
      if (await this.#replies().read(entry)) return;
      if (this.#state.jobs.get(entry.id) !== entry) return;
      this.#lost(entry, status === "unknown" ? "it is no longer in Redis" : `it is ${status}`);
    }
  }

  /** Stops every timer. */
  stop(): void {
    for (const timer of this.#checks.values()) clearTimeout(timer);
    this.#checks.clear();
  }

  #schedule(queue: Queue): void {
    if (this.#state.closed || this.#checks.has(queue)) return;
    let earliest = Infinity;
    for (const entry of this.#state.jobs.values()) {
      if (entry.queue === queue) earliest = Math.min(earliest, entry.deadline);
    }
    if (earliest === Infinity) return;
    const timer = setTimeout(() => void this.#check(queue, timer), Math.max(0, earliest - Date.now()));
    // The Redis connections keep a waiting run's process alive; the check alone does not.
    timer.unref();
    this.#checks.set(queue, timer);
  }

  async #check(queue: Queue, timer: ReturnType<typeof setTimeout>): Promise<void> {
    const now = Date.now();
    const due = [...this.#state.jobs.values()].filter((entry) => entry.queue === queue && entry.deadline <= now);
    try {
      if (due.length > 0) {
        // Workers of the version are there but busy (a long fan-out): a queued job waits on.
        const workers = await queue.getWorkersCount().catch(() => 0);
        await Promise.all(due.map((entry) => this.#look(entry, workers)));
      }
    } finally {
      if (this.#checks.get(queue) === timer) this.#checks.delete(queue);
      this.#schedule(queue);
    }
  }

  async #look(entry: JobEntry, workers: number): Promise<void> {
    const state = this.#state;
    const mine = () => state.jobs.get(entry.id) === entry;
    if (!mine()) return;
    entry.deadline = Infinity; // set again by startTimer, or settled
    const status = await entry.queue.getJobState(entry.id).catch(() => "error");
    if (!mine()) return;
    if (status === "completed" || status === "failed" || status === "unknown") {
      // Finished (and removed: jobs leave Redis when they finish), but its signal never arrived
      // (the subscriber was reconnecting, or a message was malformed): the outcome is in its key.
      if (await this.#replies().read(entry)) return;
      if (!mine()) return;
      this.#lost(entry, status === "unknown" ? "it is no longer in Redis" : `it is ${status}`);
      return;
    }
    let orphaned = false;
    if (status === "active") {
      // Taken: its outcome is on its way while its worker holds the lock (a worker that dies
      // loses it; another worker's stall check gives the job back: "requeued"). Checked again
      // later; a job whose lock has lapsed with no worker to take it back is orphaned.
      const c = await state.link.current();
      const lock = c === undefined ? 1 : await c.publisher.exists(lockKey(entry.queue, entry.id)).catch(() => 1);
      if (!mine()) return;
      if (lock === 1) {
        entry.taken = true;
        this.startTimer(entry);
        return;
      }
      orphaned = true;
    }
    if (workers > 0) {
      this.startTimer(entry);
      return;
    }
    await entry.queue.remove(entry.id).catch(() => 0);
    if (!mine()) return;
    const others = await this.#connectedVersions(entry.queue);
    const first = entry.tasks[0]!.task;
    const { taskTimeoutMs, queueName, version } = state.settings;
    state.fail(
      entry,
      new BullMQError(
        "NO_WORKER",
        `No worker took task ${first.taskId} of run ${first.runId} within ${taskTimeoutMs} ms (taskTimeoutMs): ` +
          (orphaned ? "the worker that had taken it stopped, and no other worker took it back; " : "") +
          `no worker listens to queue "${entry.queue.name}" (queueName "${queueName}", graph version ${first.graphVersion}` +
          `${version === "" ? ", no version" : `, version ${JSON.stringify(version)}`}). ` +
          (others.length === 0
            ? `No worker of queueName "${queueName}" is connected. `
            : `Connected workers of queueName "${queueName}": ${others.join("; ")}. `) +
          `Start workers (startWorker) with the same queueName, dataflow code, config variants and version, or raise ` +
          `taskTimeoutMs (a worker's graph version is its startWorker(...).graphVersion: code built differently, or config ` +
          `that selects other configWhen variants, gives another version, whose workers never take these tasks).`,
      ),
    );
  }

  /** Fails a job's tasks whose outcome was lost on the way back. */
  #lost(entry: JobEntry, what: string): void {
    const first = entry.tasks[0]!.task;
    this.#state.fail(
      entry,
      new BullMQError(
        "CONNECTION",
        `The outcome of task ${first.taskId} of run ${first.runId} (job ${entry.id} on queue "${entry.queue.name}") ` +
          `was lost: ${what}, and its outcome never arrived (the connection to Redis at ${this.#state.link.where} ` +
          `dropped while it was sent, or its key was removed). Run again; check that Redis is stable.`,
      ),
    );
  }

  /** The graph versions and versions of the connected workers of this queueName, for a message. */
  async #connectedVersions(queue: Queue): Promise<string[]> {
    const c = await this.#state.link.current();
    if (c === undefined) return [];
    const list = await c.publisher.client("LIST").catch(() => "");
    const counts = new Map<string, number>();
    const prefix = `${this.#state.settings.queueName}-`;
    for (const line of String(list).split("\n")) {
      const name = / name=(\S*)/.exec(line)?.[1];
      const parsed = name === undefined ? undefined : parseWorkerClientName(name);
      if (parsed === undefined || !parsed.queueName.startsWith(prefix) || parsed.queueName === queue.name) continue;
      const w = parseWorkerName(parsed.workerName);
      const what =
        w === undefined
          ? `queue "${parsed.queueName}"`
          : `graph version ${w.graphVersion}${w.version === "" ? ", no version" : `, version ${JSON.stringify(w.version)}`}`;
      counts.set(what, (counts.get(what) ?? 0) + 1);
    }
    return [...counts].map(([what, n]) => `${what} (${n} worker${n === 1 ? "" : "s"})`);
  }
}
