import type { Dirent } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { DagTemplateRecord, NodeRunRecord, RunRecord } from "./records.js";
import { RunFold } from "./run-fold.js";
import {
  DEFAULT_STORE_DIR,
  isTemporaryFile,
  PROJECT_FILE,
  parseProjectFolderName,
  parseRunFileName,
  parseTemplateFileName,
  projectIdFile,
  RUNS_FOLDER,
  TEMPLATES_FOLDER,
  toFileName,
} from "./layout.js";

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
  /**
   * Files and folders of the store that are not store files and were passed over, with why: a
   * file in `runs/` or `templates/` whose name is not an encoded id (`traces 100%.jsonl`), a
   * folder where a file should be (`x.jsonl/`), a file that could not be read. Plain files in the
   * store's root are not listed: other tools may keep files there.
   */
  readonly skippedFiles: readonly SkippedFile[];
}

/** A file or folder {@link readFileStore} passed over. */
export interface SkippedFile {
  /** Its absolute path. */
  readonly path: string;
  /** Why it is not read, e.g. `not a store file name`, `a folder, not a file`, `EACCES: permission denied ...`. */
  readonly reason: string;
}

/** Options of {@link readFileStore}. */
export interface ReadFileStoreOptions {
  /** Read only this project. */
  readonly projectId?: string | number;
}

async function list(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    // A missing folder, or a plain file where a folder could be: nothing to read there.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    throw error;
  }
}

function byName(a: Dirent, b: Dirent): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === "EISDIR") return "a folder, not a file";
  return error instanceof Error ? error.message : String(error);
}

/** The project id a project folder is named after; for a hashed name, from its `project.json`. */
async function projectIdOf(folder: string, name: string): Promise<string | undefined> {
  const parsed = parseProjectFolderName(name);
  if (parsed === undefined || !parsed.hashed) return parsed?.id;
  try {
    const stored = (JSON.parse(await readFile(projectIdFile(folder), "utf8")) as { projectId?: unknown } | null)
      ?.projectId;
    return typeof stored === "string" ? stored : undefined;
  } catch {
    return undefined;
  }
}

function foldRun(
  projectId: string,
  fileRunId: string | undefined,
  text: string,
): { run: StoredRun | undefined; skipped: number } {
  const fold = new RunFold();
  fold.addLines(text);
  return { run: storedRun(projectId, fileRunId, fold), skipped: fold.skippedLines };
}

/**
 * A run as {@link readFileStore} gives it, from the fold of its file; undefined while the fold has
 * no run record. `fileRunId` is the id the file's name stands for (undefined for a hashed name).
 */
export function storedRun(projectId: string, fileRunId: string | undefined, fold: RunFold): StoredRun | undefined {
  const { run } = fold;
  if (run === undefined) return undefined;
  return {
    projectId,
    runId: typeof run.runId === "string" ? run.runId : (fileRunId ?? ""),
    run,
    finished: run.status !== "RUNNING",
    nodes: [...fold.nodes.values()],
    records: fold.records,
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
export async function readFileStore(
  dir = DEFAULT_STORE_DIR,
  options: ReadFileStoreOptions = {},
): Promise<FileStoreContents> {
  const root = resolve(dir);
  const templates: StoredTemplate[] = [];
  const runs: StoredRun[] = [];
  const skippedFiles: SkippedFile[] = [];
  let skippedLines = 0;
  const skip = (path: string, reason: string) => skippedFiles.push({ path, reason });
  /** A store file's text, or undefined when it cannot be read (then listed as skipped, with why). */
  const readOrSkip = async (path: string): Promise<string | undefined> => {
    try {
      return await readFile(path, "utf8");
    } catch (error) {
      skip(path, reasonOf(error));
      return undefined;
    }
  };

  const projects: { name: string; projectId: string }[] = [];
  if (options.projectId !== undefined) {
    projects.push({ name: toFileName(String(options.projectId)), projectId: String(options.projectId) });
  } else {
    for (const entry of (await list(root)).sort(byName)) {
      // Plain files in the root belong to other tools (a trace file, say): not the store's.
      if (!entry.isDirectory()) continue;
      const projectId = await projectIdOf(join(root, entry.name), entry.name);
      if (projectId === undefined)
        skip(
          join(root, entry.name),
          parseProjectFolderName(entry.name)?.hashed
            ? `no readable ${PROJECT_FILE} with the project's id`
            : "not a store folder name",
        );
      else projects.push({ name: entry.name, projectId });
    }
  }

  for (const { name: projectName, projectId } of projects) {
    const templateDir = join(root, projectName, TEMPLATES_FOLDER);
    for (const entry of (await list(templateDir)).sort(byName)) {
      const path = join(templateDir, entry.name);
      // A template being written (write-then-rename) is not one yet.
      if (isTemporaryFile(entry.name)) continue;
      if (parseTemplateFileName(entry.name) === undefined) {
        skip(path, "not a store file name (<graphVersion>.json)");
        continue;
      }
      const text = await readOrSkip(path);
      if (text === undefined) continue;
      try {
        const template = JSON.parse(text) as DagTemplateRecord | null;
        if (template?.type === "dag_template") templates.push({ projectId, template });
        else skippedLines++;
      } catch {
        skippedLines++;
      }
    }
    const runDir = join(root, projectName, RUNS_FOLDER);
    for (const entry of await list(runDir)) {
      const path = join(runDir, entry.name);
      const parsed = parseRunFileName(entry.name);
      if (parsed === undefined) {
        skip(path, "not a store file name (<runId>.jsonl)");
        continue;
      }
      const text = await readOrSkip(path);
      if (text === undefined) continue;
      const { run, skipped } = foldRun(projectId, parsed.id, text);
      skippedLines += skipped;
      if (run !== undefined) runs.push(run);
    }
  }
  runs.sort((a, b) => a.run.startTime - b.run.startTime || (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0));
  return { templates, runs, skippedLines, skippedFiles };
}
