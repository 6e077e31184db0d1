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
  /** The log's steps, in order. */
  readonly events: CacheEvent[] = [];
  /** The store's error, once it failed in this run: from then on the run does not use the store. */
  failure: string | undefined = undefined;
  #pending: Promise<unknown>[] | undefined;

  constructor(runId: string, log: CacheLogEntry[]) {
    this.runId = runId;
    this.log = log;
  }

  /** Adds a step to the log. */
  event(
    event: CacheEventKind,
    node: string | undefined,
    taskId: string | undefined,
    key: string | undefined,
    detail: string | undefined,
  ): void {
    this.events.push(new Event(event, node, taskId, key, detail));
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
