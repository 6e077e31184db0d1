/**
 * The fast path of the signature reader (`signature.ts`), at the start of core's pipeline
 * (`candidates` → `drafts` → `graph` → `plan` → `run`): the parameter list of the common node
 * shapes — `({ a, b }) =>`, `async ({ a, b = 1 }, ctx) =>`, `function f({ a: local, b = "x" }) {}`,
 * `(_, ctx) =>` — read by a small scanner over the characters, without acorn.
 *
 * It answers only when the text is one of those shapes and is sure of the answer; on anything
 * else (a comment, a nested pattern, a computed or quoted key, a rest element, a template
 * literal, brackets or a regular expression in a default, a non-ASCII name, a parameter list it
 * would reject) it returns `undefined` and acorn's tokenizer reads the function as before. Both
 * paths give the same answer on every shape the fast one accepts (`signature-fast.test.ts`).
 *
 * Why: a cold start reads every node function once, and acorn's per-call set-up (options, keyword
 * regular expressions, a parser object) cost more than the reading itself.
 */
import type { DependencyDecl, Signature } from "./signature.js";

enum C {
  TAB = 9,
  LF = 10,
  CR = 13,
  SPACE = 32,
  BANG = 33,
  DQUOTE = 34,
  DOLLAR = 36,
  PERCENT = 37,
  AMP = 38,
  SQUOTE = 39,
  LPAREN = 40,
  RPAREN = 41,
  STAR = 42,
  PLUS = 43,
  COMMA = 44,
  MINUS = 45,
  DOT = 46,
  ZERO = 48,
  NINE = 57,
  COLON = 58,
  EQ = 61,
  GT = 62,
  UPPER_A = 65,
  UPPER_Z = 90,
  BACKSLASH = 92,
  UNDERSCORE = 95,
  LOWER_A = 97,
  LOWER_Z = 122,
  LBRACE = 123,
  PIPE = 124,
  RBRACE = 125,
}

/** Thrown (and caught at once) when the text is not a shape this reader is sure of. */
const BAIL = Symbol("bail");

function isIdentStart(c: number): boolean {
  return (
    (c >= C.LOWER_A && c <= C.LOWER_Z) || (c >= C.UPPER_A && c <= C.UPPER_Z) || c === C.UNDERSCORE || c === C.DOLLAR
  );
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= C.ZERO && c <= C.NINE);
}

/** Characters a simple default value may hold besides names, numbers and quoted strings. */
function isPlainOperator(c: number): boolean {
  return (
    c === C.DOT ||
    c === C.MINUS ||
    c === C.PLUS ||
    c === C.STAR ||
    c === C.BANG ||
    c === C.PERCENT ||
    c === C.AMP ||
    c === C.PIPE
  );
}

// The cursor: the source being read and the position in it. One reader runs at a time (it is
// synchronous), so module state replaces an object per call.
let text = "";
let at = 0;

/** The code at the cursor, after ASCII whitespace; -1 at the end. */
function peek(): number {
  const s = text;
  let i = at;
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === C.SPACE || c === C.LF || c === C.TAB || c === C.CR) i++;
    else {
      at = i;
      return Number.isNaN(c) ? -1 : c;
    }
  }
}

/** Consumes `code` (after whitespace), or bails. */
function expect(code: number): void {
  if (peek() !== code) throw BAIL;
  at++;
}

/** Consumes `code` if it is next; says whether it was. */
function eat(code: number): boolean {
  if (peek() !== code) return false;
  at++;
  return true;
}

/** An ASCII identifier (after whitespace), or bails. A `\` escape or a non-ASCII letter bails too. */
function identifier(): string {
  const s = text;
  if (!isIdentStart(peek())) throw BAIL;
  const start = at;
  let i = start + 1;
  while (isIdentPart(s.charCodeAt(i))) i++;
  const c = s.charCodeAt(i);
  if (c === C.BACKSLASH || c > 127) throw BAIL;
  at = i;
  return s.slice(start, i);
}

/** True when an identifier starts at the cursor (after whitespace). */
function atIdentifier(): boolean {
  return isIdentStart(peek());
}

/** Consumes `word` when it is next as a whole word followed by whitespace or `(`/`*`. */
function keyword(word: string): boolean {
  peek();
  const s = text;
  const i = at;
  if (!s.startsWith(word, i)) return false;
  const after = s.charCodeAt(i + word.length);
  if (after !== C.SPACE && after !== C.TAB && after !== C.LF && after !== C.CR && after !== C.LPAREN) {
    if (!(word === "function" && after === C.STAR)) return false;
  }
  at = i + word.length;
  return true;
}

/**
 * Skips a simple default value — names, numbers, `'`/`"` strings without line breaks, and the
 * operators `. - + * ! % & |` — up to the `,` or `}` that ends it (not consumed). Anything else
 * (brackets, a template, a `/`, `=`, `?`, `<`, `>`) bails.
 */
function simpleValue(): void {
  const s = text;
  let any = false;
  for (;;) {
    const c = peek();
    if (c === C.COMMA || c === C.RBRACE) {
      if (!any) throw BAIL;
      return;
    }
    any = true;
    if (isIdentPart(c)) {
      let i = at + 1;
      while (isIdentPart(s.charCodeAt(i))) i++;
      const next = s.charCodeAt(i);
      if (next === C.BACKSLASH || next > 127) throw BAIL;
      at = i;
    } else if (c === C.DQUOTE || c === C.SQUOTE) {
      let i = at + 1;
      for (;;) {
        const d = s.charCodeAt(i);
        if (Number.isNaN(d) || d === C.LF || d === C.CR || d === 0x2028 || d === 0x2029) throw BAIL;
        if (d === C.BACKSLASH) i += 2;
        else if (d === c) break;
        else i++;
      }
      at = i + 1;
    } else if (isPlainOperator(c)) {
      at++;
    } else throw BAIL;
  }
}

/** The answer for a parameter list that names no dependency, shared (signatures are read-only). */
const NO_DEPENDENCIES: Signature = Object.freeze({ ok: true, dependencies: Object.freeze([]), usesContext: false });

/**
 * The signature of a common node shape read without acorn, or `undefined` when the text is not
 * one this reader is sure of (then acorn reads it). `source` is `Function.prototype.toString` of a
 * function that is neither native nor bound.
 */
export function readSignatureFast(source: string): Signature | undefined {
  text = source;
  at = 0;
  try {
    return read();
  } catch (error) {
    if (error === BAIL) return undefined;
    throw error;
  } finally {
    text = "";
  }
}

function read(): Signature | undefined {
  // The head: `async`? then `function*? name?` or a method name, then `(`; or `_x =>`.
  keyword("async");
  if (keyword("function")) {
    eat(C.STAR);
    if (atIdentifier()) identifier();
  } else if (atIdentifier()) {
    const name = identifier();
    if (eat(C.EQ)) {
      // `_x => ...`: one identifier, which names no dependency when it starts with `_`.
      if (!eat(C.GT) || !name.startsWith("_")) throw BAIL;
      return NO_DEPENDENCIES;
    }
    // else a method `name(`
  }
  expect(C.LPAREN);
  if (eat(C.RPAREN)) return NO_DEPENDENCIES;
  let dependencies: DependencyDecl[] = [];
  if (eat(C.LBRACE)) {
    dependencies = objectPattern();
    if (eat(C.EQ)) {
      // Only `= {}` as the whole parameter's default.
      expect(C.LBRACE);
      expect(C.RBRACE);
    }
  } else {
    const name = identifier();
    if (!name.startsWith("_")) throw BAIL;
  }
  if (eat(C.RPAREN)) return { ok: true, dependencies, usesContext: false };
  expect(C.COMMA);
  if (eat(C.RPAREN)) return { ok: true, dependencies, usesContext: false }; // trailing comma
  identifier(); // the context, a plain name
  eat(C.COMMA);
  expect(C.RPAREN);
  return { ok: true, dependencies, usesContext: true };
}

/** `{ a, b = 1, c: local, d: local = "x", }` after its `{`, through its `}`. */
function objectPattern(): DependencyDecl[] {
  const dependencies = patternProperties();
  // A pushed array keeps room for 17 elements; a signature is kept as long as its function.
  return dependencies.length > 0 && dependencies.length < 17 ? dependencies.slice() : dependencies;
}

function patternProperties(): DependencyDecl[] {
  const dependencies: DependencyDecl[] = [];
  let seen: Set<string> | undefined;
  for (;;) {
    if (eat(C.RBRACE)) return dependencies;
    const name = identifier();
    let optional = false;
    if (eat(C.COLON)) {
      identifier();
      if (eat(C.EQ)) {
        optional = true;
        simpleValue();
      }
    } else if (eat(C.EQ)) {
      optional = true;
      simpleValue();
    }
    // Names repeat only as `{ a: x, a: y }`; the first one counts, as in the full reader.
    if (dependencies.length < 8) {
      if (!listed(dependencies, name)) dependencies.push({ name, optional });
    } else {
      if (seen === undefined) seen = new Set(dependencies.map((d) => d.name));
      if (!seen.has(name)) {
        seen.add(name);
        dependencies.push({ name, optional });
      }
    }
    if (eat(C.RBRACE)) return dependencies;
    expect(C.COMMA);
  }
}

/** Whether `name` is among the first (few) dependencies already read. */
function listed(dependencies: readonly DependencyDecl[], name: string): boolean {
  for (let k = 0; k < dependencies.length; k++) if (dependencies[k]!.name === name) return true;
  return false;
}
