/**
 * The log indexer: keeps the embedded SQL index up to date with the store directory's files — the
 * durable log that the server and every `FileSink` append to. It reads only what was appended to a
 * file since the offset it keeps for it in `log_files` (a replaced or shrunk file is read again
 * from its start, a deleted run file drops its run), folds each file's new lines with the store's
 * `RunFold` and writes records before offsets, so reading a batch again after a crash is harmless.
 *
 * It never stats every file to find what changed: it watches the folders (the store's root, each
 * project's folder and its `runs/` and `templates/` folders) and reads the files they name, reads
 * at once the files this server appended to ({@link LogIndexer.touch}), and walks the whole store
 * only at start (catching up, in chunks, while the server answers) and then every
 * {@link LogIndexerOptions.rescanIntervalMs} as a safety net.
 *
 * A walk costs a listing and a stat per file, compared in memory with each file's identity when it
 * was read (its signature: inode, size, mtime, offset — all the start loads of `log_files`); only
 * the files that differ are looked up in `log_files` whole and read, so a restart over an indexed
 * store does work in proportion to what was appended while it was down. The reads themselves (which
 * files differ, a run or template file into a batch) are in `log-reads.ts`.
 */
import { type FSWatcher, watch } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { PROJECT_FILE, RUNS_FOLDER, readAppended, type SkippedFile, TEMPLATES_FOLDER } from "@hamilton-ts/store";
import { SERVER_FOLDER } from "../store-lock.js";
import { type SpanView, spansOf, TRACES_FILE } from "../traces.js";
import type { SqlClient } from "./database.js";
import { dropRuns, ingestBatch, ingestSpans, markLostNodeRuns } from "./ingest.js";
import {
  dropAllSpans,
  dropTemplates,
  type FileSignature,
  forgetLogFiles,
  type LogFile,
  loadLogFilesAt,
  loadMeta,
  loadSignatures,
  loadSkippedTotals,
  putTemplates,
  saveLogFiles,
  type SkippedTotals,
  saveMeta,
} from "./log-files.js";
import {
  differingFiles,
  forgetFile,
  fresh,
  isMissing,
  newBatch,
  readRunFile,
  readTemplateFile,
  SLICE_BYTES,
} from "./log-reads.js";
import { classify, listStore, ProjectIds, type StoreFileRef } from "./store-files.js";

/** Options of {@link LogIndexer}. */
export interface LogIndexerOptions {
  /** How often the whole store is walked again, as a safety net for missed watch events. Default: 30 s. */
  readonly rescanIntervalMs?: number;
  /** Watch the folders for changes (default true); without, only touches and rescans find them. */
  readonly watch?: boolean;
  /**
   * Rows indexed before the planner's statistics are brought up to date (`VACUUM (ANALYZE)`), and
   * then half the rows analysed so far (default 10,000). It runs once the indexer has been idle for
   * {@link analyzeQuietMs}, so a burst of writes is not slowed by it; a stream that never pauses
   * has it run between batches after ten times that many rows.
   */
  readonly analyzeAfterRows?: number;
  /** Idle time before a due `VACUUM (ANALYZE)` runs (default 1 s). */
  readonly analyzeQuietMs?: number;
}

/** What the index says about the files it read, for `GET /api/store`. */
export interface LogIndexStatus {
  /** Run and template lines that are not records, a torn last line included. */
  readonly skippedLines: number;
  /** Files and folders that are not store files, with why (from the last full pass). */
  readonly skippedFiles: readonly SkippedFile[];
  /** Trace file lines that are not OTLP JSON, a torn last line included. */
  readonly skippedTraceLines: number;
  /** Spans of readable trace lines that were skipped (no string ids). */
  readonly skippedTraceSpans: number;
  /** True until the first walk of the whole store has ended. */
  readonly catchingUp: boolean;
}

/** The default interval of the safety-net rescan. */
export const DEFAULT_RESCAN_INTERVAL_MS = 30_000;
/** The default of {@link LogIndexerOptions.analyzeAfterRows}. */
const ANALYZE_AFTER_ROWS = 10_000;
/** The default of {@link LogIndexerOptions.analyzeQuietMs}. */
const ANALYZE_QUIET_MS = 1_000;
/** Files stat'ed per chunk of a full pass (the loop turns between chunks). */
const CHUNK_FILES = 1024;
const SKIPPED_FILES_KEY = "skipped_files";

/** The indexer of one store directory into one database; see the module's description. */
export class LogIndexer {
  /** The store's absolute directory. */
  readonly dir: string;
  readonly #db: SqlClient;
  readonly #projectIds: ProjectIds;
  readonly #watchEnabled: boolean;
  readonly #rescanMs: number;
  /** The identity of every file read, as last read (loaded at start, kept up to date). */
  #signatures = new Map<string, FileSignature>();
  /** Whole rows of the files read or looked up since start (loaded from `log_files` when they change). */
  #files = new Map<string, LogFile>();
  #skipped: SkippedTotals = { lines: 0, traceLines: 0, traceSpans: 0 };
  #filesRead = 0;
  #dirty = new Set<string>();
  /** Bumped for each path marked dirty; {@link settled} waits until a batch covered its value. */
  #seq = 0;
  #doneSeq = 0;
  #waiters: { target: number; resolve: () => void }[] = [];
  #pass: { paths: string[]; next: number; skippedFiles: SkippedFile[] } | undefined;
  #passWanted = false;
  #running: Promise<void> | undefined;
  #closed = false;
  #catchingUp = true;
  #caughtUp: () => void = () => undefined;
  readonly #caughtUpPromise: Promise<void>;
  #skippedFiles: SkippedFile[] = [];
  readonly #watchers = new Map<string, FSWatcher>();
  #timer: NodeJS.Timeout | undefined;
  readonly #listeners = new Set<() => void>();
  #rowsSinceAnalyze = 0;
  #rowsAtAnalyze = 0;
  readonly #analyzeAfterRows: number;
  readonly #analyzeQuietMs: number;
  /** Set once the indexer was quiet for `analyzeQuietMs` with statistics due (see {@link idle}). */
  #analyzeWanted = false;
  #analyzeTimer: NodeJS.Timeout | undefined;

  constructor(dir: string, db: SqlClient, options: LogIndexerOptions = {}) {
    this.dir = dir;
    this.#db = db;
    this.#projectIds = new ProjectIds(dir);
    this.#watchEnabled = options.watch ?? true;
    this.#rescanMs = options.rescanIntervalMs ?? DEFAULT_RESCAN_INTERVAL_MS;
    this.#analyzeAfterRows = options.analyzeAfterRows ?? ANALYZE_AFTER_ROWS;
    this.#analyzeQuietMs = options.analyzeQuietMs ?? ANALYZE_QUIET_MS;
    this.#caughtUpPromise = new Promise((resolve) => {
      this.#caughtUp = resolve;
    });
  }

  /**
   * Loads the offsets kept in the index, starts watching and starts the first full pass in the
   * background (see {@link caughtUp}).
   */
  async start(): Promise<void> {
    this.#signatures = await loadSignatures(this.#db);
    this.#skipped = await loadSkippedTotals(this.#db);
    const skipped = await loadMeta(this.#db, SKIPPED_FILES_KEY);
    if (Array.isArray(skipped)) this.#skippedFiles = skipped as SkippedFile[];
    this.#watchRoot();
    this.#timer = setInterval(() => this.#wantPass(), this.#rescanMs);
    this.#timer.unref();
    this.#wantPass();
  }

  /** Resolves once the first full pass has ended: everything in the files at start is indexed. */
  caughtUp(): Promise<void> {
    return this.#caughtUpPromise;
  }

  /**
   * Says that this process appended to (or replaced, or deleted) the file at `path`: it is read in
   * the next batch, and {@link settled} waits for it.
   */
  touch(path: string): void {
    this.#mark(relative(this.dir, path).split(sep).join("/"));
  }

  /**
   * Resolves once every file marked changed before the call (by {@link touch} or a watch event)
   * has been indexed: a read that waits for it sees what this server wrote before the read came.
   */
  async settled(): Promise<void> {
    // One turn of the event loop first: watch events of appends that ended before the call are
    // delivered in it.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.#closed || this.#doneSeq >= this.#seq) return;
    const target = this.#seq;
    await new Promise<void>((resolve) => this.#waiters.push({ target, resolve }));
  }

  /**
   * Resolves once every file marked changed before the call is indexed and the statistics are up
   * to date: a `VACUUM (ANALYZE)` waiting for a quiet moment runs now.
   */
  async idle(): Promise<void> {
    await this.settled();
    if (this.#closed || this.#rowsSinceAnalyze < this.#analyzeDue()) return;
    clearTimeout(this.#analyzeTimer);
    this.#analyzeTimer = undefined;
    this.#analyzeWanted = true;
    this.#kick();
    while (this.#running !== undefined) await this.#running;
  }

  /** Calls `listener` after each batch that changed the index. Returns the function that removes it. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** What was skipped, and whether the first pass is still going. */
  status(): LogIndexStatus {
    return {
      skippedLines: this.#skipped.lines,
      skippedFiles: this.#skippedFiles,
      skippedTraceLines: this.#skipped.traceLines,
      skippedTraceSpans: this.#skipped.traceSpans,
      catchingUp: this.#catchingUp,
    };
  }

  /** How far each file was read (relative path → offset), for tools and tests. */
  offsets(): ReadonlyMap<string, number> {
    return new Map([...this.#signatures].map(([path, f]) => [path, f.offset]));
  }

  /** How many times a file was opened and read since start (a restart reads only what changed). */
  filesRead(): number {
    return this.#filesRead;
  }

  /** Stops watching and indexing; resolves once the batch being written is done. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    clearTimeout(this.#analyzeTimer);
    for (const watcher of this.#watchers.values()) watcher.close();
    this.#watchers.clear();
    await this.#running;
    for (const w of this.#waiters.splice(0)) w.resolve();
    this.#caughtUp();
  }

  #mark(path: string): void {
    if (this.#closed || classify(path) === undefined) return;
    this.#dirty.add(path);
    this.#seq++;
    this.#kick();
  }

  #wantPass(): void {
    if (this.#closed) return;
    this.#passWanted = true;
    this.#kick();
  }

  #watchRoot(): void {
    this.#watch("", (name) => {
      if (name === null) this.#wantPass();
      else if (name === TRACES_FILE) this.#mark(TRACES_FILE);
      else void this.#watchProject(name, true);
    });
  }

  #watch(rel: string, onName: (name: string | null) => void): boolean {
    if (!this.#watchEnabled || this.#closed) return false;
    if (this.#watchers.has(rel)) return true;
    let watcher: FSWatcher;
    try {
      watcher = watch(join(this.dir, rel), { persistent: false }, (_event, name) =>
        onName(name === null ? null : String(name)),
      );
    } catch {
      return false; // Not there (yet): the folder above sees it made, the next full pass tries again.
    }
    watcher.on("error", () => {
      watcher.close();
      if (this.#watchers.get(rel) === watcher) this.#watchers.delete(rel);
      this.#wantPass();
    });
    this.#watchers.set(rel, watcher);
    return true;
  }

  /** Watches a project folder and its runs and templates folders; `list`: mark what they hold already. */
  async #watchProject(folder: string, list: boolean): Promise<void> {
    if (folder === SERVER_FOLDER || folder.includes("/")) return;
    // Plain files in the root (the trace file, the id registry) are not project folders.
    if (!this.#watchers.has(folder) && !(await stat(join(this.dir, folder)).catch(() => undefined))?.isDirectory())
      return;
    this.#watch(folder, (name) => {
      if (name === null || name === RUNS_FOLDER || name === TEMPLATES_FOLDER || name === PROJECT_FILE)
        void this.#watchProject(folder, true);
    });
    for (const sub of [RUNS_FOLDER, TEMPLATES_FOLDER]) {
      const rel = `${folder}/${sub}`;
      if (this.#watchers.has(rel)) continue;
      const watching = this.#watch(rel, (name) => (name === null ? this.#wantPass() : this.#mark(`${rel}/${name}`)));
      if (!watching || !list) continue;
      // Files made before the watch began (a new project's first run) are read now.
      try {
        for (const name of await readdir(join(this.dir, rel))) this.#mark(`${rel}/${name}`);
      } catch {
        // Gone again: nothing to read.
      }
    }
  }

  #kick(): void {
    if (this.#running !== undefined || this.#closed) return;
    this.#running = this.#loop().finally(() => {
      this.#running = undefined;
    });
  }

  async #loop(): Promise<void> {
    while (!this.#closed) {
      if (this.#dirty.size > 0) {
        const paths = [...this.#dirty];
        this.#dirty.clear();
        const seq = this.#seq;
        await this.#indexSafely(paths);
        this.#doneSeq = seq;
        const waiting = this.#waiters;
        this.#waiters = [];
        for (const w of waiting) {
          if (w.target <= seq) w.resolve();
          else this.#waiters.push(w);
        }
        continue;
      }
      if (this.#pass === undefined && this.#passWanted) {
        this.#passWanted = false;
        await this.#startPass();
        continue;
      }
      if (this.#pass !== undefined) {
        const pass = this.#pass;
        const paths = differingFiles(this.dir, this.#signatures, pass.paths.slice(pass.next, pass.next + CHUNK_FILES));
        pass.next += CHUNK_FILES;
        if (paths.length > 0) await this.#indexSafely(paths);
        else await new Promise<void>((resolve) => setImmediate(resolve)); // let the server answer
        if (pass.next >= pass.paths.length) await this.#endPass();
        continue;
      }
      if (this.#analyzeWanted) {
        await this.#analyze(); // clears #analyzeWanted
        continue;
      }
      return;
    }
  }

  async #startPass(): Promise<void> {
    try {
      // Watch the project folders first, then list them: a file made in between is seen either way.
      for (const entry of await readdir(this.dir, { withFileTypes: true }).catch(() => [])) {
        if (entry.isDirectory()) await this.#watchProject(entry.name, false);
      }
      this.#watchRoot();
      const listing = await listStore(this.dir, this.#projectIds);
      const seen = new Set(listing.files.map((f: StoreFileRef) => f.path));
      const gone = [...this.#signatures.keys()].filter((path) => !seen.has(path));
      this.#pass = { paths: [...seen, ...gone], next: 0, skippedFiles: listing.skippedFiles };
    } catch (error) {
      this.#warn("the store could not be listed", error);
      this.#pass = undefined;
      if (this.#catchingUp) await this.#endPass();
    }
  }

  async #endPass(): Promise<void> {
    const pass = this.#pass;
    this.#pass = undefined;
    if (pass !== undefined) {
      this.#skippedFiles = pass.skippedFiles;
      try {
        await saveMeta(this.#db, SKIPPED_FILES_KEY, pass.skippedFiles);
      } catch (error) {
        this.#warn("the list of skipped files could not be saved", error);
      }
    }
    // Statistics are due after a rebuild or a long time down: before the first answers, so that
    // they are planned with them; after a later pass, at the next quiet moment.
    if (this.#rowsSinceAnalyze >= this.#analyzeDue()) {
      if (this.#catchingUp) await this.#analyze();
      else this.#analyzeWhenQuiet();
    }
    if (this.#catchingUp) {
      this.#catchingUp = false;
      this.#caughtUp();
      this.#changed();
    }
  }

  /** Rows indexed since the last `VACUUM (ANALYZE)` that make the next one due. */
  #analyzeDue(): number {
    return Math.max(this.#analyzeAfterRows, this.#rowsAtAnalyze / 2);
  }

  /** (Re)starts the quiet-time wait before a due `VACUUM (ANALYZE)`: each batch postpones it. */
  #analyzeWhenQuiet(): void {
    clearTimeout(this.#analyzeTimer);
    this.#analyzeTimer = setTimeout(() => {
      this.#analyzeTimer = undefined;
      if (this.#closed) return;
      this.#analyzeWanted = true;
      this.#kick();
    }, this.#analyzeQuietMs);
    this.#analyzeTimer.unref();
  }

  async #analyze(): Promise<void> {
    clearTimeout(this.#analyzeTimer);
    this.#analyzeTimer = undefined;
    this.#analyzeWanted = false;
    try {
      // PGlite has no autovacuum: without statistics the planner picks poor plans after bulk loads,
      // and without the visibility map a node's history cannot be read from its index alone.
      await this.#db.query("VACUUM (ANALYZE)");
      this.#rowsAtAnalyze += this.#rowsSinceAnalyze;
      this.#rowsSinceAnalyze = 0;
    } catch (error) {
      this.#warn("VACUUM (ANALYZE) failed", error);
    }
  }

  async #indexSafely(paths: readonly string[]): Promise<void> {
    try {
      const changed = await this.#index(paths);
      if (changed) this.#changed();
      // Statistics again once the tables have grown by half since the last ANALYZE: when the
      // indexer is next quiet, or now when writes never pause.
      const due = this.#analyzeDue();
      if (this.#rowsSinceAnalyze >= Math.max(10 * this.#analyzeAfterRows, 2 * this.#rowsAtAnalyze))
        await this.#analyze();
      else if (this.#rowsSinceAnalyze >= due) this.#analyzeWhenQuiet();
    } catch (error) {
      // Offsets were not advanced: the next full pass reads these files again.
      this.#warn("files could not be indexed", error);
      this.#passWanted = true;
    }
  }

  #changed(): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener();
      } catch (error) {
        this.#warn("a change listener failed", error);
      }
    }
  }

  #warn(what: string, error: unknown): void {
    if (this.#closed) return;
    process.emitWarning(`hamilton-ts-ui: index of ${this.dir}: ${what}: ${(error as Error)?.message ?? error}`);
  }

  /** Indexes what changed in these files; true when the index changed. */
  async #index(paths: readonly string[]): Promise<boolean> {
    const batch = newBatch();
    const stats = await Promise.all(
      paths.map((path) =>
        stat(join(this.dir, path)).then(
          (s) => (s.isDirectory() ? undefined : s),
          // A file that cannot be looked at now (permissions) is left as it was indexed.
          (error: unknown) => (isMissing(error) ? undefined : null),
        ),
      ),
    );
    // The whole rows of the known files that changed, in one statement.
    const lookUp = paths.filter((path, i) => {
      const sig = this.#signatures.get(path);
      const st = stats[i];
      return (
        sig !== undefined &&
        !this.#files.has(path) &&
        st !== null &&
        (st === undefined || sig.ino !== st.ino || sig.size !== st.size || sig.mtimeMs !== st.mtimeMs)
      );
    });
    for (const file of await loadLogFilesAt(this.#db, lookUp)) this.#files.set(file.path, file);
    let changed = false;
    for (let i = 0; i < paths.length; i++) {
      const path = paths[i]!;
      const ref = classify(path);
      const sig = this.#signatures.get(path);
      const known = sig === undefined ? undefined : this.#files.get(path);
      const st = stats[i];
      if (ref === undefined || st === null) continue;
      if (st === undefined) {
        if (known === undefined) continue;
        if (known.kind === "trace") await dropAllSpans(this.#db);
        forgetFile(known, batch);
        continue;
      }
      if (sig !== undefined && sig.ino === st.ino && sig.size === st.size && sig.mtimeMs === st.mtimeMs) continue;
      const replaced = known !== undefined && (known.ino !== st.ino || st.size < known.offset);
      if (ref.kind === "trace") {
        changed = (await this.#trace(known, replaced, st)) || changed;
        continue;
      }
      const projectId = ref.folder === undefined ? undefined : await this.#projectIds.get(ref.folder);
      if (projectId === undefined) continue;
      this.#filesRead++;
      if (ref.kind === "run") await readRunFile(this.dir, ref, projectId, known, replaced, st, batch);
      else await readTemplateFile(this.dir, ref, projectId, known, st, batch);
    }
    if (batch.saved.length === 0 && batch.forgotten.length === 0) return changed;
    // Records first, offsets last: a crash in between reads the same lines again, which is harmless.
    await dropRuns(this.#db, batch.dropRunIds);
    await dropTemplates(this.#db, batch.dropTemplates);
    await ingestBatch(this.#db, batch.records);
    await markLostNodeRuns(this.#db, [...batch.runIds]);
    await putTemplates(this.#db, batch.templates);
    await saveLogFiles(this.#db, batch.saved);
    await forgetLogFiles(this.#db, batch.forgotten);
    for (const file of batch.saved) this.#remember(file);
    for (const path of batch.forgotten) this.#forget(path);
    this.#rowsSinceAnalyze += batch.rows;
    return true;
  }

  /** Keeps a file's row and signature as saved, and its skipped counts in the totals. */
  #remember(file: LogFile): void {
    this.#forget(file.path);
    this.#files.set(file.path, file);
    this.#signatures.set(file.path, { ino: file.ino, size: file.size, mtimeMs: file.mtimeMs, offset: file.offset });
    this.#count(file, 1);
  }

  #forget(path: string): void {
    const known = this.#signatures.has(path) ? this.#files.get(path) : undefined;
    if (known !== undefined) this.#count(known, -1);
    this.#files.delete(path);
    this.#signatures.delete(path);
  }

  #count(file: LogFile, sign: 1 | -1): void {
    const lines = sign * (file.skippedLines + (file.tail ? 1 : 0));
    if (file.kind === "trace") {
      this.#skipped.traceLines += lines;
      this.#skipped.traceSpans += sign * file.skippedSpans;
    } else this.#skipped.lines += lines;
  }

  /** Reads what was appended to the trace file, a slice at a time (spans, then the offset). */
  async #trace(known: LogFile | undefined, replaced: boolean, st: { ino: number; mtimeMs: number }): Promise<boolean> {
    const ref: StoreFileRef = { path: TRACES_FILE, kind: "trace", folder: undefined };
    const entry: LogFile = known === undefined || replaced ? fresh(ref, undefined) : { ...known };
    if (replaced) await dropAllSpans(this.#db);
    this.#filesRead++;
    for (;;) {
      const appended = await readAppended(join(this.dir, TRACES_FILE), entry.offset, { maxBytes: SLICE_BYTES });
      const spans: SpanView[] = [];
      for (const line of appended.lines) {
        let request: unknown;
        try {
          request = JSON.parse(line);
        } catch {
          entry.skippedLines++;
          continue;
        }
        if (!Array.isArray((request as { resourceSpans?: unknown } | null)?.resourceSpans)) {
          entry.skippedLines++;
          continue;
        }
        const found = spansOf(request);
        entry.skippedSpans += found.skipped;
        for (const span of found) spans.push(span);
      }
      await ingestSpans(this.#db, spans);
      entry.offset = appended.nextOffset;
      entry.size = appended.size;
      entry.tail = appended.tail;
      entry.ino = st.ino;
      entry.mtimeMs = st.mtimeMs;
      await saveLogFiles(this.#db, [entry]);
      this.#remember({ ...entry });
      this.#rowsSinceAnalyze += spans.length;
      if (!appended.more) return true;
    }
  }
}
