/**
 * The store, indexed in memory and kept up to date incrementally, shared by every request of the
 * read API: the runs (each run file folded with the tracker's {@link RunFold}), the templates and
 * the spans of the trace file.
 *
 * {@link StoreIndex.refresh} looks at the store again: it lists the folders, and for each file
 * compares its size, modification time and inode with what it read before. It reads only the bytes
 * appended since (up to the last complete line: the torn last line of a process still writing
 * waits for its newline), reads again a file that shrank, was replaced or was rewritten in place,
 * and drops the runs of a deleted file. Every read of the API refreshes first, so runs that other
 * processes write while the server runs are seen on the next request, and records the server
 * itself writes (it answers only once they are on disk) at once.
 */
import { readdirSync, readFileSync, statSync, type Dirent, type Stats } from "node:fs";
import { join, resolve } from "node:path";
import { type AppendedLines, readAppendedSync } from "@hamilton-ts/store";
import {
  isTemporaryFile,
  PROJECT_FILE,
  parseProjectFolderName,
  parseRunFileName,
  parseTemplateFileName,
  projectIdFile,
  RUNS_FOLDER,
  RunFold,
  storedRun,
  TEMPLATES_FOLDER,
  type DagTemplateRecord,
  type SkippedFile,
  type StoredRun,
  type StoredTemplate,
} from "@hamilton-ts/store";
import { TraceIndex } from "./trace-index.js";
import { TRACES_FILE, type SpanView } from "./traces.js";

/** What identifies a file's content between two looks: when one changes other than by growing, read it again. */
interface FileIdentity {
  ino: number;
  size: number;
  mtimeMs: number;
}

/** A file read line by line as it grows. */
interface LineFile extends FileIdentity {
  /** Bytes read and folded: up to the end of the last complete line. */
  offset: number;
  /** True when bytes after the last complete line are there (a line being written, or torn). */
  tail: boolean;
}

interface RunFileEntry extends LineFile {
  readonly projectId: string;
  /** The run id the file's name stands for (undefined for a hashed name). */
  readonly fileRunId: string | undefined;
  fold: RunFold;
  /** The run as `readFileStore` gives it, made when asked and forgotten when the file changes. */
  stored: StoredRun | undefined | null;
}

interface TemplateEntry extends FileIdentity {
  readonly projectId: string;
  /** The template, or undefined when the file is not one (a skipped line). */
  template: DagTemplateRecord | undefined;
}

/** What {@link StoreIndex.status} reports. */
export interface StoreIndexStatus {
  readonly runs: number;
  readonly templates: number;
  /** Run and template lines that are not records, a torn last line included. */
  readonly skippedLines: number;
  /** Files and folders that are not store files, with why. */
  readonly skippedFiles: readonly SkippedFile[];
  /** Trace file lines that are not OTLP JSON, a torn last line included. */
  readonly skippedTraceLines: number;
  /** Spans of readable trace lines that were skipped. */
  readonly skippedTraceSpans: number;
}

const sameContent = (a: FileIdentity, b: Stats) => a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
/** The file grew by appends: same inode, larger. Anything else (shrunk, replaced, rewritten) is read again. */
const grew = (a: FileIdentity, b: Stats) => a.ino === b.ino && b.size > a.size;

function list(dir: string): Dirent[] | Error {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    return error as Error;
  }
}

function byName(a: Dirent, b: Dirent): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function reasonOf(error: unknown): string {
  if ((error as NodeJS.ErrnoException | null)?.code === "EISDIR") return "a folder, not a file";
  return error instanceof Error ? error.message : String(error);
}

/**
 * An in-memory index of one store directory; see the module's description. Get the shared one of
 * a directory with {@link storeIndex}.
 */
export class StoreIndex {
  /** The store's absolute directory. */
  readonly dir: string;
  readonly #runFiles = new Map<string, RunFileEntry>();
  readonly #templates = new Map<string, TemplateEntry>();
  /** Project folders by name: the project id (read from `project.json` for a hashed name). */
  readonly #projects = new Map<string, { identity: FileIdentity | undefined; projectId: string | undefined }>();
  /** The trace file's index: byte ranges per trace id, no spans held (see {@link TraceIndex}). */
  readonly #traces: TraceIndex;
  #skippedFiles: SkippedFile[] = [];
  #version = 0;
  #sorted: { version: number; runs: StoredRun[] } | undefined;
  #templateList: { version: number; templates: StoredTemplate[] } | undefined;
  readonly #listeners = new Set<(version: number) => void>();

  constructor(dir: string) {
    this.dir = resolve(dir);
    this.#traces = new TraceIndex(join(this.dir, TRACES_FILE));
  }

  /**
   * A number that grows each time a {@link refresh} finds the store changed (a run file grew, a run
   * or template appeared or went, the trace file grew). Compare it to tell whether anything is new.
   */
  get version(): number {
    return this.#version;
  }

  /**
   * Calls `listener` with the new {@link version} after each {@link refresh} that found a change.
   * Returns a function that removes the listener. A listener that throws is dropped from that call
   * only (its error is reported as a process warning).
   */
  onChange(listener: (version: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Looks at the store again (see the module's description) and returns the {@link version}. It is
   * synchronous and cheap when nothing changed (one `stat` per file).
   */
  refresh(): number {
    let changed = false;
    const skippedFiles: SkippedFile[] = [];
    const skip = (path: string, reason: string) => skippedFiles.push({ path, reason });
    const seenRuns = new Set<string>();
    const seenTemplates = new Set<string>();
    const seenProjects = new Set<string>();

    const root = list(this.dir);
    if (root instanceof Error) throw root;
    for (const entry of root.sort(byName)) {
      // Plain files in the root belong to other tools (the trace file, say): not the store's.
      if (!entry.isDirectory()) continue;
      const folder = join(this.dir, entry.name);
      seenProjects.add(entry.name);
      const projectId = this.#projectId(folder, entry.name);
      if (projectId === undefined) {
        skip(
          folder,
          parseProjectFolderName(entry.name)?.hashed
            ? `no readable ${PROJECT_FILE} with the project's id`
            : "not a store folder name",
        );
        continue;
      }
      const templateDir = join(folder, TEMPLATES_FOLDER);
      const templates = list(templateDir);
      if (templates instanceof Error) skip(templateDir, reasonOf(templates));
      else
        for (const t of templates.sort(byName)) {
          if (isTemporaryFile(t.name)) continue;
          const path = join(templateDir, t.name);
          if (parseTemplateFileName(t.name) === undefined) {
            skip(path, "not a store file name (<graphVersion>.json)");
            continue;
          }
          const result = this.#template(path, projectId);
          if (typeof result === "string") skip(path, result);
          else {
            seenTemplates.add(path);
            changed ||= result;
          }
        }
      const runDir = join(folder, RUNS_FOLDER);
      const runs = list(runDir);
      if (runs instanceof Error) skip(runDir, reasonOf(runs));
      else
        for (const r of runs) {
          const path = join(runDir, r.name);
          const parsed = parseRunFileName(r.name);
          if (parsed === undefined) {
            skip(path, "not a store file name (<runId>.jsonl)");
            continue;
          }
          const result = this.#runFile(path, projectId, parsed.id);
          if (typeof result === "string") skip(path, result);
          else {
            seenRuns.add(path);
            changed ||= result;
          }
        }
    }
    for (const path of this.#runFiles.keys()) {
      if (!seenRuns.has(path)) {
        this.#runFiles.delete(path);
        changed = true;
      }
    }
    for (const path of this.#templates.keys()) {
      if (!seenTemplates.has(path)) {
        this.#templates.delete(path);
        changed = true;
      }
    }
    for (const name of this.#projects.keys()) if (!seenProjects.has(name)) this.#projects.delete(name);
    this.#skippedFiles = skippedFiles;
    // The trace file is indexed in the background, a slice at a time (a large file never blocks a
    // request); what it finds counts as a change when it is done.
    this.refreshTraces().catch((error: unknown) => {
      process.emitWarning(`hamilton-ts-ui: the trace file could not be indexed: ${(error as Error)?.message ?? error}`);
    });
    if (changed) this.#changed();
    return this.#version;
  }

  /** Indexes what was appended to the trace file; a change bumps {@link version}. */
  async refreshTraces(): Promise<void> {
    if (await this.#traces.refresh()) this.#changed();
  }

  #changed(): void {
    this.#version++;
    for (const listener of [...this.#listeners]) {
      try {
        listener(this.#version);
      } catch (error) {
        process.emitWarning(`hamilton-ts-ui: a store change listener failed: ${(error as Error)?.message ?? error}`);
      }
    }
  }

  /** Every run, oldest first (by start time, then run id), as `readFileStore` gives them. */
  runs(): readonly StoredRun[] {
    if (this.#sorted?.version !== this.#version) {
      const runs: StoredRun[] = [];
      for (const entry of this.#runFiles.values()) {
        const run = this.#stored(entry);
        if (run !== undefined) runs.push(run);
      }
      runs.sort((a, b) => a.run.startTime - b.run.startTime || (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0));
      this.#sorted = { version: this.#version, runs };
    }
    return this.#sorted.runs;
  }

  /** Every template, by project folder and file name. */
  templates(): readonly StoredTemplate[] {
    if (this.#templateList?.version !== this.#version) {
      const templates: StoredTemplate[] = [];
      for (const [, t] of [...this.#templates].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        if (t.template !== undefined) templates.push({ projectId: t.projectId, template: t.template });
      }
      this.#templateList = { version: this.#version, templates };
    }
    return this.#templateList.templates;
  }

  /**
   * The spans of one trace (lower-case hex id), each span id once, in the order they were read:
   * the trace file indexed up to now first, then the trace's lines read from the file.
   */
  async trace(traceId: string): Promise<readonly SpanView[]> {
    await this.refreshTraces();
    return this.#traces.trace(traceId);
  }

  /** How much the store holds, and what was skipped. */
  status(): StoreIndexStatus {
    let skippedLines = 0;
    for (const entry of this.#runFiles.values()) skippedLines += entry.fold.skippedLines + (entry.tail ? 1 : 0);
    for (const t of this.#templates.values()) if (t.template === undefined) skippedLines++;
    return {
      runs: this.runs().length,
      templates: this.templates().length,
      skippedLines,
      skippedFiles: this.#skippedFiles,
      skippedTraceLines: this.#traces.status().skippedLines,
      skippedTraceSpans: this.#traces.status().skippedSpans,
    };
  }

  #stored(entry: RunFileEntry): StoredRun | undefined {
    if (entry.stored === null) entry.stored = storedRun(entry.projectId, entry.fileRunId, entry.fold);
    return entry.stored;
  }

  #projectId(folder: string, name: string): string | undefined {
    const parsed = parseProjectFolderName(name);
    if (parsed === undefined || !parsed.hashed) return parsed?.id;
    const path = projectIdFile(folder);
    let stats: Stats;
    try {
      stats = statSync(path);
    } catch {
      this.#projects.delete(name);
      return undefined;
    }
    const known = this.#projects.get(name);
    if (known?.identity !== undefined && sameContent(known.identity, stats)) return known.projectId;
    let projectId: string | undefined;
    try {
      const stored = (JSON.parse(readFileSync(path, "utf8")) as { projectId?: unknown } | null)?.projectId;
      projectId = typeof stored === "string" ? stored : undefined;
    } catch {
      projectId = undefined;
    }
    this.#projects.set(name, { identity: { ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs }, projectId });
    return projectId;
  }

  /** Reads a template file if it is new or changed: true when it did, a reason when it cannot be read. */
  #template(path: string, projectId: string): boolean | string {
    try {
      const stats = statSync(path);
      const known = this.#templates.get(path);
      if (known !== undefined && known.projectId === projectId && sameContent(known, stats)) return false;
      if (stats.isDirectory()) return "a folder, not a file";
      const text = readFileSync(path, "utf8");
      let template: DagTemplateRecord | undefined;
      try {
        const parsed = JSON.parse(text) as DagTemplateRecord | null;
        template = parsed?.type === "dag_template" ? parsed : undefined;
      } catch {
        template = undefined;
      }
      this.#templates.set(path, { ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs, projectId, template });
      return true;
    } catch (error) {
      this.#templates.delete(path);
      return reasonOf(error);
    }
  }

  /** Reads what is new in a run file: true when something was, a reason when it cannot be read. */
  #runFile(path: string, projectId: string, fileRunId: string | undefined): boolean | string {
    try {
      const stats = statSync(path);
      if (stats.isDirectory()) {
        this.#runFiles.delete(path);
        return "a folder, not a file";
      }
      let entry = this.#runFiles.get(path);
      if (entry !== undefined && entry.projectId === projectId && sameContent(entry, stats)) return false;
      if (entry === undefined || entry.projectId !== projectId || !grew(entry, stats)) {
        entry = {
          ino: stats.ino,
          size: 0,
          mtimeMs: 0,
          offset: 0,
          tail: false,
          projectId,
          fileRunId,
          fold: new RunFold(),
          stored: null,
        };
        this.#runFiles.set(path, entry);
      }
      const before = entry.offset;
      const { fold } = entry;
      // Only complete lines: a torn last line waits for its newline (and counts as skipped meanwhile).
      let appended: AppendedLines;
      do {
        appended = readAppendedSync(path, entry.offset);
        for (const line of appended.lines) fold.addLine(line);
        entry.offset = appended.nextOffset;
      } while (appended.more);
      entry.tail = appended.tail;
      entry.size = stats.size;
      entry.mtimeMs = stats.mtimeMs;
      if (entry.offset !== before) entry.stored = null;
      return true;
    } catch (error) {
      this.#runFiles.delete(path);
      return reasonOf(error);
    }
  }
}

const shared = new Map<string, StoreIndex>();

/**
 * The index of a store directory shared by everything in this process that reads it (the read
 * API of every server on that directory, and `listRuns`/`getRun`/`getTrace`/`storeStatus` given the
 * directory): made on first use, kept for the life of the process.
 */
export function storeIndex(dir: string): StoreIndex {
  const root = resolve(dir);
  let index = shared.get(root);
  if (index === undefined) shared.set(root, (index = new StoreIndex(root)));
  return index;
}

/**
 * Builds the shared index of a directory now (a server does before it listens); a store that
 * cannot be read yet is left for the first request to report.
 */
export function warmStoreIndex(dir: string): void {
  try {
    const index = storeIndex(dir);
    index.refresh();
    // The sorted run list and the template list too, as the first request would make them.
    index.runs();
    index.templates();
  } catch {
    // The read API answers the error (a 500 that says what failed) when it is asked.
  }
}
