/**
 * Writes the runs that arrive over the tracking protocol into the store, in the tracker's format:
 * one `<project>/runs/<runId>.jsonl` per run (run id = the dag_run id), each change appended as a
 * complete snapshot record (a run record, or a node record), so `readFileStore` folds them like a
 * `FileSink`'s. Writes to one run are serialized; different runs are written concurrently. A run's
 * state is kept in memory while it is used and read back from its file after a restart.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { appendLines, fileErrorCode } from "@hamilton-ts/store";
import { dirname } from "node:path";
import {
  isHashedName,
  projectFolder,
  projectIdFile,
  runFile,
  runsFolder,
  RunFold,
  templateFile,
  toFileName,
  writeWholeFile,
  type DagTemplateRecord,
  type NodeRunRecord,
  type RunRecord,
} from "@hamilton-ts/store";

/** A Hamilton UI node attribute as it arrived (kept to answer `GET /dag_runs/{ids}?attr=`). */
export interface StoredAttribute {
  readonly node_name: string;
  readonly name: string;
  readonly type: string;
  readonly schema_version: number;
  readonly value: unknown;
  readonly attribute_role: string;
}

/**
 * A node record as this server writes it: the tracker's `NodeRunRecord`, plus the Hamilton UI
 * attributes it was built from (by name), which readers of the tracker's format ignore.
 */
export type UiNodeRunRecord = NodeRunRecord & {
  readonly uiAttributes?: Readonly<Record<string, StoredAttribute>>;
  /** The task update's `realized_dependencies`. */
  readonly realizedDependencies?: readonly string[];
};

/** The state of one run received over the protocol. */
export interface RunState {
  run: RunRecord;
  readonly nodes: Map<string, UiNodeRunRecord>;
}

/** What a change to a run returns: the records to store, the state of a run it creates, and its result. */
export interface RunChange<T> {
  readonly records: readonly (RunRecord | UiNodeRunRecord)[];
  /** The state of a run the change creates (its state was undefined). */
  readonly state?: RunState;
  readonly value: T;
}

/**
 * Which node runs a read or a change needs, by the protocol's node name (`taskId-node` for a
 * fan-out item): `"all"`, or only these (`[]`: the run alone). A store may give more than asked.
 */
export type NodeSelection = "all" | readonly string[];

/**
 * The state of the runs the tracking protocol receives, whatever keeps it: run files in a local
 * store ({@link RunStore}), or the database in team mode (`openTeamStore`), where several servers
 * may change one run at once and none keeps a run's state in memory.
 */
export interface ProtocolRuns {
  /** Makes what a project needs before its first template or run. */
  ensureProject(projectId: string): Promise<void>;
  /** Stores a DAG template (the first one stored under a graph version stays). */
  writeTemplate(projectId: string, template: DagTemplateRecord): Promise<void>;
  /** A run's state (the run and the node runs `nodes` selects), undefined when the run is not stored. */
  read(projectId: string, runId: string, nodes?: NodeSelection): Promise<RunState | undefined>;
  /**
   * Runs `change` on a run's state (undefined for a run not stored yet) with no other change to the
   * run meanwhile, stores the records it returns, and resolves with its value once they are stored.
   * The state holds the run and at least the node runs `nodes` selects.
   */
  update<T>(
    projectId: string,
    runId: string,
    change: (state: RunState | undefined) => RunChange<T>,
    nodes?: NodeSelection,
  ): Promise<T>;
}

/** Runs kept in memory; older ones are read again from their file when needed. */
const MAX_CACHED_RUNS = 1_000;

/** The runs received over the protocol, in the store's directory (see the module's description). */
export class RunStore implements ProtocolRuns {
  /** The store's absolute directory. */
  readonly dir: string;
  readonly #cache = new Map<string, RunState>();
  readonly #locks = new Map<string, Promise<unknown>>();
  readonly #projects = new Set<string>();
  /** The templates written, by path, to write again if the store's directory is deleted. */
  readonly #templates = new Map<string, { projectId: string; text: string }>();
  readonly #restored: (() => Promise<void>) | undefined;

  /**
   * @param restored Called (and awaited) when a write finds the store's directory deleted, before
   * the store writes its folders again: what else lives in the store (the id registry) is written
   * again there, on the write that found it gone rather than by a check on every write.
   */
  constructor(dir: string, restored?: () => Promise<void>) {
    this.dir = dir;
    this.#restored = restored;
  }

  /** Makes a project's folders (and its `project.json` when its folder's name is a hash). */
  async ensureProject(projectId: string): Promise<void> {
    if (this.#projects.has(projectId)) return;
    await mkdir(runsFolder(this.dir, projectId), { recursive: true });
    if (isHashedName(toFileName(projectId))) {
      await writeFile(projectIdFile(projectFolder(this.dir, projectId)), `${JSON.stringify({ projectId })}\n`, "utf8");
    }
    this.#projects.add(projectId);
  }

  /** Writes a template file (write-then-rename), once per path. */
  async writeTemplate(projectId: string, template: DagTemplateRecord): Promise<void> {
    const path = templateFile(this.dir, projectId, template.graphVersion);
    if (this.#templates.has(path)) return;
    await this.ensureProject(projectId);
    const text = `${JSON.stringify(template)}\n`;
    await mkdir(dirname(path), { recursive: true });
    await writeWholeFile(path, text);
    this.#templates.set(path, { projectId, text });
  }

  /**
   * Runs `change` on a run's state with the run locked (no other change to it meanwhile), then
   * appends the records it returns to the run's file in one write (fsynced when the run has
   * ended) and resolves once they are written. `state` is undefined for a run with no file yet.
   */
  async update<T>(
    projectId: string,
    runId: string,
    change: (state: RunState | undefined) => RunChange<T>,
    _nodes?: NodeSelection,
  ): Promise<T> {
    const key = `${projectId}\0${runId}`;
    const previous = this.#locks.get(key) ?? Promise.resolve();
    const next = previous.then(async () => {
      const state = await this.#load(key, projectId, runId);
      try {
        const { records, state: created, value } = change(state);
        const current = created ?? state;
        if (records.length > 0) await this.#append(projectId, runId, records, current);
        if (current !== undefined) this.#remember(key, current);
        return value;
      } catch (error) {
        // `change` may have changed the cached state in place: what is not on disk must not be
        // served (a client checking what was stored would never resend it). Read it again next time.
        this.#cache.delete(key);
        throw error;
      }
    });
    const settled = next.catch(() => {});
    this.#locks.set(key, settled);
    void settled.then(() => {
      if (this.#locks.get(key) === settled) this.#locks.delete(key);
    });
    return next;
  }

  /**
   * Appends records to a run's file in one write, fsynced once the run has ended. When the store's
   * directory was deleted meanwhile (ENOENT), its folders and templates are made again and the run's
   * whole state is written, as `FileSink` recovers.
   */
  async #append(
    projectId: string,
    runId: string,
    records: readonly (RunRecord | UiNodeRunRecord)[],
    current: RunState | undefined,
  ): Promise<void> {
    const path = runFile(this.dir, projectId, runId);
    const write = async (lines: readonly (RunRecord | UiNodeRunRecord)[]) => {
      await this.ensureProject(projectId);
      // Through the store's file log: one write per batch, never interleaved with another process's
      // appends (a FileSink or a second server on the same run file), on a fresh line after a torn one.
      await appendLines(
        path,
        lines.map((r) => JSON.stringify(r)),
        { sync: current !== undefined && current.run.status !== "RUNNING" },
      );
    };
    try {
      await write(records);
    } catch (error) {
      if (fileErrorCode(error) !== "ENOENT") throw error;
      this.#projects.clear();
      await this.#restored?.();
      for (const [templatePath, t] of this.#templates) {
        await this.ensureProject(t.projectId);
        await mkdir(dirname(templatePath), { recursive: true });
        await writeWholeFile(templatePath, t.text);
      }
      // The run's file went with the directory: write its whole state, not just the change.
      await write(current === undefined ? records : [current.run, ...current.nodes.values()]);
    }
  }

  /** A run's state (every node run: the file holds them all), without changing it. */
  read(projectId: string, runId: string, _nodes?: NodeSelection): Promise<RunState | undefined> {
    return this.update(projectId, runId, (state) => ({ records: [], value: state }));
  }

  /** Resolves once every write started so far has settled. */
  async idle(): Promise<void> {
    while (this.#locks.size > 0) await Promise.all(this.#locks.values());
  }

  #remember(key: string, state: RunState): void {
    this.#cache.delete(key);
    this.#cache.set(key, state);
    if (this.#cache.size > MAX_CACHED_RUNS) this.#cache.delete(this.#cache.keys().next().value!);
  }

  async #load(key: string, projectId: string, runId: string): Promise<RunState | undefined> {
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached;
    let text: string;
    try {
      text = await readFile(runFile(this.dir, projectId, runId), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    // Whole snapshots, folded as readFileStore folds them, so both read the same state; the
    // records this server wrote are UiNodeRunRecords (the tracker's, with the protocol's attributes).
    const fold = new RunFold();
    fold.addLines(text);
    return fold.run === undefined ? undefined : { run: fold.run, nodes: fold.nodes as Map<string, UiNodeRunRecord> };
  }
}
