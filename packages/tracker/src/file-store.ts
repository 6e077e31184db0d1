import { readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fromFileName, toFileName } from "./file-names.js";
import { nodeRunKey, type DagTemplateRecord, type NodeRunRecord, type RunRecord } from "./records.js";

/** A DAG template read from a {@link FileSink} store. */
export interface StoredTemplate {
  readonly projectId: string;
  readonly template: DagTemplateRecord;
}

/** One run read from a {@link FileSink} store, its records folded. */
export interface StoredRun {
  readonly projectId: string;
  readonly runId: string;
  /** The run's latest record (a final one wins over `RUNNING`). */
  readonly run: RunRecord;
  /** False when no final record was written: the run is still going, or its process died. */
  readonly finished: boolean;
  /**
   * The latest record of each node run (key: `taskId-node` or the node's name), in the order the
   * nodes started. A later attempt replaces an earlier one; a final record replaces `RUNNING`.
   */
  readonly nodes: readonly NodeRunRecord[];
  /** Lines read for this run. */
  readonly records: number;
}

/** Everything in a {@link FileSink} store. */
export interface FileStoreContents {
  readonly templates: readonly StoredTemplate[];
  /** Runs, oldest first. */
  readonly runs: readonly StoredRun[];
  /**
   * Lines that were not valid records and were skipped, e.g. the torn last line of a process
   * killed mid-write.
   */
  readonly skippedLines: number;
}

/** Options of {@link readFileStore}. */
export interface ReadFileStoreOptions {
  /** Read only this project. */
  readonly projectId?: string | number;
}

async function list(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    // A missing folder, or a plain file where a project folder could be (other tools, such as the
    // demo's trace file, may share the store's root): nothing to read there.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    throw error;
  }
}

/** True when `next` should replace `current` for the same key. */
function supersedes(current: RunRecord | NodeRunRecord, next: RunRecord | NodeRunRecord): boolean {
  if (current.type === "node_run" && next.type === "node_run" && next.attempt !== current.attempt) {
    return next.attempt > current.attempt;
  }
  // A RUNNING record never replaces a final one (a retried batch can repeat old lines).
  return !(next.status === "RUNNING" && current.status !== "RUNNING");
}

function foldRun(projectId: string, fileRunId: string, text: string): { run: StoredRun | undefined; skipped: number } {
  let run: RunRecord | undefined;
  const nodes = new Map<string, NodeRunRecord>();
  let skipped = 0;
  let records = 0;
  for (const line of text.split("\n")) {
    if (line.length === 0) continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      skipped++;
      continue;
    }
    const type = (record as { type?: unknown } | null)?.type;
    if (type === "run") {
      const next = record as RunRecord;
      if (run === undefined || supersedes(run, next)) run = next;
    } else if (type === "node_run") {
      const next = record as NodeRunRecord;
      const key = nodeRunKey(next);
      const current = nodes.get(key);
      if (current === undefined || supersedes(current, next)) nodes.set(key, next);
    } else {
      skipped++;
      continue;
    }
    records++;
  }
  if (run === undefined) return { run: undefined, skipped: skipped + records };
  return {
    run: { projectId, runId: run.runId ?? fileRunId, run, finished: run.status !== "RUNNING", nodes: [...nodes.values()], records },
    skipped,
  };
}

/**
 * Reads a {@link FileSink} store: every template, and every run folded into its latest run record
 * and the latest record of each node. A missing directory reads as empty. Partial data (a run
 * still going, or cut short by a crash) reads fine: the run has `finished: false`.
 *
 * ```ts
 * const { runs } = await readFileStore(".hamilton-ts");
 * for (const r of runs) console.log(r.runId, r.run.status, r.nodes.map((n) => `${n.node}: ${n.status}`));
 * ```
 */
export async function readFileStore(dir = ".hamilton-ts", options: ReadFileStoreOptions = {}): Promise<FileStoreContents> {
  const root = resolve(dir);
  const projects =
    options.projectId === undefined ? await list(root) : [toFileName(String(options.projectId))];
  const templates: StoredTemplate[] = [];
  const runs: StoredRun[] = [];
  let skippedLines = 0;
  for (const projectName of projects.sort()) {
    const projectId = fromFileName(projectName);
    const templateDir = join(root, projectName, "templates");
    for (const name of (await list(templateDir)).sort()) {
      if (!name.endsWith(".json")) continue;
      try {
        const template = JSON.parse(await readFile(join(templateDir, name), "utf8")) as DagTemplateRecord;
        if (template.type === "dag_template") templates.push({ projectId, template });
        else skippedLines++;
      } catch {
        skippedLines++;
      }
    }
    const runDir = join(root, projectName, "runs");
    for (const name of await list(runDir)) {
      if (!name.endsWith(".jsonl")) continue;
      const text = await readFile(join(runDir, name), "utf8");
      const { run, skipped } = foldRun(projectId, fromFileName(name.slice(0, -".jsonl".length)), text);
      skippedLines += skipped;
      if (run !== undefined) runs.push(run);
    }
  }
  runs.sort((a, b) => a.run.startTime - b.run.startTime || (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0));
  return { templates, runs, skippedLines };
}
