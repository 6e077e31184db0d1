/**
 * The layout of a local store (what {@link FileSink} writes and {@link readFileStore} reads), in
 * one place for every reader and writer:
 *
 * ```text
 * <root>/                                      default `.hamilton-ts` in the working directory
 *   <projectId>/                               one folder per project
 *     project.json                             { "projectId": … }, only when the folder's name is a hash
 *     templates/<graphVersion>.json            one DAG template, written once (write-then-rename)
 *     runs/<runId>.jsonl                       one run: JSON lines, appended in order
 * ```
 *
 * Ids become file names with {@link toFileName} and come back with the `parse…Name` functions; a
 * long id's name is a hash ({@link isHashedName}), and its id is read from the records (or, for a
 * project, from `project.json`).
 *
 * @module
 */
import { createHash, randomBytes } from "node:crypto";
import { rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ProjectId } from "./records.js";

/** The store's directory when none is given, relative to the working directory. */
export const DEFAULT_STORE_DIR = ".hamilton-ts";

/** The folder, in a project's folder, that holds its templates. */
export const TEMPLATES_FOLDER = "templates";

/** The folder, in a project's folder, that holds its runs. */
export const RUNS_FOLDER = "runs";

/** The extension of a template file (one JSON document). */
export const TEMPLATE_EXTENSION = ".json";

/** The extension of a run file (JSON lines). */
export const RUN_EXTENSION = ".jsonl";

/** The extension of a template being written (write-then-rename): not a template yet. */
export const TEMPORARY_EXTENSION = ".tmp";

/** The folder of a project: `<root>/<projectId>`. */
export function projectFolder(root: string, projectId: ProjectId): string {
  return join(root, toFileName(String(projectId)));
}

/** The folder of a project's templates: `<root>/<projectId>/templates`. */
export function templatesFolder(root: string, projectId: ProjectId): string {
  return join(projectFolder(root, projectId), TEMPLATES_FOLDER);
}

/** The folder of a project's runs: `<root>/<projectId>/runs`. */
export function runsFolder(root: string, projectId: ProjectId): string {
  return join(projectFolder(root, projectId), RUNS_FOLDER);
}

/** The file that holds one run's records: `<root>/<projectId>/runs/<runId>.jsonl`. */
export function runFile(root: string, projectId: ProjectId, runId: string): string {
  return join(runsFolder(root, projectId), `${toFileName(runId)}${RUN_EXTENSION}`);
}

/** The file that holds one DAG template: `<root>/<projectId>/templates/<graphVersion>.json`. */
export function templateFile(root: string, projectId: ProjectId, graphVersion: string): string {
  return join(templatesFolder(root, projectId), `${toFileName(graphVersion)}${TEMPLATE_EXTENSION}`);
}

/** The file beside a project's folder contents that keeps its id when the folder's name is a hash. */
export function projectIdFile(projectFolderPath: string): string {
  return join(projectFolderPath, PROJECT_FILE);
}

/**
 * What a name in the store stands for: the id it encodes, or — for the name of a long id, which
 * is a hash — `hashed: true` and no id (read it from the file's records, or `project.json`).
 */
export type ParsedName =
  | { readonly id: string; readonly hashed: false }
  | { readonly id: undefined; readonly hashed: true };

/** The project a folder name in the store's root stands for; `undefined` if it is not a store name. */
export function parseProjectFolderName(name: string): ParsedName | undefined {
  return parseName(name);
}

/** The run a file name in `runs/` stands for; `undefined` if it is not `<runId>.jsonl`. */
export function parseRunFileName(name: string): ParsedName | undefined {
  return name.endsWith(RUN_EXTENSION) ? parseName(name.slice(0, -RUN_EXTENSION.length)) : undefined;
}

/**
 * The graph version a file name in `templates/` stands for; `undefined` if it is not
 * `<graphVersion>.json` (a template being written, `….tmp`, is not one either).
 */
export function parseTemplateFileName(name: string): ParsedName | undefined {
  return name.endsWith(TEMPLATE_EXTENSION) ? parseName(name.slice(0, -TEMPLATE_EXTENSION.length)) : undefined;
}

/** True for a template being written: skip it, it is renamed to its final name once complete. */
export function isTemporaryFile(name: string): boolean {
  return name.endsWith(TEMPORARY_EXTENSION);
}

/** A unique temporary name beside `path`, for write-then-rename (`<path>.<pid>.<hex>.tmp`). */
export function temporaryFile(path: string, unique: string): string {
  return `${path}.${process.pid}.${unique}${TEMPORARY_EXTENSION}`;
}

/**
 * Writes a whole file by write-then-rename (through a {@link temporaryFile} beside it), so a
 * reader never sees half of it; the temporary file is removed if the write fails.
 */
export async function writeWholeFile(path: string, text: string): Promise<void> {
  const tmp = temporaryFile(path, randomBytes(4).toString("hex"));
  try {
    await writeFile(tmp, text, "utf8");
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true }).catch(() => {});
    throw error;
  }
}

function parseName(name: string): ParsedName | undefined {
  if (isHashedName(name)) return { id: undefined, hashed: true };
  const id = fromFileName(name);
  return id === undefined ? undefined : { id, hashed: false };
}

/**
 * The longest name {@link toFileName} returns as a plain encoding. File systems allow 255 bytes
 * per name; the store adds at most about 30 (`.jsonl`, a template's `.<pid>.<hex>.tmp`).
 */
export const MAX_ENCODED_NAME = 200;

/** The file in a project's folder that holds its id when the folder's name is a hash (a long id). */
export const PROJECT_FILE = "project.json";

/** Characters of the encoding kept in front of the hash of a long id. */
const HASHED_PREFIX = 100;

/**
 * Portable file names for project ids, run ids and graph versions: letters, digits, `-`, `_` and
 * inner dots stay; anything else is percent-encoded (so `..` or `/` cannot escape the store's
 * directory, and the reader gets the original id back).
 *
 * An id whose encoding is longer than {@link MAX_ENCODED_NAME} characters (a 300-character
 * project id, 30 emoji) would make a name the file system refuses: it becomes the first 100
 * characters of its encoding, `~` and 16 hex digits of its SHA-256. `~` never appears in a plain
 * encoding, so such a name is recognisable ({@link isHashedName}); its id cannot be decoded from
 * it and is stored beside it (the records hold their run id and graph version; a project
 * directory holds a `project.json`).
 */
export function toFileName(id: string): string {
  // A lone surrogate cannot be percent-encoded: such an id is named by its hash too.
  const encoded = LONE_SURROGATE.test(id) ? undefined : encode(id);
  if (encoded === undefined || encoded.length > MAX_ENCODED_NAME) {
    // The prefix ends at a character boundary, so it decodes (for a human reading the name).
    let prefix = "";
    for (const char of id.replace(LONE_SURROGATE_ALL, "\uFFFD")) {
      const part = encode(char);
      if (prefix.length + part.length > HASHED_PREFIX) break;
      prefix += part;
    }
    const hash = createHash("sha256").update(id).digest("hex").slice(0, 16);
    return `${prefix.startsWith(".") ? `%2E${prefix.slice(1)}` : prefix}~${hash}`;
  }
  return encoded.startsWith(".") ? `%2E${encoded.slice(1)}` : encoded.length === 0 ? "%00" : encoded;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATE_ALL = new RegExp(LONE_SURROGATE.source, "g");

function encode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** True for a name {@link toFileName} made from a long id: the id is not in the name. */
export function isHashedName(name: string): boolean {
  return name.includes("~");
}

/**
 * The id a {@link toFileName} name came from; `undefined` for a hashed name (see
 * {@link isHashedName}) or a name that is not an encoding at all (a stray `100%.jsonl`).
 */
export function fromFileName(name: string): string | undefined {
  if (name === "%00") return "";
  if (isHashedName(name)) return undefined;
  try {
    return decodeURIComponent(name);
  } catch {
    return undefined;
  }
}
