import { access, mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { appendLines, fileErrorCode } from "@hamilton-ts/store";
import type { DagTemplateRecord, ProjectId, TrackerRecord, TrackerSink } from "./records.js";
import {
  DEFAULT_STORE_DIR,
  isHashedName,
  projectFolder,
  projectIdFile,
  runFile,
  runsFolder,
  templateFile,
  toFileName,
  writeWholeFile,
} from "@hamilton-ts/store";

/** Options of {@link FileSink}. */
export interface FileSinkOptions {
  /**
   * The store's directory, created when needed. Default: `.hamilton-ts` in the working directory
   * at construction time. Add it to `.gitignore`.
   */
  readonly dir?: string;
  /**
   * `fsync` a run's file when its final record is written, so a finished run survives a power
   * loss, not only a process crash. Default: true (once per run, off the pipeline's path).
   */
  readonly fsync?: boolean;
}

/** Files appended to at once by one write. */
const MAX_OPEN_FILES = 16;

/**
 * The default sink: an append-only local store that a viewer (or {@link readFileStore}) reads.
 *
 * Layout under `dir`:
 * ```
 * <projectId>/templates/<graphVersion>.json   one DAG template, written once (atomically)
 * <projectId>/runs/<runId>.jsonl              one run: JSON lines, appended in order
 * ```
 * A run's file starts with its `RUNNING` record, then node records as they happen; the final
 * `SUCCESS`/`FAILURE` record is a later line. After a crash mid-run the file is still readable and
 * the run visibly not finished (a torn last line is skipped by the reader, and the next append
 * starts on a fresh line, so the torn line costs only itself). Appends go through
 * `@hamilton-ts/store`'s file log: a batch of one run is one `write` on an `O_APPEND` descriptor, so
 * processes appending to one run file at once (BullMQ workers writing into their coordinator's run)
 * never interleave, whatever the records' size. Ids are made safe as
 * file names (see `toFileName`); an id too long for a file name is named by a readable prefix and
 * a hash (a project's id is then kept in `<project>/project.json`).
 */
export class FileSink implements TrackerSink {
  /** The absolute directory of the store. */
  readonly dir: string;
  readonly #fsync: boolean;
  /** Directories made; forgotten when a write finds one gone (see {@link write}). */
  readonly #dirs = new Set<string>();
  /** Templates written, by path: kept to write them again if their directory is deleted. */
  readonly #templates = new Map<string, DagTemplateRecord>();

  constructor(options: FileSinkOptions = {}) {
    this.dir = resolve(options.dir ?? DEFAULT_STORE_DIR);
    this.#fsync = options.fsync ?? true;
  }

  /** The file that holds one run's records: `<dir>/<projectId>/runs/<runId>.jsonl` (ids made safe as file names). */
  runFile(projectId: ProjectId, runId: string): string {
    return runFile(this.dir, projectId, runId);
  }

  /**
   * Appends the records to their runs' files and writes new templates. When a directory of the
   * store has disappeared (deleted while the process runs), it is made again, with the templates
   * this sink wrote there, and the write is tried once more; lines the failed try had already
   * appended may then appear twice, which readers fold (records are snapshots).
   */
  async write(projectId: ProjectId, records: readonly TrackerRecord[]): Promise<void> {
    try {
      await this.#write(projectId, records);
    } catch (error) {
      if (fileErrorCode(error) !== "ENOENT") throw error;
      this.#dirs.clear();
      await this.#restoreTemplates();
      await this.#write(projectId, records);
    }
  }

  async #write(projectId: ProjectId, records: readonly TrackerRecord[]): Promise<void> {
    const runsDir = runsFolder(this.dir, projectId);
    if (!this.#dirs.has(runsDir)) {
      await mkdir(runsDir, { recursive: true });
      // A long project id is not in its directory's name: it is kept beside it for readers.
      if (isHashedName(toFileName(String(projectId))))
        await writeFile(
          projectIdFile(projectFolder(this.dir, projectId)),
          `${JSON.stringify({ projectId: String(projectId) })}\n`,
          "utf8",
        );
      this.#dirs.add(runsDir);
    }
    const runs = new Map<string, { lines: string[]; final: boolean }>();
    for (const record of records) {
      if (record.type === "dag_template") {
        // Templates come before the runs that use them; write them first.
        await this.#writeTemplate(projectId, record);
        continue;
      }
      let run = runs.get(record.runId);
      if (run === undefined) {
        run = { lines: [], final: false };
        runs.set(record.runId, run);
      }
      run.lines.push(JSON.stringify(record));
      if (record.type === "run" && record.status !== "RUNNING") run.final = true;
    }
    const pending = [...runs];
    const worker = async () => {
      for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
        const [runId, run] = next;
        // One append per run and batch: the batch's lines land together, on a fresh line.
        await appendLines(this.runFile(projectId, runId), run.lines, { sync: run.final && this.#fsync });
      }
    };
    await Promise.all(Array.from({ length: Math.min(MAX_OPEN_FILES, pending.length) }, worker));
  }

  async #writeTemplate(projectId: ProjectId, template: DagTemplateRecord): Promise<void> {
    const path = templateFile(this.dir, projectId, template.graphVersion);
    if (this.#templates.has(path)) return;
    await this.#mkdir(dirname(path));
    await this.#writeTemplateFile(path, template);
    this.#templates.set(path, template);
  }

  /** Writes again the templates whose files are gone (their directory was deleted). */
  async #restoreTemplates(): Promise<void> {
    for (const [path, template] of this.#templates) {
      const dir = dirname(path);
      await this.#mkdir(dir);
      if (!(await exists(path))) await this.#writeTemplateFile(path, template);
    }
  }

  /** Write-then-rename: a reader never sees half a template. */
  async #writeTemplateFile(path: string, template: DagTemplateRecord): Promise<void> {
    await writeWholeFile(path, `${JSON.stringify(template)}\n`);
  }

  async #mkdir(dir: string): Promise<void> {
    if (this.#dirs.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.#dirs.add(dir);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
