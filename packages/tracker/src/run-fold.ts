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
 * snapshot records are folded: a later attempt of a node wins, and a `RUNNING` record never
 * replaces a final one. Every reader and writer of the store folds with this rule.
 */
export function supersedes(current: RunRecord | NodeRunRecord, next: RunRecord | NodeRunRecord): boolean {
  if (current.type === "node_run" && next.type === "node_run" && next.attempt !== current.attempt) {
    return next.attempt > current.attempt;
  }
  // A RUNNING record never replaces a final one (a retried batch can repeat old lines).
  return !(next.status === "RUNNING" && current.status !== "RUNNING");
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
  /** The latest record of each node run by `nodeRunKey`, in the order the nodes were first seen. */
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
      if (this.run === undefined || supersedes(this.run, next)) this.run = next;
    } else if (type === "node_run") {
      const next = record as NodeRunRecord;
      const key = nodeRunKey(next);
      const current = this.nodes.get(key);
      if (current === undefined || supersedes(current, next)) this.nodes.set(key, next);
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
