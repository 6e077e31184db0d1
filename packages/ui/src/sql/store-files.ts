/**
 * The store directory's files as the log indexer sees them: which paths are store files (a run's
 * records, a DAG template, the OTLP trace file), which project a folder stands for, and the
 * listing of the whole store that the indexer's full passes walk (with the files and folders that
 * are not store files, as `readFileStore` reports them).
 */
import type { Dirent } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  isTemporaryFile,
  PROJECT_FILE,
  parseProjectFolderName,
  parseRunFileName,
  parseTemplateFileName,
  projectIdFile,
  RUNS_FOLDER,
  TEMPLATES_FOLDER,
  type SkippedFile,
} from "@hamilton-ts/store";
import { SERVER_FOLDER } from "../store-lock.js";
import { TRACES_FILE } from "../traces.js";
import type { LogFileKind } from "./log-files.js";

/** A store file, by its path relative to the store's directory (`/`-separated). */
export interface StoreFileRef {
  readonly path: string;
  readonly kind: LogFileKind;
  /** The project folder's name (run and template files). */
  readonly folder: string | undefined;
}

/** What a relative path is in the store, or undefined when it is not a store file. */
export function classify(path: string): StoreFileRef | undefined {
  const parts = path.split("/");
  if (parts.length === 1) return parts[0] === TRACES_FILE ? { path, kind: "trace", folder: undefined } : undefined;
  if (parts.length !== 3) return undefined;
  const [folder, sub, name] = parts as [string, string, string];
  if (folder === SERVER_FOLDER) return undefined;
  if (sub === RUNS_FOLDER && parseRunFileName(name) !== undefined) return { path, kind: "run", folder };
  if (sub === TEMPLATES_FOLDER && !isTemporaryFile(name) && parseTemplateFileName(name) !== undefined)
    return { path, kind: "template", folder };
  return undefined;
}

/** The project ids of project folders, a hashed name's read from its `project.json` once. */
export class ProjectIds {
  readonly #root: string;
  readonly #hashed = new Map<string, string | undefined>();

  constructor(root: string) {
    this.#root = root;
  }

  /** The project a folder stands for; undefined when it is not a project folder. */
  async get(folder: string): Promise<string | undefined> {
    if (folder === SERVER_FOLDER) return undefined;
    const parsed = parseProjectFolderName(folder);
    if (parsed === undefined || !parsed.hashed) return parsed?.id;
    if (this.#hashed.has(folder) && this.#hashed.get(folder) !== undefined) return this.#hashed.get(folder);
    let id: string | undefined;
    try {
      const stored = (
        JSON.parse(await readFile(projectIdFile(join(this.#root, folder)), "utf8")) as { projectId?: unknown } | null
      )?.projectId;
      id = typeof stored === "string" ? stored : undefined;
    } catch {
      id = undefined;
    }
    this.#hashed.set(folder, id);
    return id;
  }
}

async function list(dir: string): Promise<Dirent[] | Error> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    return error as Error;
  }
}

function reasonOf(error: unknown): string {
  if ((error as NodeJS.ErrnoException | null)?.code === "EISDIR") return "a folder, not a file";
  return error instanceof Error ? error.message : String(error);
}

/** What {@link listStore} found. */
export interface StoreListing {
  readonly files: StoreFileRef[];
  /** Project folders (names) with their project ids. */
  readonly projects: Map<string, string>;
  readonly skippedFiles: SkippedFile[];
}

/**
 * Lists the store's files: the trace file, and each project's templates and run files. Folders
 * and files that are not store files are listed in `skippedFiles`, with why.
 */
export async function listStore(root: string, projectIds: ProjectIds): Promise<StoreListing> {
  const files: StoreFileRef[] = [];
  const projects = new Map<string, string>();
  const skippedFiles: SkippedFile[] = [];
  const skip = (path: string, reason: string) => skippedFiles.push({ path, reason });
  const entries = await list(root);
  if (entries instanceof Error) throw entries;
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (!entry.isDirectory()) {
      if (entry.name === TRACES_FILE) files.push({ path: TRACES_FILE, kind: "trace", folder: undefined });
      continue; // Other plain files in the root belong to other tools.
    }
    if (entry.name === SERVER_FOLDER) continue;
    const folder = entry.name;
    const projectId = await projectIds.get(folder);
    if (projectId === undefined) {
      skip(
        join(root, folder),
        parseProjectFolderName(folder)?.hashed
          ? `no readable ${PROJECT_FILE} with the project's id`
          : "not a store folder name",
      );
      continue;
    }
    projects.set(folder, projectId);
    for (const [sub, expected] of [
      [TEMPLATES_FOLDER, "<graphVersion>.json"],
      [RUNS_FOLDER, "<runId>.jsonl"],
    ] as const) {
      const subDir = join(root, folder, sub);
      const names = await list(subDir);
      if (names instanceof Error) {
        skip(subDir, reasonOf(names));
        continue;
      }
      for (const name of names) {
        if (sub === TEMPLATES_FOLDER && isTemporaryFile(name.name)) continue;
        const path = `${folder}/${sub}/${name.name}`;
        const ref = classify(path);
        if (ref === undefined) skip(join(subDir, name.name), `not a store file name (${expected})`);
        else if (name.isDirectory()) skip(join(subDir, name.name), "a folder, not a file");
        else files.push(ref);
      }
    }
  }
  return { files, projects, skippedFiles };
}
