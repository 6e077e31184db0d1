/**
 * Folding one run file's lines into the run's state, the one rule every reader and writer of the
 * store uses ({@link readFileStore} for a whole file, the UI server's index for the lines appended
 * since it last looked).
 *
 * @module
 */
import { nodeRunKey, type NodeRunRecord, type RunRecord } from "./records.js";

/**
 * True when `next` replaces `current` for the same key (a run, or a node run's `nodeRunKey`) when
 * snapshot records are folded: a later delivery of a distributed task (`taskAttempt`: its first
 * worker died) wins, then a later attempt of a node, and a `RUNNING` record never replaces a
 * final one. Every reader and writer of the store folds with this rule.
 */
export function supersedes(current: RunRecord | NodeRunRecord, next: RunRecord | NodeRunRecord): boolean {
  if (current.type === "node_run" && next.type === "node_run") {
    // A dead worker's records can land after its task's re-run's (a slow write): they never win.
    const was = current.taskAttempt;
    const is = next.taskAttempt;
    if (was !== undefined && is !== undefined && was !== is) return is > was;
    if (next.attempt !== current.attempt) return next.attempt > current.attempt;
  }
  // A RUNNING record never replaces a final one (a retried batch can repeat old lines).
  return !(next.status === "RUNNING" && current.status !== "RUNNING");
}

/**
 * What a node run still `RUNNING` in a run that ended is read as: `UNKNOWN`, ended with the run,
 * with an error saying why (its worker most likely died before it recorded how the node ended).
 * A later record of the node run (a late write of the worker's) still replaces it.
 */
export function lostNodeRun(record: NodeRunRecord, run: RunRecord): NodeRunRecord {
  const where = record.worker === undefined ? "" : ` on worker ${record.worker}`;
  return {
    ...record,
    status: "UNKNOWN",
    endTime: run.endTime,
    error: {
      type: "NodeRunLost",
      message:
        `The run ended (${run.status}) while this node run${where} was still recorded as running: how it ended was ` +
        `never recorded (its process most likely died; a task re-run elsewhere has its own record).`,
      stack: undefined,
      cause: undefined,
    },
  };
}

/**
 * The folded state of one run file, fed line by line (or by chunks of whole lines): the latest run
 * record and the latest record of each node run, as {@link readFileStore} reads them. Feed it the
 * lines appended to a file since the last call to keep a run up to date without reading the file
 * again.
 *
 * ```ts
 * const fold = new RunFold();
 * fold.addLines(firstChunk); // whole lines only: keep a torn last line until its newline arrives
 * fold.addLines(appended);
 * console.log(fold.run?.status, fold.nodes.size);
 * ```
 */
export class RunFold {
  /** The run's latest record, undefined until a run record was read. */
  run: RunRecord | undefined;
  /**
   * The latest record of each node run by `nodeRunKey`, in the order the nodes were first seen.
   * Once the run's record says it ended, a node run still `RUNNING` is read as `UNKNOWN`
   * ({@link lostNodeRun}).
   */
  readonly nodes = new Map<string, NodeRunRecord>();
  /** Lines that were records (run or node run). */
  records = 0;
  /** Lines that were not records (not JSON, or JSON of another kind). */
  skipped = 0;

  /** Folds one line; an empty line is ignored. */
  addLine(line: string): void {
    if (line.length === 0) return;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      this.skipped++;
      return;
    }
    const type = (record as { type?: unknown } | null)?.type;
    if (type === "run") {
      const next = record as RunRecord;
      if (this.run === undefined || supersedes(this.run, next)) {
        this.run = next;
        // Nothing is running in a run that ended.
        if (next.status !== "RUNNING") {
          for (const [key, node] of this.nodes)
            if (node.status === "RUNNING") this.nodes.set(key, lostNodeRun(node, next));
        }
      }
    } else if (type === "node_run") {
      const next = record as NodeRunRecord;
      const key = nodeRunKey(next);
      const current = this.nodes.get(key);
      if (current === undefined || supersedes(current, next)) {
        const run = this.run;
        this.nodes.set(
          key,
          next.status === "RUNNING" && run !== undefined && run.status !== "RUNNING" ? lostNodeRun(next, run) : next,
        );
      }
    } else {
      this.skipped++;
      return;
    }
    this.records++;
  }

  /** Folds every line of `text` (split at `\n`). */
  addLines(text: string): void {
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf("\n", start);
      if (end === -1) end = text.length;
      this.addLine(text.slice(start, end));
      start = end + 1;
    }
  }

  /**
   * Lines that do not count as a run's lines: the skipped ones, and — while no run record has been
   * read — the node records too (a file without a run record is not a run).
   */
  get skippedLines(): number {
    return this.run === undefined ? this.skipped + this.records : this.skipped;
  }
}
