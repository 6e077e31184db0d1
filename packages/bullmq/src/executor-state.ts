/**
 * The executor's bookkeeping (internal): its settings, the jobs in flight with their tasks, the
 * fan-outs and runs whose keys live in Redis, settling a job's tasks and removing what Redis no
 * longer needs, and the heartbeat that keeps a live run's keys from expiring.
 *
 * @module
 */
import type { FanOutTask } from "@hamilton-ts/core";
import type { Queue } from "bullmq";
import type { RedisLink } from "./link.js";

/** The executor's checked options. */
export interface Settings {
  readonly queueName: string;
  readonly taskTimeoutMs: number;
  readonly itemsPerJob: number;
  readonly attempts: number;
  readonly connectTimeoutMs: number;
  readonly runTtlMs: number;
  readonly version: string;
  readonly warn: (message: string) => void;
  /** This executor's id: its reply channel and keys carry it. */
  readonly id: string;
}

/** One task waiting for its outcome. */
export interface Pending {
  readonly task: FanOutTask;
  resolve(value: Readonly<Record<string, unknown>>): void;
  reject(error: unknown): void;
}

/** A run with fan-outs in flight: its heartbeat key lives while it has any. */
export interface RunEntry {
  readonly key: string;
  fanOuts: number;
}

/** One fan-out sent (one block of one run): its shared part's key lives while it has jobs. */
export interface FanOut {
  readonly sharedKey: string;
  readonly run: RunEntry;
  readonly runId: string;
  jobs: number;
}

/** One job in flight: its tasks and its pick-up deadline. */
export interface JobEntry {
  readonly id: string;
  readonly queue: Queue;
  readonly fanOut: FanOut;
  readonly resultKey: string;
  readonly tasks: Pending[];
  /** When the queue's pick-up check looks at it next (ms since the epoch). */
  deadline: number;
  taken: boolean;
}

export class ExecutorState {
  readonly jobs = new Map<string, JobEntry>();
  readonly runs = new Map<string, RunEntry>();
  readonly fanOuts = new Set<FanOut>();
  closed = false;
  #heartbeat: ReturnType<typeof setInterval> | undefined;

  constructor(
    readonly settings: Settings,
    readonly link: RedisLink,
  ) {}

  /** The run's entry, made (and counted as one more fan-out) on first use. */
  openFanOut(runId: string, runKey: string, sharedKey: string): FanOut {
    let run = this.runs.get(runId);
    if (run === undefined) {
      run = { key: runKey, fanOuts: 0 };
      this.runs.set(runId, run);
    }
    run.fanOuts++;
    const fanOut: FanOut = { sharedKey, run, runId, jobs: 0 };
    this.fanOuts.add(fanOut);
    this.#startHeartbeat();
    return fanOut;
  }

  /** Adds a job in flight. */
  track(entry: JobEntry): void {
    this.jobs.set(entry.id, entry);
    entry.fanOut.jobs++;
  }

  /**
   * The job is settled (or given up): forgotten, and its fan-out's shared key (and the run's
   * heartbeat key) leave Redis once no job of theirs is in flight.
   */
  forget(entry: JobEntry): void {
    if (this.jobs.get(entry.id) !== entry) return;
    this.jobs.delete(entry.id);
    if (--entry.fanOut.jobs === 0) this.closeFanOut(entry.fanOut);
  }

  /** A fan-out with no job in flight: its keys leave Redis. */
  closeFanOut(fanOut: FanOut): void {
    if (!this.fanOuts.delete(fanOut)) return;
    const keys = [fanOut.sharedKey];
    if (--fanOut.run.fanOuts === 0) {
      this.runs.delete(fanOut.runId);
      keys.push(fanOut.run.key);
    }
    if (this.fanOuts.size === 0) this.#stopHeartbeat();
    void this.link.current().then((c) => c?.publisher.del(...keys).catch(() => undefined));
  }

  /** Fails a job's tasks with `error`. */
  fail(entry: JobEntry, error: unknown): void {
    this.forget(entry);
    for (const t of entry.tasks) t.reject(error);
  }

  /** Stops the heartbeat (the executor closes). */
  stop(): void {
    this.#stopHeartbeat();
  }

  /**
   * While fan-outs are in flight, their shared keys and their runs' heartbeat keys are refreshed
   * every third of `runTtlMs`: they outlive a live coordinator, and expire `runTtlMs` after a dead
   * one (whose queued tasks workers then drop).
   */
  #startHeartbeat(): void {
    if (this.#heartbeat !== undefined || this.closed) return;
    const ttl = this.settings.runTtlMs;
    this.#heartbeat = setInterval(
      () => {
        void this.link.current().then((c) => {
          if (c === undefined) return;
          const pipeline = c.publisher.pipeline();
          for (const fanOut of this.fanOuts) pipeline.pexpire(fanOut.sharedKey, ttl);
          for (const run of this.runs.values()) pipeline.pexpire(run.key, ttl);
          return pipeline.exec().catch(() => undefined);
        });
      },
      Math.max(1, Math.floor(ttl / 3)),
    );
    // The Redis connections keep a waiting run's process alive; the heartbeat alone does not.
    this.#heartbeat.unref();
  }

  #stopHeartbeat(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }
}
