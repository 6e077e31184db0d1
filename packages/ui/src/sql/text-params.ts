/**
 * Statement parameters PostgreSQL can take. Its text cannot hold U+0000: a raw NUL in a text
 * parameter fails the statement ("invalid byte sequence"), and so does a `\u0000` anywhere in a
 * `jsonb` or `json` value read as text ("unsupported Unicode escape sequence"). One string holding
 * a NUL character — a node's result read from a binary file, a hostile span attribute, a DAG name
 * sent over the tracking protocol — would keep a whole batch out of the index (and every batch
 * after it on the same file), or fail a client's request at every retry. Each NUL is stored as
 * U+2400 (␀, the symbol for null) instead; the file log keeps the value as it was. A lone
 * surrogate (half of an emoji's UTF-16 pair, left by a string cut at a length) fails a `jsonb` or
 * `json` value the same way: in JSON it is stored as U+FFFD (�), as UTF-8 encoding does with one
 * in a text parameter.
 */

/** What a NUL character is stored as. */
export const NUL_STAND_IN = "\u2400";

/**
 * The escapes `\u0000` and of a lone surrogate (JSON.stringify escapes nothing else in that range;
 * a whole pair is written as itself), not the tail of an escaped backslash followed by such text:
 * it starts a run of backslashes (none before it) and takes them in pairs (escaped backslashes),
 * then one.
 */
const UNSTORABLE_ESCAPE = /(?<!\\)((?:\\\\)*)\\u(0000|[dD][89a-fA-F][0-9a-fA-F]{2})/g;

/**
 * `JSON.stringify(value)` with every NUL character in its strings replaced by {@link NUL_STAND_IN}
 * and every lone surrogate by U+FFFD.
 */
export function jsonParam(value: unknown): string {
  const text = JSON.stringify(value);
  if (!text.includes("\\u")) return text;
  return text.replace(UNSTORABLE_ESCAPE, (_match, backslashes: string, code: string) =>
    code === "0000" ? `${backslashes}${NUL_STAND_IN}` : `${backslashes}\ufffd`,
  );
}

/** `value` with each NUL character as {@link NUL_STAND_IN}: a string, or the strings of an array. */
function safeValue(value: unknown): unknown {
  if (typeof value === "string") return value.includes("\0") ? value.replaceAll("\0", NUL_STAND_IN) : value;
  if (Array.isArray(value) && value.some((v) => typeof v === "string" && v.includes("\0"))) return value.map(safeValue);
  return value;
}

/** A statement's parameters with every raw NUL character in a string (or a string array) as ␀. */
export function safeValues(values: readonly unknown[] | undefined): unknown[] | undefined {
  if (values === undefined) return undefined;
  let out: unknown[] | undefined;
  for (let i = 0; i < values.length; i++) {
    const safe = safeValue(values[i]);
    if (safe !== values[i]) (out ??= [...values])[i] = safe;
  }
  return out ?? (values as unknown[]);
}
