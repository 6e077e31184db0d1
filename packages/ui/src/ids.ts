/**
 * The ids the tracking protocol hands out (DAG templates, dag runs), kept in the store's directory
 * so they stay the same across restarts of the server: clients cache them. One JSON line per id in
 * `<store>/hamilton-ui-ids.jsonl`, appended before the id is answered. A plain file in the store's
 * root: `readFileStore` leaves such files to other tools. If the file goes (the store's directory
 * deleted while the server runs), the next write writes the whole registry again from memory,
 * so the ids clients cached still hold after a restart.
 */
import { appendFile, mkdir, readFile, stat } from "node:fs/promises";
import { dirname, join } from "node:path";

/** The name of the id file in the store's directory. */
export const IDS_FILE = "hamilton-ui-ids.jsonl";

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
}

/** A dag run the protocol created; its run id in the store is `String(id)`. */
export interface RunEntry {
  readonly kind: "run";
  readonly id: number;
  readonly templateId: number;
  readonly projectId: string;
  readonly createdAt: number;
}

type Entry = TemplateEntry | RunEntry;

/** The id registry, read once at start and appended to. */
export class IdRegistry {
  /** The registry's file. */
  readonly path: string;
  /** Templates by id. */
  readonly templates = new Map<number, TemplateEntry>();
  /** Dag runs by id. */
  readonly runs = new Map<number, RunEntry>();
  /** Lines of the file that could not be read (a torn last line). */
  skippedLines = 0;
  #nextTemplate = 1;
  #nextRun = 1;
  #queue: Promise<void> = Promise.resolve();

  private constructor(path: string) {
    this.path = path;
  }

  /** Reads the registry of a store (empty when the file does not exist yet). */
  static async open(dir: string): Promise<IdRegistry> {
    const registry = new IdRegistry(join(dir, IDS_FILE));
    let text = "";
    try {
      text = await readFile(registry.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    for (const line of text.split("\n")) {
      if (line.length === 0) continue;
      try {
        registry.#add(JSON.parse(line) as Entry);
      } catch {
        registry.skippedLines++;
      }
    }
    return registry;
  }

  #add(entry: Entry): void {
    if (entry?.kind === "template" && Number.isInteger(entry.id)) {
      this.templates.set(entry.id, entry);
      this.#nextTemplate = Math.max(this.#nextTemplate, entry.id + 1);
    } else if (entry?.kind === "run" && Number.isInteger(entry.id)) {
      this.runs.set(entry.id, entry);
      this.#nextRun = Math.max(this.#nextRun, entry.id + 1);
    } else {
      this.skippedLines++;
    }
  }

  /** The template registered for these hashes and name in a project, if any. */
  findTemplate(projectId: string, dagHash: string, codeHash: string, name: string): TemplateEntry | undefined {
    for (const t of this.templates.values()) {
      if (t.projectId === projectId && t.dagHash === dagHash && t.codeHash === codeHash && t.name === name) return t;
    }
    return undefined;
  }

  /** Registers a template under a new id; resolves once the id is on disk. */
  async addTemplate(fields: Omit<TemplateEntry, "kind" | "id" | "graphVersion" | "createdAt">): Promise<TemplateEntry> {
    const id = this.#nextTemplate++;
    const entry: TemplateEntry = {
      kind: "template",
      id,
      graphVersion: `hamilton-ui-${id}`,
      createdAt: Date.now(),
      ...fields,
    };
    await this.#persist(entry);
    return entry;
  }

  /** Registers a dag run under a new id; resolves once the id is on disk. */
  async addRun(templateId: number, projectId: string): Promise<RunEntry> {
    const entry: RunEntry = { kind: "run", id: this.#nextRun++, templateId, projectId, createdAt: Date.now() };
    await this.#persist(entry);
    return entry;
  }

  #persist(entry: Entry): Promise<void> {
    const line = `${JSON.stringify(entry)}\n`;
    return this.#enqueue(async () => {
      await mkdir(dirname(this.path), { recursive: true });
      await this.#restoreIfMissing();
      await appendFile(this.path, line, "utf8");
      this.#add(entry);
    });
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
    await mkdir(dirname(this.path), { recursive: true });
    const entries = [...this.templates.values(), ...this.runs.values()];
    await appendFile(this.path, entries.map((e) => `${JSON.stringify(e)}\n`).join(""), "utf8");
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
