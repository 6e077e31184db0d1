/**
 * One execute's cache state, shared by its run and its fan-out item runs: the node runs' records
 * (what `driver.cache.view` shows), the steps of the log (`driver.cache.logs`), the store's
 * writes still in flight (awaited before `execute` settles), and whether the store failed in
 * this run (then the rest of the run goes on without it, after one warning).
 *
 * @module
 */
import type { CacheMissReason, CacheOutcome } from "@hamilton-ts/lifecycle";
import type { CacheBehavior, CacheEvent, CacheEventKind, CacheLogEntry } from "./cache-options.js";

/** One node run's decision: a {@link CacheLogEntry} whose data version is filled in once known. */
export class CacheRecord implements CacheLogEntry {
  readonly node: string;
  readonly taskId: string | undefined;
  readonly outcome: CacheOutcome;
  readonly key: string | undefined;
  readonly fromRun: string | undefined;
  readonly missReason: CacheMissReason | undefined;
  readonly behavior: CacheBehavior;
  readonly codeVersion: string;
  dataVersion: string | undefined;

  constructor(
    node: string,
    taskId: string | undefined,
    outcome: CacheOutcome,
    key: string | undefined,
    fromRun: string | undefined,
    missReason: CacheMissReason | undefined,
    behavior: CacheBehavior,
    codeVersion: string,
    dataVersion: string | undefined,
  ) {
    this.node = node;
    this.taskId = taskId;
    this.outcome = outcome;
    this.key = key;
    this.fromRun = fromRun;
    this.missReason = missReason;
    this.behavior = behavior;
    this.codeVersion = codeVersion;
    this.dataVersion = dataVersion;
  }
}

/** A step of the log that is not a decision (a decision's step is its {@link CacheRecord}). */
class Event implements CacheEvent {
  readonly event: CacheEventKind;
  readonly node: string | undefined;
  readonly taskId: string | undefined;
  readonly key: string | undefined;
  readonly detail: string | undefined;
  constructor(
    event: CacheEventKind,
    node: string | undefined,
    taskId: string | undefined,
    key: string | undefined,
    detail: string | undefined,
  ) {
    this.event = event;
    this.node = node;
    this.taskId = taskId;
    this.key = key;
    this.detail = detail;
  }
}

/** The cache state of one execute (its id is the run's). */
export class CacheExecution {
  readonly runId: string;
  /** The node runs' records, in the order they were decided. */
  readonly log: CacheLogEntry[];
  /**
   * The log's steps, in order: a decision is kept as its record (no second object per node run),
   * and becomes an event only when the log is read ({@link eventsOf}).
   */
  readonly steps: (CacheRecord | CacheEvent)[] = [];
  /** The store's error, once it failed in this run: from then on the run does not use the store. */
  failure: string | undefined = undefined;
  #pending: Promise<unknown>[] | undefined;

  constructor(runId: string, log: CacheLogEntry[]) {
    this.runId = runId;
    this.log = log;
  }

  /** Adds a decision to the view and its step to the log. */
  decided(record: CacheRecord): void {
    this.log.push(record);
    this.steps.push(record);
  }

  /** Adds a step to the log. */
  event(
    event: CacheEventKind,
    node: string | undefined,
    taskId: string | undefined,
    key: string | undefined,
    detail: string | undefined,
  ): void {
    this.steps.push(new Event(event, node, taskId, key, detail));
  }

  /** Keeps a store's promise so that `execute` settles only after it (it never rejects: callers catch). */
  track(promise: Promise<unknown>): void {
    (this.#pending ??= []).push(promise);
  }

  /** Undefined when nothing is in flight; else a promise of everything tracked so far (and tracked while waiting). */
  settled(): Promise<void> | undefined {
    const pending = this.#pending;
    if (pending === undefined || pending.length === 0) return undefined;
    this.#pending = undefined;
    return Promise.all(pending).then(() => this.settled());
  }
}

/** The log's steps as events: a decision's step says its outcome, with its miss reason's kind. */
export function eventsOf(steps: readonly (CacheRecord | CacheEvent)[]): CacheEvent[] {
  return steps.map((step) =>
    step instanceof CacheRecord
      ? new Event(step.outcome, step.node, step.taskId, step.key, step.missReason?.kind)
      : step,
  );
}
