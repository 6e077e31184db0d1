import { createHash } from "node:crypto";

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
