/**
 * The ids the tracking protocol hands out (DAG templates, dag runs), kept in the store's directory
 * so they stay the same across restarts of the server: clients cache them. One JSON line per id in
 * `<store>/hamilton-ui-ids.jsonl`, appended (through the store's file log) before the id is
 * answered. A plain file in the store's root: `readFileStore` leaves such files to other tools. If
 * the file goes (the store's directory deleted while the server runs), the next write writes the
 * whole registry again from memory, so the ids clients cached still hold after a restart.
 *
 * Ids never repeat, as far as the files can tell:
 * - the next id is above every id in the registry **and** every id the store's own files name (a
 *   run file `<project>/runs/<id>.jsonl`, a template `<project>/templates/hamilton-ui-<id>.json`), so
 *   a deleted registry, or one whose last line is torn, does not hand out an id a run already has;
 * - an id is claimed by appending its line and reading the registry on up to that line: the first
 *   line with an id owns it, so two servers on one store that pick the same id at once both see
 *   which one came first, and the other picks the next id;
 * - every append starts on a fresh line, so a torn last line costs only itself.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { appendLines, readAppended } from "@hamilton-ts/store";
import { parseRunFileName, parseTemplateFileName, RUNS_FOLDER, TEMPLATES_FOLDER } from "@hamilton-ts/store";

/** The name of the id file in the store's directory. */
export const IDS_FILE = "hamilton-ui-ids.jsonl";

/** The graph version of a protocol template in the store: `hamilton-ui-<id>`. */
const TEMPLATE_VERSION = /^hamilton-ui-(\d+)$/;
const RUN_ID = /^\d+$/;
/** Claims lost to another server in a row before giving up (each loss means another id was taken). */
const MAX_CLAIMS = 1000;

/** A DAG template the protocol registered. */
export interface TemplateEntry {
  readonly kind: "template";
  readonly id: number;
  readonly projectId: string;
  readonly name: string;
  readonly dagHash: string;
  readonly codeHash: string;
  /** The template's graph version in the store (`hamilton-ui-<id>`). */
  readonly graphVersion: string;
  readonly createdAt: number;
  /** A token unique to the line that claimed the id (absent in registries written before it). */
  readonly claim?: string;
}

/** A dag run the protocol created; its run id in the store is `String(id)`. */
export interface RunEntry {
  readonly kind: "run";
  readonly id: number;
  readonly templateId: number;
  readonly projectId: string;
  readonly createdAt: number;
  /** A token unique to the line that claimed the id (absent in registries written before it). */
  readonly claim?: string;
}

type Entry = TemplateEntry | RunEntry;

/** The fields a new template is registered with (the rest is the registry's). */
export type NewTemplate = Omit<TemplateEntry, "kind" | "id" | "graphVersion" | "createdAt" | "claim">;

/** Which dag runs `GET /api/v1/dag_runs/latest/` lists: of one template or one project (or all), newest first. */
export interface RunListing {
  readonly templateId?: number | undefined;
  readonly projectId?: string | undefined;
  readonly limit: number;
  readonly offset: number;
}

/**
 * The ids the tracking protocol hands out and looks up, whatever keeps them: the file registry
 * ({@link IdRegistry}) of a local store, or the database's sequences and tables in team mode
 * (`openTeamStore`). An id handed out is never handed out again, by this server or another one
 * on the same store.
 */
export interface ProtocolIds {
  /** The template registered for these hashes and name in a project, if any. */
  findTemplate(projectId: string, dagHash: string, codeHash: string, name: string): Promise<TemplateEntry | undefined>;
  /**
   * Registers a template under a new id; resolves once the id is stored. Where several servers
   * register at once, the template another one registered first for the same key may be returned.
   */
  addTemplate(fields: NewTemplate): Promise<TemplateEntry>;
  /** Registers a dag run under a new id; resolves once the id is stored. */
  addRun(templateId: number, projectId: string): Promise<RunEntry>;
  /** The template with this id, if any. */
  template(id: number): Promise<TemplateEntry | undefined>;
  /** The dag run with this id, if any. */
  run(id: number): Promise<RunEntry | undefined>;
  /** Dag runs, newest (highest id) first. */
  listRuns(listing: RunListing): Promise<RunEntry[]>;
}

/** The highest run id and template id the store's own files name (0 when none). */
async function idsInFiles(dir: string): Promise<{ run: number; template: number }> {
  const found = { run: 0, template: 0 };
  const names = async (folder: string) => readdir(folder).catch(() => [] as string[]);
  for (const project of await names(dir)) {
    if (project.startsWith(".")) continue;
    for (const name of await names(join(dir, project, RUNS_FOLDER))) {
      const id = parseRunFileName(name)?.id;
      if (id !== undefined && RUN_ID.test(id)) found.run = Math.max(found.run, Number(id));
    }
    for (const name of await names(join(dir, project, TEMPLATES_FOLDER))) {
      const match = TEMPLATE_VERSION.exec(parseTemplateFileName(name)?.id ?? "");
      if (match !== null) found.template = Math.max(found.template, Number(match[1]));
    }
  }
  return found;
}

/** The id registry, read at start, read on before each new id, and appended to. */
export class IdRegistry implements ProtocolIds {
  /** The registry's file. */
  readonly path: string;
  /** Templates by id. */
  readonly templates = new Map<number, TemplateEntry>();
  /** Dag runs by id. */
  readonly runs = new Map<number, RunEntry>();
  /** Lines of the file that could not be read (a torn line). */
  #skipped = 0;
  /** True when the file ended, when last read, in a line without its newline (torn, or being written). */
  #tail = false;
  readonly #dir: string;
  #nextTemplate = 1;
  #nextRun = 1;
  /** How far the registry's file has been read. */
  #offset = 0;
  #queue: Promise<void> = Promise.resolve();

  private constructor(dir: string) {
    this.#dir = dir;
    this.path = join(dir, IDS_FILE);
  }

  /**
   * Reads the registry of a store (empty when the file does not exist yet), and the ids the
   * store's files name, so the next ids are above both.
   */
  static async open(dir: string): Promise<IdRegistry> {
    const registry = new IdRegistry(dir);
    await registry.#readOn(undefined);
    const inFiles = await idsInFiles(dir);
    registry.#nextRun = Math.max(registry.#nextRun, inFiles.run + 1);
    registry.#nextTemplate = Math.max(registry.#nextTemplate, inFiles.template + 1);
    return registry;
  }

  /** Adds an entry read from the file unless its id is taken (the first line with an id owns it). */
  #add(entry: Entry): boolean {
    if (entry?.kind === "template" && Number.isSafeInteger(entry.id)) {
      this.#nextTemplate = Math.max(this.#nextTemplate, entry.id + 1);
      if (this.templates.has(entry.id)) return false;
      this.templates.set(entry.id, entry);
      return true;
    }
    if (entry?.kind === "run" && Number.isSafeInteger(entry.id)) {
      this.#nextRun = Math.max(this.#nextRun, entry.id + 1);
      if (this.runs.has(entry.id)) return false;
      this.runs.set(entry.id, entry);
      return true;
    }
    this.#skipped++;
    return false;
  }

  /**
   * Reads the lines appended to the registry since last time (another server's ids), and says
   * whether the line claiming `claim` was found and won its id (undefined: not found).
   */
  async #readOn(claim: string | undefined): Promise<boolean | undefined> {
    let outcome: boolean | undefined;
    for (;;) {
      const appended = await readAppended(this.path, this.#offset);
      // The file was cut or replaced: read it again from its start (known ids stay).
      if (appended.size < this.#offset) {
        this.#offset = 0;
        continue;
      }
      for (const line of appended.lines) {
        let entry: Entry;
        try {
          entry = JSON.parse(line) as Entry;
        } catch {
          this.#skipped++;
          continue;
        }
        const added = this.#add(entry);
        if (claim !== undefined && entry?.claim === claim) outcome = added;
      }
      this.#offset = appended.nextOffset;
      this.#tail = appended.tail;
      if (!appended.more) return outcome;
    }
  }

  /** Lines of the file that could not be read: torn ones, the last line without its newline included. */
  get skippedLines(): number {
    return this.#skipped + (this.#tail ? 1 : 0);
  }

  async findTemplate(projectId: string, dagHash: string, codeHash: string, name: string) {
    for (const t of this.templates.values()) {
      if (t.projectId === projectId && t.dagHash === dagHash && t.codeHash === codeHash && t.name === name) return t;
    }
    return undefined;
  }

  async template(id: number): Promise<TemplateEntry | undefined> {
    return this.templates.get(id);
  }

  async run(id: number): Promise<RunEntry | undefined> {
    return this.runs.get(id);
  }

  async listRuns({ templateId, projectId, limit, offset }: RunListing): Promise<RunEntry[]> {
    return [...this.runs.values()]
      .filter(
        (r) =>
          (templateId === undefined || r.templateId === templateId) &&
          (projectId === undefined || r.projectId === projectId),
      )
      .sort((a, b) => b.id - a.id)
      .slice(offset, offset + limit);
  }

  /** Registers a template under a new id; resolves once the id is on disk. */
  addTemplate(fields: NewTemplate): Promise<TemplateEntry> {
    return this.#claim(
      () => this.#nextTemplate,
      (id, claim): TemplateEntry => ({
        kind: "template",
        id,
        graphVersion: `hamilton-ui-${id}`,
        createdAt: Date.now(),
        ...fields,
        claim,
      }),
    );
  }

  /** Registers a dag run under a new id; resolves once the id is on disk. */
  addRun(templateId: number, projectId: string): Promise<RunEntry> {
    return this.#claim(
      () => this.#nextRun,
      (id, claim): RunEntry => ({ kind: "run", id, templateId, projectId, createdAt: Date.now(), claim }),
    );
  }

  /**
   * Claims the next free id: reads on (another server's ids), appends the entry, and reads on up to
   * its line; if an earlier line took the id meanwhile, tries the next one.
   */
  #claim<E extends Entry>(next: () => number, make: (id: number, claim: string) => E): Promise<E> {
    let result: E | undefined;
    return this.#enqueue(async () => {
      await mkdir(this.#dir, { recursive: true });
      await this.#restoreIfMissing();
      for (let attempt = 0; attempt < MAX_CLAIMS; attempt++) {
        await this.#readOn(undefined);
        const entry = make(next(), randomBytes(8).toString("hex"));
        await appendLines(this.path, [JSON.stringify(entry)]);
        if ((await this.#readOn(entry.claim)) === true) {
          result = entry;
          return;
        }
      }
      throw new Error(
        `${this.path}: ${MAX_CLAIMS} ids in a row were taken by other writers of this store; is another server handing out ids in a loop?`,
      );
    }).then(() => result!);
  }

  /**
   * Writes the whole registry again if its file is gone (the store's directory was deleted while
   * the server runs); resolves once it is on disk. The run store calls it when a write finds the
   * store's directory gone (and every new id checks it), so a store that is written to again has
   * its ids again.
   */
  ensureOnDisk(): Promise<void> {
    return this.#enqueue(async () => {
      await this.#restoreIfMissing();
    });
  }

  async #restoreIfMissing(): Promise<void> {
    if (this.templates.size === 0 && this.runs.size === 0) return;
    try {
      await stat(this.path);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    const entries = [...this.templates.values(), ...this.runs.values()];
    await appendLines(
      this.path,
      entries.map((e) => JSON.stringify(e)),
      { createDir: true },
    );
    // Read from the start again: the lines written are known ids; another server's may follow.
    this.#offset = 0;
  }

  #enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.#queue.then(work);
    this.#queue = next.catch(() => {});
    return next;
  }

  /** Resolves once every id handed out so far is written. */
  idle(): Promise<void> {
    return this.#queue;
  }
}
