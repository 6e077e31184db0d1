/**
 * Used by the graph's lazy node sources (`node-sources.ts`).
 *
 * Owns {@link tokenize}, a small scanner that splits JavaScript or TypeScript text into tokens with
 * their offsets, skipping whitespace and comments (strings, template literals and regular
 * expressions are single tokens, so a `//` inside them is not a comment), and {@link codeVersion},
 * the hash of a function's tokens: the node's code version, which a comment or whitespace edit
 * does not change and a type annotation does. The scanner never throws: text it does not
 * understand becomes one-character tokens.
 */
import { createHash } from "node:crypto";

/** One token: `text.slice(start, end)`. */
export interface SourceToken {
  readonly start: number;
  readonly end: number;
}

/** Keywords after which a `/` starts a regular expression rather than a division. */
const BEFORE_EXPRESSION = new Set([
  "return",
  "typeof",
  "instanceof",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "case",
  "do",
  "else",
  "yield",
  "await",
]);

function isIdentifierPart(c: number): boolean {
  return (
    (c >= 97 && c <= 122) || // a-z
    (c >= 65 && c <= 90) || // A-Z
    (c >= 48 && c <= 57) || // 0-9
    c === 36 || // $
    c === 95 || // _
    c === 92 || // \ (a unicode escape)
    c > 127
  );
}

function isSpace(c: number): boolean {
  return c <= 32 || c === 0xa0 || c === 0xfeff || c === 0x2028 || c === 0x2029 || (c >= 0x2000 && c <= 0x200a);
}

/**
 * Splits `text[from, to)` into tokens. Whitespace and comments are skipped; strings, regular
 * expressions and each chunk of a template literal (up to `${` or from `}` on) are one token;
 * identifiers, keywords and numbers are one token; any other character is a token of its own.
 */
export function tokenize(text: string, from = 0, to = text.length): SourceToken[] {
  const tokens: SourceToken[] = [];
  // One entry per open `{`: true when it is a template literal's `${`.
  const braces: boolean[] = [];
  let i = from;
  const push = (start: number, end: number) => {
    tokens.push({ start, end });
    i = end;
  };
  /** Scans a template chunk that starts at `start` (on "`" or "}") up to its "`" or "${". */
  const template = (start: number) => {
    let j = start + 1;
    while (j < to) {
      const c = text.charCodeAt(j);
      if (c === 92) j += 2;
      else if (c === 96) return push(start, j + 1);
      else if (c === 36 && text.charCodeAt(j + 1) === 123) {
        braces.push(true);
        return push(start, j + 2);
      } else j++;
    }
    push(start, to);
  };
  while (i < to) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === 47) {
      const next = text.charCodeAt(i + 1);
      if (next === 47) {
        const eol = text.indexOf("\n", i);
        i = eol === -1 || eol > to ? to : eol;
        continue;
      }
      if (next === 42) {
        const close = text.indexOf("*/", i + 2);
        i = close === -1 || close + 2 > to ? to : close + 2;
        continue;
      }
      if (regexAllowed(text, tokens)) {
        push(i, regexEnd(text, i, to));
        continue;
      }
      push(i, i + 1);
      continue;
    }
    if (c === 34 || c === 39) {
      let j = i + 1;
      while (j < to) {
        const d = text.charCodeAt(j);
        if (d === 92) j += 2;
        else if (d === c || d === 10) {
          j++;
          break;
        } else j++;
      }
      push(i, Math.min(j, to));
      continue;
    }
    if (c === 96) {
      template(i);
      continue;
    }
    if (c === 123) {
      braces.push(false);
      push(i, i + 1);
      continue;
    }
    if (c === 125) {
      if (braces.pop() === true) template(i);
      else push(i, i + 1);
      continue;
    }
    if (c >= 48 && c <= 57) {
      let j = i + 1;
      while (j < to) {
        const d = text.charCodeAt(j);
        const signed = (d === 43 || d === 45) && /[eE]/.test(text[j - 1]!) && !/^0[xX]/.test(text.slice(i, j));
        if (isIdentifierPart(d) || d === 46 || signed) j++;
        else break;
      }
      push(i, j);
      continue;
    }
    if (c === 46 && text.charCodeAt(i + 1) >= 48 && text.charCodeAt(i + 1) <= 57) {
      let j = i + 1;
      while (j < to && (isIdentifierPart(text.charCodeAt(j)) || text.charCodeAt(j) === 46)) j++;
      push(i, j);
      continue;
    }
    if (isIdentifierPart(c) || c === 35) {
      let j = i + 1;
      while (j < to && isIdentifierPart(text.charCodeAt(j))) j++;
      push(i, j);
      continue;
    }
    push(i, i + 1);
  }
  return tokens;
}

/** Whether a `/` after these tokens starts a regular expression (else it is a division). */
function regexAllowed(text: string, tokens: readonly SourceToken[]): boolean {
  const last = tokens[tokens.length - 1];
  if (last === undefined) return true;
  const first = text.charCodeAt(last.start);
  if (last.end - last.start === 1 && !isIdentifierPart(first) && first !== 35) {
    // Punctuation: a `/` follows an operator or an opening bracket, not a value's end.
    return first !== 41 && first !== 93 && first !== 125;
  }
  if (first === 96 || first === 125) return text.endsWith("${", last.end); // a template chunk
  if (first === 34 || first === 39 || (first >= 48 && first <= 57) || first === 47) return false;
  return BEFORE_EXPRESSION.has(text.slice(last.start, last.end));
}

function regexEnd(text: string, start: number, to: number): number {
  let j = start + 1;
  let inClass = false;
  while (j < to) {
    const c = text.charCodeAt(j);
    if (c === 10) return j; // not a regular expression after all: stop at the line's end
    if (c === 92) j += 2;
    else if (c === 91) {
      inClass = true;
      j++;
    } else if (c === 93) {
      inClass = false;
      j++;
    } else if (c === 47 && !inClass) {
      j++;
      while (j < to && isIdentifierPart(text.charCodeAt(j))) j++;
      return j;
    } else j++;
  }
  return to;
}

/** The offset at which each line of `text` starts. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

/**
 * A node's code version: the first 16 hex digits of the SHA-256 of its source's tokens, so
 * comments, whitespace and line breaks do not count and everything else (TypeScript types too)
 * does.
 */
export function codeVersion(source: string): string {
  const hash = createHash("sha256");
  for (const t of tokenize(source)) {
    hash.update(source.slice(t.start, t.end));
    hash.update("\n");
  }
  return hash.digest("hex").slice(0, 16);
}
