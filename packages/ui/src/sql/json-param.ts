/**
 * JSON text for a statement's parameter (`jsonb_to_recordset($1::jsonb)` and the like).
 * PostgreSQL's text cannot hold U+0000: a `\u0000` anywhere in a `jsonb` or `json` value read as
 * text fails the whole statement ("unsupported Unicode escape sequence"), so one string holding a
 * NUL character — a node's result read from a binary file, a hostile span attribute — would keep
 * the whole batch out of the index, and every batch after it on the same file. Each NUL is
 * stored as U+2400 (␀, the symbol for null) instead; the file log keeps the value as it was.
 */

/** What a NUL character is stored as. */
export const NUL_STAND_IN = "\u2400";

/**
 * The escape `\u0000`, not the tail of an escaped backslash followed by the text `u0000`: it starts
 * a run of backslashes (none before it) and takes them in pairs (escaped backslashes), then one.
 */
const ESCAPED_NUL = /(?<!\\)((?:\\\\)*)\\u0000/g;

/** `JSON.stringify(value)` with every NUL character in its strings replaced by {@link NUL_STAND_IN}. */
export function jsonParam(value: unknown): string {
  const text = JSON.stringify(value);
  if (!text.includes("\\u0000")) return text;
  return text.replace(ESCAPED_NUL, `$1${NUL_STAND_IN}`);
}
