/**
 * A user-written sink, as the README tells users to write one: it keeps what it receives in
 * memory. Tests switch it to failing (retryable or not) or hanging to exercise the queue.
 */
import type { ProjectId, SinkWriteOptions, TrackerRecord, TrackerSink } from "../src/records.js";

export type MemorySinkMode = "ok" | "fail" | "reject" | "hang";

export class MemorySink implements TrackerSink {
  readonly records: TrackerRecord[] = [];
  readonly batches: (readonly TrackerRecord[])[] = [];
  readonly projects: ProjectId[] = [];
  readonly signals: AbortSignal[] = [];
  mode: MemorySinkMode = "ok";
  attempts = 0;
  closed = 0;
  #waiters: { count: number; resolve: () => void }[] = [];
  #attemptWaiters: { count: number; resolve: () => void }[] = [];

  async write(projectId: ProjectId, records: readonly TrackerRecord[], options: SinkWriteOptions): Promise<void> {
    this.attempts++;
    this.#attemptWaiters = this.#attemptWaiters.filter((w) => {
      if (this.attempts >= w.count) w.resolve();
      return this.attempts < w.count;
    });
    this.signals.push(options.signal);
    if (this.mode === "fail") throw new Error("sink is down");
    if (this.mode === "reject") throw Object.assign(new Error("bad records"), { retryable: false });
    if (this.mode === "hang") {
      await new Promise<never>((_, reject) =>
        options.signal.addEventListener("abort", () => reject(options.signal.reason)),
      );
    }
    this.projects.push(projectId);
    this.batches.push(records);
    this.records.push(...records);
    this.#waiters = this.#waiters.filter((w) => {
      if (this.records.length >= w.count) w.resolve();
      return this.records.length < w.count;
    });
  }

  async close(): Promise<void> {
    this.closed++;
  }

  /** Resolves once `write` has been called `count` times (whatever came of it). */
  waitForAttempts(count: number): Promise<void> {
    if (this.attempts >= count) return Promise.resolve();
    return new Promise((resolve) => this.#attemptWaiters.push({ count, resolve }));
  }

  /** Resolves once `count` records have been stored. */
  waitFor(count: number): Promise<void> {
    if (this.records.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }
}
